package org.vlalign.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.vlalign.CheckpointException;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.core.checkpoint.BoundedFiles;
import org.vlalign.core.image.ImageDecoder;
import org.vlalign.core.metrics.BoundingBox;
import org.vlalign.model.world.World;

/**
 * How a model family is asked for a box and what its answer's coordinates are relative to, for {@code vlalign
 * eval rec}.
 *
 * <p>Enum constants are immutable and thread-safe.
 */
enum RecConvention {
    /**
     * LLaVA-1.5: its referring-expression prompt; the image padded to a square as LLaVA-1.5 pads it ({@code
     * image_aspect_ratio: pad}) before it is asked about, since the Hugging Face processor would centre-crop it
     * instead; and the answer's coordinates, relative to that square, mapped back to the image before scoring.
     */
    LLAVA("llava-1.5"),
    /** A model of the shapes world (the default model): the world's own box question, coordinates of the image. */
    WORLD("shapes world"),
    /**
     * Families with no box convention of their own (BLIP-2, InstructBLIP, other compositions): LLaVA-1.5's
     * prompt, and whatever {@code [a, b, c, d]} the answer holds taken as fractions of the image.
     */
    OTHER("none (llava-1.5 prompt)");

    /** LLaVA-1.5's referring-expression-comprehension instruction, followed by the expression. */
    static final String LLAVA_PROMPT =
            "Please provide the bounding box coordinate of the region this sentence describes: ";

    /**
     * The colour LLaVA-1.5's {@code expand2square} fills the padding with: the CLIP processor's mean, {@code
     * int(x * 255)} of (0.48145466, 0.4578275, 0.40821073).
     */
    static final Color LLAVA_PAD = new Color(122, 116, 104);

    private final String label;

    RecConvention(String label) {
        this.label = label;
    }

    /** A short name for the output. */
    String label() {
        return label;
    }

    /**
     * The convention of a checkpoint folder, from its {@code config.json}: {@code model_type} {@code llava} is
     * LLaVA; a {@code vlalign-composition} with a {@code world_seed} is a shapes-world model; anything else has
     * none.
     *
     * @param modelDir a folder holding {@code config.json}
     * @return the convention
     * @throws CheckpointException if {@code config.json} cannot be read as a JSON object
     */
    static RecConvention of(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        JsonObject config;
        try {
            JsonElement e = JsonParser.parseString(BoundedFiles.readString(file, BoundedFiles.MAX_CONFIG_BYTES));
            if (!e.isJsonObject()) {
                throw new CheckpointException(file + " is not a JSON object; pass a Hugging Face checkpoint folder.");
            }
            config = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage()
                    + "; pass a Hugging Face checkpoint folder with a valid config.json.", e);
        }
        JsonElement type = config.get("model_type");
        String modelType = type != null && type.isJsonPrimitive() ? type.getAsString() : "";
        if (modelType.equals("llava")) {
            return LLAVA;
        }
        if (modelType.equals("vlalign-composition") && config.has("world_seed")) {
            return WORLD;
        }
        return OTHER;
    }

    /**
     * The question that asks for the box of a referring expression.
     *
     * @param expression the expression, e.g. "the man in the red shirt"
     * @return the query
     */
    String prompt(String expression) {
        return this == WORLD ? World.boxQuestion(expression) : LLAVA_PROMPT + expression;
    }

    /**
     * The image to ask about: the file itself, or for LLaVA-1.5 the file padded to a square.
     *
     * @param file an image file
     * @return the image input
     * @throws ImageDecodingException if LLaVA's image cannot be decoded
     */
    ImageInput image(Path file) {
        if (this != LLAVA) {
            return ImageInput.of(file);
        }
        // the SDK's decoder, with its size limits, rather than an unbounded ImageIO.read
        BufferedImage image = ImageDecoder.withDefaults().decode(ImageInput.of(file)).toBufferedImage();
        return ImageInput.of(padToSquare(image));
    }

    /** LLaVA-1.5's {@code expand2square}: the image centred on a square of its longer side, at {@code (side - w) / 2}. */
    static BufferedImage padToSquare(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int side = Math.max(w, h);
        BufferedImage square = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = square.createGraphics();
        try {
            g.setColor(LLAVA_PAD);
            g.fillRect(0, 0, side, side);
            g.drawImage(image, (side - w) / 2, (side - h) / 2, null);
        } finally {
            g.dispose();
        }
        return square;
    }

    /**
     * Maps a box parsed from an answer to fractions of the image itself.
     *
     * @param answered the box as the model wrote it
     * @param width the image's width in pixels
     * @param height the image's height in pixels
     * @return the box relative to the unpadded image
     */
    BoundingBox toImage(BoundingBox answered, int width, int height) {
        return this == LLAVA ? answered.unpadFromSquare(width, height) : answered;
    }
}
