package org.vlalign.cli.web;

import java.util.Map;
import java.util.function.Function;

/**
 * Reads the optional number fields of the page's forms and query strings ({@code k}, {@code beams},
 * {@code temperature}, ...): an absent or blank field gives the default, anything else must parse and lie in
 * range or is refused with 400 and a message that names the field and the value.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.3.0
 */
final class FormFields {
    private FormFields() {}

    /**
     * A whole-number field.
     *
     * @param fields the form or query fields
     * @param name the field's name, also for the message
     * @param def the value when the field is absent or blank
     * @param min the smallest accepted value
     * @param max the largest accepted value
     * @return the value
     * @throws HttpError (400) if the field is not a whole number or out of range
     */
    static int intField(Map<String, String> fields, String name, int def, int min, int max) {
        String raw = fields.get(name);
        if (raw == null || raw.isBlank()) {
            return def;
        }
        int v = parse(name, raw, "a whole number", Integer::parseInt);
        if (v < min || v > max) {
            throw new HttpError(400, name + " must be in [" + min + ", " + max + "] but was " + v);
        }
        return v;
    }

    /**
     * A decimal-number field.
     *
     * @param fields the form or query fields
     * @param name the field's name, also for the message
     * @param def the value when the field is absent or blank
     * @param min the smallest accepted value
     * @param max the largest accepted value
     * @return the value
     * @throws HttpError (400) if the field is not a finite number or out of range
     */
    static double doubleField(Map<String, String> fields, String name, double def, double min, double max) {
        String raw = fields.get(name);
        if (raw == null || raw.isBlank()) {
            return def;
        }
        double v = parse(name, raw, "a number", Double::parseDouble);
        if (!Double.isFinite(v) || v < min || v > max) {
            throw new HttpError(400, name + " must be in [" + min + ", " + max + "] but was " + raw);
        }
        return v;
    }

    private static <T> T parse(String name, String raw, String kind, Function<String, T> parser) {
        try {
            return parser.apply(raw.trim());
        } catch (NumberFormatException e) {
            throw new HttpError(400, name + " must be " + kind + " but was '" + raw + "'");
        }
    }
}
