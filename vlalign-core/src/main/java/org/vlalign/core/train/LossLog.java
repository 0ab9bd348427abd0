package org.vlalign.core.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.vlalign.VlalignException;

/**
 * A {@link TrainingListener} that appends one line per step to a loss log: CSV ({@code
 * step,epoch,position,loss,lr,grad_norm,examples_per_s,eta_s}, with a header when the file is new) or,
 * for names ending in {@code .jsonl}, one JSON object per line.
 *
 * <p>The file is appended to, so a resumed run continues the same log. Each line is flushed as it is
 * written. Not thread-safe; close it after the run.
 *
 * @since 0.1.0
 */
public final class LossLog implements TrainingListener, AutoCloseable {

    private static final String HEADER = "step,epoch,position,loss,lr,grad_norm,examples_per_s,eta_s";

    private final Path file;
    private final boolean jsonl;
    private final BufferedWriter out;

    private LossLog(Path file, boolean jsonl, BufferedWriter out) {
        this.file = file;
        this.jsonl = jsonl;
        this.out = out;
    }

    /**
     * Opens (creating or appending to) a log.
     *
     * @param file the file; {@code .jsonl} selects JSON lines, anything else CSV
     * @return the log; close it
     * @throws VlalignException if the file cannot be opened
     */
    public static LossLog open(Path file) {
        boolean jsonl = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            boolean fresh = !Files.exists(file) || Files.size(file) == 0;
            BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            if (fresh && !jsonl) {
                w.write(HEADER);
                w.newLine();
                w.flush();
            }
            return new LossLog(file, jsonl, w);
        } catch (IOException e) {
            throw new VlalignException("cannot open loss log " + file + ": " + e.getMessage()
                    + "; check that the folder is writable", e);
        }
    }

    /**
     * The log file.
     *
     * @return the path
     */
    public Path file() {
        return file;
    }

    @Override
    public void onStep(TrainingProgress p) {
        String line = jsonl
                ? String.format(Locale.ROOT, "{\"step\":%d,\"epoch\":%d,\"position\":%d,\"loss\":%s,\"lr\":%s,"
                        + "\"grad_norm\":%s,\"examples_per_s\":%s,\"eta_s\":%d}", p.step(), p.epoch(),
                        p.positionInEpoch(), json(p.loss()), json(p.learningRate()), json(p.gradientNorm()),
                        json(p.examplesPerSecond()), p.eta().toSeconds())
                : String.format(Locale.ROOT, "%d,%d,%d,%s,%s,%s,%s,%d", p.step(), p.epoch(), p.positionInEpoch(),
                        p.loss(), p.learningRate(), p.gradientNorm(), p.examplesPerSecond(), p.eta().toSeconds());
        try {
            out.write(line);
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to loss log " + file, e);
        }
    }

    private static String json(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close loss log " + file, e);
        }
    }
}
