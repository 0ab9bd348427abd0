package org.vlalign.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A text progress bar for long work, on the error stream.
 *
 * <p>On a terminal it redraws one line ({@code \r}) at most ten times a second; otherwise (a log file, a
 * pipe) it prints a line at every tenth of the work, so logs stay short. The last state is always printed.
 * Not thread-safe: call it from one thread.
 *
 * @since 0.1.0
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final boolean interactive;
    private final String unit;
    private final long start = System.nanoTime();
    private long lastDraw = Long.MIN_VALUE;
    private long lastTenth = -1;
    private int lastWidth;
    private boolean drawn;

    ProgressBar(PrintWriter err, boolean interactive, String unit) {
        this.err = err;
        this.interactive = interactive;
        this.unit = unit;
    }

    /**
     * Reports progress.
     *
     * @param done units finished
     * @param total units in all; 0 when unknown
     * @param current what is being worked on, e.g. a file name; may be empty
     */
    void update(long done, long total, String current) {
        boolean last = total > 0 && done >= total;
        if (interactive) {
            long now = System.nanoTime();
            if (!last && drawn && now - lastDraw < REDRAW_NANOS) {
                return;
            }
            lastDraw = now;
            String line = line(done, total, current);
            // Pad with spaces to wipe the rest of a longer previous line.
            err.print('\r' + line + " ".repeat(Math.max(0, lastWidth - line.length())));
            lastWidth = line.length();
        } else {
            long tenth = total > 0 ? done * 10 / total : done / 100;
            if (tenth == lastTenth && !last) {
                return;
            }
            lastTenth = tenth;
            err.println(line(done, total, current));
        }
        drawn = true;
        err.flush();
    }

    /** Ends the bar's line on a terminal. */
    void finish() {
        if (interactive && drawn) {
            err.println();
            err.flush();
        }
    }

    String line(long done, long total, String current) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = seconds > 0 ? done / seconds : 0;
        StringBuilder sb = new StringBuilder();
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, done * WIDTH / total);
            sb.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append("] ");
            sb.append(done).append('/').append(total).append(' ').append(unit);
            sb.append(String.format(Locale.ROOT, " %3d%%", done * 100 / total));
        } else {
            sb.append(done).append(' ').append(unit);
        }
        sb.append(String.format(Locale.ROOT, " %.1f %s/s", rate, unit));
        if (total > 0 && done < total && rate > 0) {
            long eta = Math.round((total - done) / rate);
            sb.append(String.format(Locale.ROOT, " ETA %d:%02d", eta / 60, eta % 60));
        }
        if (current != null && !current.isEmpty() && done < total) {
            sb.append("  ").append(shorten(current, 40));
        }
        return sb.toString();
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : "..." + s.substring(s.length() - (max - 3));
    }
}
