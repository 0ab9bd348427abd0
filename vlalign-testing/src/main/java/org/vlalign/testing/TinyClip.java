package org.vlalign.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes tiny, randomly initialised CLIP checkpoint folders ({@code CLIPModel}: config, weights, preprocessor
 * config and a word-level {@code tokenizer.json} that wraps texts in start and end tokens), and adds the vision
 * tower alone to composite checkpoints (LLaVA's {@code vision_tower}).
 *
 * <p>The vocabulary is {@code [UNK]} (id 0), the words (ids 1..n), {@code <|startoftext|>} and
 * {@code <|endoftext|>} (the highest id, as in the real CLIP vocabulary). Not thread-safe.
 *
 * @since 0.1.0
 */
public final class TinyClip {
    /** Image side of the default tower. */
    public static final int IMAGE_SIZE = 32;
    /** Patch side of the default tower. */
    public static final int PATCH_SIZE = 8;
    /** The default words, ids 1..n. */
    public static final List<String> WORDS = List.of(
            "a", "the", "red", "and", "blue", "picture", "photo", "of", "dog", "cat", "green", "grass",
            "yellow", "patch", "square", "image", "what", "is", "in", "this", "describe", "colour", "color", "it",
            "there", "sky", "white", "black", "on", "big", "small");
    /** The unknown token's id. */
    public static final int UNK_ID = 0;
    /** The start-of-text id with the default words. */
    public static final int BOS_ID = WORDS.size() + 1;
    /** The end-of-text id with the default words. */
    public static final int EOS_ID = WORDS.size() + 2;

    private long seed = 1;
    private List<String> words = WORDS;
    private int textHidden = 24;
    private int textIntermediate = 40;
    private int textLayers = 2;
    private int textHeads = 4;
    private int maxPositions = 16;
    private int configEosTokenId = -1;
    private int visionHidden = 32;
    private int visionLayers = 2;
    private int visionHeads = 4;
    private int imageSize = IMAGE_SIZE;
    private int patchSize = PATCH_SIZE;
    private int projection = 16;

    private TinyClip() {}

    /**
     * Starts from the default sizes: text 24 wide (MLP 40), 2 layers, 16 positions; vision 32 wide, 2 layers,
     * 32 px images in 8 px patches; a 16-wide joint space.
     *
     * @return the builder
     */
    public static TinyClip builder() {
        return new TinyClip();
    }

    /**
     * Starts from the compact sizes the command-line tests use: text 24 wide (MLP 48), 2 layers, 32 positions;
     * vision 16 wide, 2 layers, 16 px images in 8 px patches.
     *
     * @return the builder
     */
    public static TinyClip compact() {
        return builder().text(24, 48, 2, 4).maxPositions(32).vision(16, 2, 4, 16, 8);
    }

    /**
     * Writes a default {@code CLIPModel} folder.
     *
     * @param dir the folder, created if needed
     * @param seed the weight seed
     * @param maxPositions the text encoder's context, in tokens
     * @param configEosTokenId the config's {@code eos_token_id}: 2 selects argmax pooling, {@link #EOS_ID}
     *     selects first-eos pooling
     * @return {@code dir}
     */
    public static Path write(Path dir, long seed, int maxPositions, int configEosTokenId) {
        return builder().seed(seed).maxPositions(maxPositions).configEosTokenId(configEosTokenId).write(dir);
    }

    /** @param s the weight seed @return this */
    public TinyClip seed(long s) {
        seed = s;
        return this;
    }

    /** @param w the words of the vocabulary, lower case @return this */
    public TinyClip words(List<String> w) {
        words = List.copyOf(w);
        return this;
    }

    /**
     * Sets the text tower.
     *
     * @param hidden width
     * @param intermediate MLP width
     * @param layers depth
     * @param heads attention heads
     * @return this
     */
    public TinyClip text(int hidden, int intermediate, int layers, int heads) {
        textHidden = hidden;
        textIntermediate = intermediate;
        textLayers = layers;
        textHeads = heads;
        return this;
    }

    /**
     * Sets the vision tower (MLP twice as wide).
     *
     * @param hidden width
     * @param layers depth
     * @param heads attention heads
     * @param image image side in pixels
     * @param patch patch side in pixels
     * @return this
     */
    public TinyClip vision(int hidden, int layers, int heads, int image, int patch) {
        visionHidden = hidden;
        visionLayers = layers;
        visionHeads = heads;
        imageSize = image;
        patchSize = patch;
        return this;
    }

    /** @param n the text context in tokens @return this */
    public TinyClip maxPositions(int n) {
        maxPositions = n;
        return this;
    }

    /** @param id the config's {@code eos_token_id} (default: the end-of-text id) @return this */
    public TinyClip configEosTokenId(int id) {
        configEosTokenId = id;
        return this;
    }

    /** @return the vision width */
    public int visionHidden() {
        return visionHidden;
    }

    /** @return the image side in pixels */
    public int imageSize() {
        return imageSize;
    }

    /** @return the number of image patches */
    public int patches() {
        return (imageSize / patchSize) * (imageSize / patchSize);
    }

    /** @return {@code [UNK]}, the words, start and end of text */
    public List<String> vocabulary() {
        List<String> v = new ArrayList<>();
        v.add("[UNK]");
        v.addAll(words);
        v.add("<|startoftext|>");
        v.add("<|endoftext|>");
        return v;
    }

    /**
     * Returns the tower's {@code vision_config}.
     *
     * @return a new object
     */
    public JsonObject visionConfig() {
        JsonObject vision = new JsonObject();
        vision.addProperty("model_type", "clip_vision_model");
        vision.addProperty("hidden_size", visionHidden);
        vision.addProperty("intermediate_size", visionHidden * 2);
        vision.addProperty("num_hidden_layers", visionLayers);
        vision.addProperty("num_attention_heads", visionHeads);
        vision.addProperty("image_size", imageSize);
        vision.addProperty("patch_size", patchSize);
        vision.addProperty("hidden_act", "quick_gelu");
        return vision;
    }

    /**
     * Adds the vision tower's weights below a prefix.
     *
     * @param w the weights
     * @param prefix e.g. {@code vision_model.}
     */
    public void addVisionWeights(RandomWeights w, String prefix) {
        int positions = 1 + patches();
        w.normal(prefix + "embeddings.class_embedding", 1, visionHidden);
        w.normal(prefix + "embeddings.patch_embedding.weight", 1 / Math.sqrt(3.0 * patchSize * patchSize),
                visionHidden, 3, patchSize, patchSize);
        w.normal(prefix + "embeddings.position_embedding.weight", 0.5, positions, visionHidden);
        w.layerNorm(prefix + "pre_layrnorm.", visionHidden, 0.1);
        encoder(w, prefix, visionHidden, visionHidden * 2, visionLayers);
        w.layerNorm(prefix + "post_layernorm.", visionHidden, 0.1);
    }

    /**
     * Writes the {@code CLIPModel} folder.
     *
     * @param dir the folder, created if needed
     * @return {@code dir}
     */
    public Path write(Path dir) {
        List<String> vocab = vocabulary();
        int bos = vocab.size() - 2;
        int eos = vocab.size() - 1;
        JsonObject text = new JsonObject();
        text.addProperty("hidden_size", textHidden);
        text.addProperty("intermediate_size", textIntermediate);
        text.addProperty("num_hidden_layers", textLayers);
        text.addProperty("num_attention_heads", textHeads);
        text.addProperty("max_position_embeddings", maxPositions);
        text.addProperty("vocab_size", vocab.size());
        text.addProperty("eos_token_id", configEosTokenId < 0 ? eos : configEosTokenId);
        text.addProperty("bos_token_id", bos);
        text.addProperty("projection_dim", projection);
        JsonObject vision = visionConfig();
        vision.addProperty("projection_dim", projection);
        JsonObject config = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("CLIPModel");
        config.add("architectures", arch);
        config.addProperty("model_type", "clip");
        config.addProperty("projection_dim", projection);
        config.add("text_config", text);
        config.add("vision_config", vision);

        RandomWeights w = RandomWeights.seeded(seed);
        w.put("logit_scale", new float[] {2.6592f});
        w.normal("text_model.embeddings.token_embedding.weight", 1, vocab.size(), textHidden);
        w.normal("text_model.embeddings.position_embedding.weight", 0.5, maxPositions, textHidden);
        encoder(w, "text_model.", textHidden, textIntermediate, textLayers);
        w.layerNorm("text_model.final_layer_norm.", textHidden, 0.1);
        w.linear("text_projection.weight", projection, textHidden);
        addVisionWeights(w, "vision_model.");
        w.linear("visual_projection.weight", projection, visionHidden);
        TextFiles.write(dir.resolve("config.json"), config.toString());
        w.write(dir.resolve("model.safetensors"));
        PreprocessorConfigs.clip(dir, imageSize);
        WordLevelTokenizer.of(vocab).specials(UNK_ID, bos, eos).wrap(bos, eos).write(dir);
        return dir;
    }

    private static void encoder(RandomWeights w, String prefix, int hidden, int intermediate, int layers) {
        for (int i = 0; i < layers; i++) {
            String p = prefix + "encoder.layers." + i + ".";
            w.layerNorm(p + "layer_norm1.", hidden, 0.1);
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                w.linear(p + "self_attn." + proj + ".weight", hidden, hidden);
                w.normal(p + "self_attn." + proj + ".bias", 0.1, hidden);
            }
            w.layerNorm(p + "layer_norm2.", hidden, 0.1);
            w.linear(p + "mlp.fc1.weight", intermediate, hidden);
            w.normal(p + "mlp.fc1.bias", 0.1, intermediate);
            w.linear(p + "mlp.fc2.weight", hidden, intermediate);
            w.normal(p + "mlp.fc2.bias", 0.1, hidden);
        }
    }
}
