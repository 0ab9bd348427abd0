package org.vlalign.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import org.vlalign.Answer;
import org.vlalign.TokenListener;
import org.vlalign.Timings;

/**
 * Prints an answer: its text as it streams (flushed per piece) or at the end, then one summary line with the
 * finish reason, token counts and timings on the error stream, so that standard output holds only the answer.
 *
 * <p>Not thread-safe: one printer per answer, fed on the generating thread.
 *
 * @since 0.1.0
 */
final class AnswerPrinter implements TokenListener {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean stream;
    private final StringBuilder streamed = new StringBuilder();

    AnswerPrinter(PrintWriter out, PrintWriter err, boolean stream) {
        this.out = out;
        this.err = err;
        this.stream = stream;
    }

    @Override
    public void onText(String text) {
        if (stream) {
            out.print(text);
            out.flush();
            streamed.append(text);
        }
    }

    /**
     * Finishes the answer: prints what did not stream (all of it without streaming; beam search only knows
     * its answer at the end), a line break, and the summary line.
     *
     * @param answer the answer
     */
    void finish(Answer answer) {
        finish(answer, "");
    }

    /**
     * Finishes the answer like {@link #finish(Answer)}, with {@code trailer} on the same line after the text
     * (e.g. the expected answer beside the model's).
     *
     * @param answer the answer
     * @param trailer printed after the answer text, before the line break; may be empty
     */
    void finish(Answer answer, String trailer) {
        String text = answer.text();
        if (streamed.length() == 0) {
            out.print(text);
        } else if (text.startsWith(streamed.toString())) {
            out.print(text.substring(streamed.length()));
        } else {
            // The final text differs from what streamed (e.g. cut before a stop string): show the final one.
            out.println();
            out.print(text);
        }
        out.println(trailer);
        out.flush();
        err.println(summary(answer));
        err.flush();
    }

    /**
     * The summary line, e.g. {@code [EOS | 58 prompt + 12 new tokens | image 0.31 s, prefill 0.20 s,
     * decode 0.40 s (30.0 tokens/s) | total 0.91 s]}.
     *
     * @param answer the answer
     * @return the line
     */
    static String summary(Answer answer) {
        Timings t = answer.timings();
        StringBuilder sb = new StringBuilder("[");
        sb.append(answer.finishReason())
                .append(" | ").append(answer.promptTokens()).append(" prompt + ")
                .append(answer.generatedTokens()).append(" new tokens | image ")
                .append(seconds(t.preprocess().plus(t.extract())))
                .append(", prefill ").append(seconds(t.prefill()))
                .append(", decode ").append(seconds(t.decode()));
        if (!t.decode().isZero() && answer.generatedTokens() > 1) {
            // The first new token comes from the prefill; the decode steps produced the rest.
            double perSecond = (answer.generatedTokens() - 1) / (t.decode().toNanos() / 1e9);
            sb.append(String.format(Locale.ROOT, " (%.1f tokens/s)", perSecond));
        }
        sb.append(" | total ").append(seconds(t.total())).append(']');
        return sb.toString();
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
    }
}
