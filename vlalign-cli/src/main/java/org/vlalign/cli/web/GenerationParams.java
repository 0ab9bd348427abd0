package org.vlalign.cli.web;

import java.util.Locale;
import java.util.Map;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;

/**
 * Turns the page's generation controls (beams, temperature, top-p, max new tokens, attention map) into a
 * {@link GenerationConfig}, refusing values out of range with 400.
 *
 * <p>Temperature 0 means deterministic decoding: greedy with one beam, beam search with more. A temperature
 * above 0 samples (with top-p) and needs one beam, as beam search and sampling are not combined.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
final class GenerationParams {
    /** The most beams the page may ask for. */
    static final int MAX_BEAMS = 8;
    /** The highest temperature accepted. */
    static final double MAX_TEMPERATURE = 2.0;
    /** The most new tokens one answer may ask for. */
    static final int MAX_NEW_TOKENS = 512;
    /** New tokens when the request does not say. */
    static final int DEFAULT_NEW_TOKENS = 64;

    private GenerationParams() {}

    /**
     * The configuration the form fields describe.
     *
     * @param fields {@code beams}, {@code temperature}, {@code topP}, {@code maxNewTokens}, {@code attentionMap}
     *     ({@code 1}/{@code true} or {@code 0}/{@code false}); each optional
     * @return the configuration
     * @throws HttpError (400) if a value is not a number, out of range, beams and sampling are combined, or an
     *     attention map is asked with beam search
     */
    static GenerationConfig from(Map<String, String> fields) {
        int beams = FormFields.intField(fields, "beams", 1, 1, MAX_BEAMS);
        double temperature = FormFields.doubleField(fields, "temperature", 0.0, 0.0, MAX_TEMPERATURE);
        double topP = FormFields.doubleField(fields, "topP", 1.0, 0.0, 1.0);
        int maxNewTokens = FormFields.intField(fields, "maxNewTokens", DEFAULT_NEW_TOKENS, 1, MAX_NEW_TOKENS);
        if (topP <= 0) {
            throw new HttpError(400, "topP must be in (0, 1] but was " + topP);
        }
        DecodingStrategy strategy;
        if (temperature > 0) {
            if (beams > 1) {
                throw new HttpError(400, String.format(Locale.ROOT,
                        "beams=%d cannot be combined with temperature=%s: set the temperature to 0 for beam"
                                + " search, or beams to 1 for sampling", beams, temperature));
            }
            strategy = new DecodingStrategy.Sampling(temperature, 0, topP);
        } else if (beams > 1) {
            strategy = DecodingStrategy.Beam.of(beams);
        } else {
            strategy = new DecodingStrategy.Greedy();
        }
        boolean attentionMap = flag(fields, "attentionMap");
        if (attentionMap && beams > 1) {
            throw new HttpError(400, "an attention map is drawn for one answer, but beams=" + beams + " searches"
                    + " several; set beams to 1 or turn the attention map off");
        }
        return GenerationConfig.builder().strategy(strategy).maxNewTokens(maxNewTokens).attentionMap(attentionMap)
                .build();
    }

    private static boolean flag(Map<String, String> fields, String name) {
        String v = fields.get(name);
        if (v == null || v.isEmpty() || v.equals("0") || v.equals("false")) {
            return false;
        }
        if (v.equals("1") || v.equals("true")) {
            return true;
        }
        throw new HttpError(400, name + " must be 1, true, 0 or false but was '" + v + "'");
    }
}
