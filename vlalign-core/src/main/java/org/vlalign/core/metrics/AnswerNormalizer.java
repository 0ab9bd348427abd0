package org.vlalign.core.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer normalisation of the official VQA evaluation script ({@code vqaEval.py} of
 * GT-Vision-Lab/VQA), re-implemented step by step so that scores are comparable with published ones.
 *
 * <ol>
 *   <li>{@link #punctuation(String)}: each of {@code ; / [ ] " { } ( ) = + \ _ - > < @ ` , ? !} is
 *       deleted if it is next to a space anywhere in the text or if the text contains a comma
 *       between two digits ({@code 1,000}); otherwise it is replaced by a space. Then periods not
 *       followed by a digit are deleted (so {@code 2.5} keeps its point), at most 32 of them, as the
 *       script's call {@code periodStrip.sub("", text, re.UNICODE)} passes {@code re.UNICODE} (32) as
 *       the count.
 *   <li>{@link #digitsAndArticles(String)}: lower-cased, split on whitespace, number words {@code
 *       none, zero … ten} become digits ({@code none} becomes {@code 0}), the articles {@code a, an,
 *       the} are dropped, known contractions missing their apostrophe are restored ({@code dont} →
 *       {@code don't}), and the words are joined with single spaces.
 * </ol>
 *
 * <p>{@link #normalize(String)} applies both, after turning newlines and tabs into spaces and
 * trimming: what the script does to a predicted answer.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class AnswerNormalizer {
    private static final String PUNCTUATION = ";/[]\"{}()=+\\_-><@`,?!";
    // The script's pattern, including its quirk: "(?!<=\d)" is a negative look-ahead for the literal
    // "<=" plus a digit, not a look-behind, so a period is removed unless a digit follows it.
    private static final Pattern PERIOD_STRIP = Pattern.compile("(?!<=\\d)(\\.)(?!\\d)");
    private static final Pattern COMMA_STRIP = Pattern.compile("(\\d)(,)(\\d)");
    private static final int PERIOD_STRIP_COUNT = 32;

    private static final Map<String, String> NUMBERS = Map.ofEntries(
            Map.entry("none", "0"), Map.entry("zero", "0"), Map.entry("one", "1"), Map.entry("two", "2"),
            Map.entry("three", "3"), Map.entry("four", "4"), Map.entry("five", "5"), Map.entry("six", "6"),
            Map.entry("seven", "7"), Map.entry("eight", "8"), Map.entry("nine", "9"), Map.entry("ten", "10"));

    private static final List<String> ARTICLES = List.of("a", "an", "the");

    /** Contractions written without apostrophes, and their restored forms (the script's table). */
    private static final Map<String, String> CONTRACTIONS = contractions();

    private AnswerNormalizer() {}

    private static Map<String, String> contractions() {
        String[] pairs = {
            "aint", "ain't", "arent", "aren't", "cant", "can't", "couldve", "could've", "couldnt", "couldn't",
            "couldn'tve", "couldn't've", "couldnt've", "couldn't've", "didnt", "didn't", "doesnt", "doesn't",
            "dont", "don't", "hadnt", "hadn't", "hadnt've", "hadn't've", "hadn'tve", "hadn't've", "hasnt", "hasn't",
            "havent", "haven't", "hed", "he'd", "hed've", "he'd've", "he'dve", "he'd've", "hes", "he's",
            "howd", "how'd", "howll", "how'll", "hows", "how's", "Id've", "I'd've", "I'dve", "I'd've",
            "Im", "I'm", "Ive", "I've", "isnt", "isn't", "itd", "it'd", "itd've", "it'd've", "it'dve", "it'd've",
            "itll", "it'll", "let's", "let's", "maam", "ma'am", "mightnt", "mightn't", "mightnt've", "mightn't've",
            "mightn'tve", "mightn't've", "mightve", "might've", "mustnt", "mustn't", "mustve", "must've",
            "neednt", "needn't", "notve", "not've", "oclock", "o'clock", "oughtnt", "oughtn't",
            "ow's'at", "'ow's'at", "'ows'at", "'ow's'at", "'ow'sat", "'ow's'at", "shant", "shan't",
            "shed've", "she'd've", "she'dve", "she'd've", "she's", "she's", "shouldve", "should've",
            "shouldnt", "shouldn't", "shouldnt've", "shouldn't've", "shouldn'tve", "shouldn't've",
            "somebody'd", "somebodyd", "somebodyd've", "somebody'd've", "somebody'dve", "somebody'd've",
            "somebodyll", "somebody'll", "somebodys", "somebody's", "someoned", "someone'd",
            "someoned've", "someone'd've", "someone'dve", "someone'd've", "someonell", "someone'll",
            "someones", "someone's", "somethingd", "something'd", "somethingd've", "something'd've",
            "something'dve", "something'd've", "somethingll", "something'll", "thats", "that's",
            "thered", "there'd", "thered've", "there'd've", "there'dve", "there'd've", "therere", "there're",
            "theres", "there's", "theyd", "they'd", "theyd've", "they'd've", "they'dve", "they'd've",
            "theyll", "they'll", "theyre", "they're", "theyve", "they've", "twas", "'twas", "wasnt", "wasn't",
            "wed've", "we'd've", "we'dve", "we'd've", "weve", "we've", "werent", "weren't", "whatll", "what'll",
            "whatre", "what're", "whats", "what's", "whatve", "what've", "whens", "when's", "whered", "where'd",
            "wheres", "where's", "whereve", "where've", "whod", "who'd", "whod've", "who'd've", "who'dve", "who'd've",
            "wholl", "who'll", "whos", "who's", "whove", "who've", "whyll", "why'll", "whyre", "why're",
            "whys", "why's", "wont", "won't", "wouldve", "would've", "wouldnt", "wouldn't",
            "wouldnt've", "wouldn't've", "wouldn'tve", "wouldn't've", "yall", "y'all", "yall'll", "y'all'll",
            "y'allll", "y'all'll", "yall'd've", "y'all'd've", "y'alld've", "y'all'd've", "y'all'dve", "y'all'd've",
            "youd", "you'd", "youd've", "you'd've", "you'dve", "you'd've", "youll", "you'll",
            "youre", "you're", "youve", "you've",
        };
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return Map.copyOf(map);
    }

    /**
     * The full normalisation of a predicted answer: newlines and tabs to spaces, trim, {@link
     * #punctuation(String)}, {@link #digitsAndArticles(String)}.
     *
     * @param answer the answer
     * @return the normalised answer
     */
    public static String normalize(String answer) {
        String text = answer.replace('\n', ' ').replace('\t', ' ').strip();
        return digitsAndArticles(punctuation(text));
    }

    /**
     * The script's punctuation step ({@code processPunctuation}).
     *
     * @param text the text
     * @return the text with punctuation removed or replaced by spaces
     */
    public static String punctuation(String text) {
        boolean digitComma = COMMA_STRIP.matcher(text).find();
        String out = text;
        for (int i = 0; i < PUNCTUATION.length(); i++) {
            String p = String.valueOf(PUNCTUATION.charAt(i));
            // The test looks at the original text, the replacement works on the running result.
            boolean delete = text.contains(p + " ") || text.contains(" " + p) || digitComma;
            out = out.replace(p, delete ? "" : " ");
        }
        Matcher m = PERIOD_STRIP.matcher(out);
        StringBuilder sb = new StringBuilder();
        int replaced = 0;
        while (replaced < PERIOD_STRIP_COUNT && m.find()) {
            m.appendReplacement(sb, "");
            replaced++;
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /**
     * The script's word step ({@code processDigitArticle}).
     *
     * @param text the text
     * @return lower-cased words with numbers as digits, without articles, contractions restored,
     *     joined by single spaces
     */
    public static String digitsAndArticles(String text) {
        List<String> words = new ArrayList<>();
        for (String word : text.toLowerCase(Locale.ROOT).strip().split("\\s+")) {
            if (word.isEmpty()) {
                continue;
            }
            word = NUMBERS.getOrDefault(word, word);
            if (!ARTICLES.contains(word)) {
                words.add(CONTRACTIONS.getOrDefault(word, word));
            }
        }
        return String.join(" ", words);
    }
}
