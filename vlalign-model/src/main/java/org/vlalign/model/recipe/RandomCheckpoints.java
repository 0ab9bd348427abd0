package org.vlalign.model.recipe;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeSet;
import org.vlalign.InvalidArgumentException;
import org.vlalign.model.world.WordLevelTokenizerJson;
import org.vlalign.model.world.World;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/**
 * Writes randomly initialised Hugging Face checkpoint folders for the embedded default model: a small
 * {@code Blip2ForImageTextRetrieval} (ViT + Q-Former + ITC projections + ITM head) and a small
 * {@code LlamaForCausalLM}, both with the world's word-level tokenizer.
 *
 * <p>Initialisation follows Hugging Face's {@code _init_weights}: linear and embedding weights and the
 * query tokens from {@code N(0, 0.02)}, biases zero, norm weights one. The vision position and class
 * embeddings use a truncated normal with the same standard deviation. Everything is float32 and a pure
 * function of the spec and the seed.
 *
 * <pre>{@code
 * RandomCheckpoints.writeRetrieval(dir.resolve("blip2"), RandomCheckpoints.RetrievalSpec.small(), 1L);
 * RandomCheckpoints.writeLlama(dir.resolve("llama"), RandomCheckpoints.LlamaSpec.small(), 2L);
 * }</pre>
 *
 * <p>Stateless and thread-safe; concurrent writes must use different folders.
 *
 * @since 0.1.0
 */
public final class RandomCheckpoints {
    /** Hugging Face's {@code initializer_range}. */
    static final double INIT_STD = 0.02;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private RandomCheckpoints() {}

    /**
     * Sizes of the BLIP-2 retrieval model.
     *
     * <p>Instances are immutable and thread-safe.
     *
     * @param imageSize the square input size in pixels
     * @param patchSize the ViT patch size
     * @param visionHidden the ViT width
     * @param visionLayers the ViT depth
     * @param visionHeads the ViT attention heads
     * @param qformerHidden the Q-Former width
     * @param qformerLayers the Q-Former depth
     * @param qformerHeads the Q-Former attention heads
     * @param queries the number of learned query tokens
     * @param crossAttentionFrequency every how many Q-Former layers one cross-attends to the image
     * @param projection the width of the image–text contrastive space
     * @param maxTextLength the Q-Former's {@code max_position_embeddings}
     * @since 0.1.0
     */
    public record RetrievalSpec(int imageSize, int patchSize, int visionHidden, int visionLayers,
            int visionHeads, int qformerHidden, int qformerLayers, int qformerHeads, int queries,
            int crossAttentionFrequency, int projection, int maxTextLength) {
        /** Validates the sizes. */
        public RetrievalSpec {
            if (imageSize <= 0 || patchSize <= 0 || imageSize % patchSize != 0) {
                throw new InvalidArgumentException("imageSize " + imageSize + " must be a positive multiple of"
                        + " patchSize " + patchSize);
            }
            positiveDivisible("visionHidden", visionHidden, "visionHeads", visionHeads);
            positiveDivisible("qformerHidden", qformerHidden, "qformerHeads", qformerHeads);
            if (visionLayers < 1 || qformerLayers < 1 || queries < 1 || crossAttentionFrequency < 1
                    || projection < 1 || maxTextLength < 2) {
                throw new InvalidArgumentException("layers, queries, crossAttentionFrequency and projection must be"
                        + " at least 1 and maxTextLength at least 2, got " + visionLayers + ", " + qformerLayers
                        + ", " + queries + ", " + crossAttentionFrequency + ", " + projection + ", "
                        + maxTextLength);
            }
        }

        /**
         * The size the default model is trained at: 64-pixel images in 16-pixel patches, a 4-layer
         * 128-wide ViT, a 2-layer 128-wide Q-Former cross-attending in every layer with 16 queries, and
         * a 64-wide contrastive space.
         *
         * @return the spec
         */
        public static RetrievalSpec small() {
            // 16-px patches: a first-stage step costs about 1.0 s against 1.45 s at 8 px, the tower learnt a lone
            // shape's cell sooner (0.91 at step 1,000; at 8 px 0.54 at step 750), and kind no slower (0.28 at
            // step 600 on kind labels at either size)
            return new RetrievalSpec(64, 16, 128, 4, 4, 128, 2, 4, 16, 1, 64, 64);
        }

        /**
         * A tiny spec for tests: 64-pixel images in 16-pixel patches, 2 layers of width 64, 8 queries.
         *
         * @return the spec
         */
        public static RetrievalSpec tiny() {
            return new RetrievalSpec(64, 16, 64, 2, 4, 64, 2, 4, 8, 1, 32, 48);
        }
    }

    /**
     * Sizes of the Llama language model; the vocabulary is always the world's.
     *
     * <p>Instances are immutable and thread-safe.
     *
     * @param hidden the width
     * @param intermediate the MLP width
     * @param layers the depth
     * @param heads the attention heads
     * @param kvHeads the key/value heads (grouped-query attention when fewer than {@code heads})
     * @param maxPositions {@code max_position_embeddings}
     * @param initStd the standard deviation of every weight matrix's normal initialisation ({@code
     *     initializer_range})
     * @since 0.1.0
     */
    public record LlamaSpec(int hidden, int intermediate, int layers, int heads, int kvHeads, int maxPositions,
            double initStd) {
        /** Validates the sizes. */
        public LlamaSpec {
            positiveDivisible("hidden", hidden, "heads", heads);
            if (intermediate < 1 || layers < 1 || kvHeads < 1 || heads % kvHeads != 0 || maxPositions < 2
                    || !(initStd > 0 && initStd < 1)) {
                throw new InvalidArgumentException("Llama sizes need intermediate, layers >= 1, heads divisible by"
                        + " kvHeads, maxPositions >= 2 and 0 < initStd < 1, got " + intermediate + ", " + layers
                        + ", " + heads + "/" + kvHeads + ", " + maxPositions + ", " + initStd);
            }
        }

        /**
         * A spec initialised with {@code N(0, 1/hidden)}: the fan-in scale, 0.072 at width 192.
         *
         * @param hidden the width
         * @param intermediate the MLP width
         * @param layers the depth
         * @param heads the attention heads
         * @param kvHeads the key/value heads
         * @param maxPositions {@code max_position_embeddings}
         * @return the spec
         * @since 0.3.0
         */
        public static LlamaSpec of(int hidden, int intermediate, int layers, int heads, int kvHeads,
                int maxPositions) {
            return new LlamaSpec(hidden, intermediate, layers, heads, kvHeads, maxPositions,
                    1 / Math.sqrt(Math.max(1, hidden)));
        }

        /**
         * The size the default model is trained at: 3 layers of width 192 with 12 heads of 16 and an MLP of 32.
         *
         * <p>Its job is to read: to find the object a question names in the description (or the image
         * embeddings) before it and copy an attribute. That is attention's work (heads that gather a word's
         * neighbours, then a look-up head); the earlier 4-layer spec with an MLP of 512 and 6 heads memorised the
         * texts' word statistics and never formed the look-up in 6,000 steps. On a synthetic look-up in the
         * world's words ({@code "red square blue circle"}, then kind → colour) it formed within 250 steps for 1
         * of 3 seeds with 6 heads at Hugging Face's 0.02 and for 2 of 2 with 12 heads at 0.07. The third layer is
         * for two-word answers: with 2 layers the reading gate read cells ({@code "top left"}) at 0.846 on 200
         * held-out scenes, with 3 at 0.973, the second word being the one missed.
         *
         * @return the spec
         */
        public static LlamaSpec small() {
            return of(192, 32, 3, 12, 12, 256);
        }

        /**
         * A tiny spec for tests: 2 layers of width 64.
         *
         * @return the spec
         */
        public static LlamaSpec tiny() {
            return of(64, 128, 2, 4, 2, 256);
        }
    }

    private static void positiveDivisible(String name, int value, String headsName, int heads) {
        if (value < 1 || heads < 1 || value % heads != 0) {
            throw new InvalidArgumentException(name + " " + value + " must be a positive multiple of " + headsName
                    + " " + heads);
        }
    }

    /**
     * The words of the world tokenizer the recipe trains with: {@link World#vocabulary()} and the tokens of the box
     * questions ({@link World#boxVocabulary()}), which the instruction stage trains on.
     *
     * @return the sorted vocabulary, special tokens excluded
     * @since 0.3.0
     */
    public static SortedSet<String> worldVocabulary() {
        SortedSet<String> words = new TreeSet<>(World.vocabulary());
        words.addAll(World.boxVocabulary());
        return words;
    }

    /**
     * The size of the world tokenizer's vocabulary (special tokens included).
     *
     * @return the vocabulary size
     */
    public static int worldVocabSize() {
        return WordLevelTokenizerJson.ids(worldVocabulary()).size();
    }

    /**
     * Writes a {@code Blip2ForImageTextRetrieval} folder: {@code config.json}, {@code model.safetensors},
     * {@code preprocessor_config.json} and the world tokenizer (the Q-Former reads {@code <s>} as its
     * [CLS]).
     *
     * <p>Linear and patch weights are drawn at 1/sqrt(fan-in), the ViT's position embeddings at unit scale, the
     * other embeddings and the query tokens at Hugging Face's 0.02; biases are zero and norms one.
     *
     * @param dir the folder, created if missing
     * @param spec the sizes
     * @param seed the initialisation seed
     * @return {@code dir}
     * @throws UncheckedIOException if a file cannot be written
     */
    public static Path writeRetrieval(Path dir, RetrievalSpec spec, long seed) {
        // Linear and patch weights at PyTorch's fan-in scale: with 0.02 everywhere the contrastive loss was
        // 3.30 at step 950 of a 1,500-step run, at 1/sqrt(fan-in) 1.72 (batch 64, lr 1e-3).
        Init init = new Init(seed, INIT_STD, true);
        int v = spec.visionHidden();
        int q = spec.qformerHidden();
        int patches = (spec.imageSize() / spec.patchSize()) * (spec.imageSize() / spec.patchSize());
        int vocab = worldVocabSize();
        init.normal("vision_model.embeddings.class_embedding", 1, 1, v);
        init.scaled("vision_model.embeddings.patch_embedding.weight", 1 / Math.sqrt(3.0 * spec.patchSize()
                * spec.patchSize()), v, 3, spec.patchSize(), spec.patchSize());
        init.zeros("vision_model.embeddings.patch_embedding.bias", v);
        // Position embeddings at unit scale, as large as a patch's embedding at fan-in init. At 0.02 they are a
        // few per cent of each token, and contrastive training drove position out of the output: a lone shape's
        // grid cell stayed at chance for linear probes (0.10 of 9 classes) and the captioning loss read no
        // position word from the image; at unit scale the cell was read 0.91 by step 1,000.
        init.scaled("vision_model.embeddings.position_embedding", 1.0, 1, patches + 1, v);
        for (int i = 0; i < spec.visionLayers(); i++) {
            String p = "vision_model.encoder.layers." + i + ".";
            init.layerNorm(p + "layer_norm1", v);
            init.linear(p + "self_attn.qkv", 3 * v, v);
            init.linear(p + "self_attn.projection", v, v);
            init.layerNorm(p + "layer_norm2", v);
            init.linear(p + "mlp.fc1", 4 * v, v);
            init.linear(p + "mlp.fc2", v, 4 * v);
        }
        init.layerNorm("vision_model.post_layernorm", v);
        init.normal("query_tokens", 1, spec.queries(), q);
        init.normal("embeddings.word_embeddings.weight", vocab, q);
        init.normal("embeddings.position_embeddings.weight", spec.maxTextLength(), q);
        init.layerNorm("qformer.layernorm", q);
        for (int i = 0; i < spec.qformerLayers(); i++) {
            String p = "qformer.encoder.layer." + i + ".";
            init.attention(p + "attention.", q, q);
            if (i % spec.crossAttentionFrequency() == 0) {
                init.attention(p + "crossattention.", q, v);
            }
            init.feedForward(p + "intermediate_query", p + "output_query", q);
            init.feedForward(p + "intermediate", p + "output", q);
        }
        init.linear("vision_projection", spec.projection(), q);
        init.linear("text_projection", spec.projection(), q);
        init.linear("itm_head", 2, q);
        try {
            Files.createDirectories(dir);
            init.write(dir.resolve("model.safetensors"));
            Files.writeString(dir.resolve("config.json"), GSON.toJson(retrievalConfig(spec, vocab)),
                    StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("preprocessor_config.json"), preprocessorConfig(spec.imageSize()),
                    StandardCharsets.UTF_8);
            WordLevelTokenizerJson.write(dir.resolve("tokenizer.json"), worldVocabulary());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the BLIP-2 retrieval checkpoint to " + dir, e);
        }
        return dir;
    }

    /**
     * Writes a {@code LlamaForCausalLM} folder: {@code config.json}, {@code generation_config.json},
     * {@code model.safetensors} (untied {@code lm_head}) and the world tokenizer.
     *
     * @param dir the folder, created if missing
     * @param spec the sizes
     * @param seed the initialisation seed
     * @return {@code dir}
     * @throws UncheckedIOException if a file cannot be written
     */
    public static Path writeLlama(Path dir, LlamaSpec spec, long seed) {
        Init init = new Init(seed, spec.initStd(), false);
        int h = spec.hidden();
        int headDim = h / spec.heads();
        int kv = spec.kvHeads() * headDim;
        int vocab = worldVocabSize();
        init.normal("model.embed_tokens.weight", vocab, h);
        for (int i = 0; i < spec.layers(); i++) {
            String p = "model.layers." + i + ".";
            init.ones(p + "input_layernorm.weight", h);
            init.normal(p + "self_attn.q_proj.weight", h, h);
            init.normal(p + "self_attn.k_proj.weight", kv, h);
            init.normal(p + "self_attn.v_proj.weight", kv, h);
            init.normal(p + "self_attn.o_proj.weight", h, h);
            init.ones(p + "post_attention_layernorm.weight", h);
            init.normal(p + "mlp.gate_proj.weight", spec.intermediate(), h);
            init.normal(p + "mlp.up_proj.weight", spec.intermediate(), h);
            init.normal(p + "mlp.down_proj.weight", h, spec.intermediate());
        }
        init.ones("model.norm.weight", h);
        init.normal("lm_head.weight", vocab, h);
        try {
            Files.createDirectories(dir);
            init.write(dir.resolve("model.safetensors"));
            Files.writeString(dir.resolve("config.json"), GSON.toJson(llamaConfig(spec, vocab)),
                    StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("generation_config.json"), GSON.toJson(generationConfig()),
                    StandardCharsets.UTF_8);
            WordLevelTokenizerJson.write(dir.resolve("tokenizer.json"), worldVocabulary());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Llama checkpoint to " + dir, e);
        }
        return dir;
    }

    static Map<String, Object> retrievalConfig(RetrievalSpec spec, int vocab) {
        Map<String, Object> vision = new LinkedHashMap<>();
        vision.put("model_type", "blip_2_vision_model");
        vision.put("hidden_size", spec.visionHidden());
        vision.put("intermediate_size", 4 * spec.visionHidden());
        vision.put("num_hidden_layers", spec.visionLayers());
        vision.put("num_attention_heads", spec.visionHeads());
        vision.put("image_size", spec.imageSize());
        vision.put("patch_size", spec.patchSize());
        vision.put("hidden_act", "gelu");
        vision.put("layer_norm_eps", 1e-6);
        vision.put("qkv_bias", true);
        vision.put("initializer_range", INIT_STD);
        Map<String, Object> qformer = new LinkedHashMap<>();
        qformer.put("model_type", "blip_2_qformer");
        qformer.put("vocab_size", vocab);
        qformer.put("hidden_size", spec.qformerHidden());
        qformer.put("num_hidden_layers", spec.qformerLayers());
        qformer.put("num_attention_heads", spec.qformerHeads());
        qformer.put("intermediate_size", 4 * spec.qformerHidden());
        qformer.put("hidden_act", "gelu");
        qformer.put("max_position_embeddings", spec.maxTextLength());
        qformer.put("layer_norm_eps", 1e-12);
        qformer.put("position_embedding_type", "absolute");
        qformer.put("cross_attention_frequency", spec.crossAttentionFrequency());
        qformer.put("encoder_hidden_size", spec.visionHidden());
        qformer.put("use_qformer_text_input", true);
        qformer.put("pad_token_id", WordLevelTokenizerJson.SPECIAL_TOKENS.indexOf(WordLevelTokenizerJson.PAD));
        qformer.put("initializer_range", INIT_STD);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("Blip2ForImageTextRetrieval"));
        c.put("model_type", "blip-2");
        c.put("num_query_tokens", spec.queries());
        c.put("image_text_hidden_size", spec.projection());
        c.put("initializer_factor", 1.0);
        c.put("initializer_range", INIT_STD);
        c.put("torch_dtype", "float32");
        c.put("vision_config", vision);
        c.put("qformer_config", qformer);
        return c;
    }

    static Map<String, Object> llamaConfig(LlamaSpec spec, int vocab) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("model_type", "llama");
        c.put("hidden_size", spec.hidden());
        c.put("intermediate_size", spec.intermediate());
        c.put("num_hidden_layers", spec.layers());
        c.put("num_attention_heads", spec.heads());
        c.put("num_key_value_heads", spec.kvHeads());
        c.put("hidden_act", "silu");
        c.put("vocab_size", vocab);
        c.put("max_position_embeddings", spec.maxPositions());
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", false);
        c.put("attention_bias", false);
        c.put("mlp_bias", false);
        c.put("initializer_range", spec.initStd());
        c.put("bos_token_id", WordLevelTokenizerJson.SPECIAL_TOKENS.indexOf(WordLevelTokenizerJson.BOS));
        c.put("eos_token_id", WordLevelTokenizerJson.SPECIAL_TOKENS.indexOf(WordLevelTokenizerJson.EOS));
        c.put("pad_token_id", WordLevelTokenizerJson.SPECIAL_TOKENS.indexOf(WordLevelTokenizerJson.PAD));
        c.put("torch_dtype", "float32");
        return c;
    }

    static Map<String, Object> generationConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("bos_token_id", WordLevelTokenizerJson.SPECIAL_TOKENS.indexOf(WordLevelTokenizerJson.BOS));
        c.put("eos_token_id", WordLevelTokenizerJson.SPECIAL_TOKENS.indexOf(WordLevelTokenizerJson.EOS));
        c.put("pad_token_id", WordLevelTokenizerJson.SPECIAL_TOKENS.indexOf(WordLevelTokenizerJson.PAD));
        return c;
    }

    /**
     * A BLIP image processor config that only rescales and normalises: world images already have the
     * model's size, so the resize is the identity.
     */
    static String preprocessorConfig(int imageSize) {
        return "{\n  \"do_convert_rgb\": true,\n  \"do_normalize\": true,\n  \"do_rescale\": true,\n"
                + "  \"do_resize\": true,\n  \"image_mean\": [0.5, 0.5, 0.5],\n"
                + "  \"image_processor_type\": \"BlipImageProcessor\",\n  \"image_std\": [0.5, 0.5, 0.5],\n"
                + "  \"resample\": 3,\n  \"rescale_factor\": 0.00392156862745098,\n"
                + "  \"size\": {\"height\": " + imageSize + ", \"width\": " + imageSize + "}\n}\n";
    }

    /** Collects initialised tensors in key order. Not thread-safe. */
    private static final class Init {
        private final Random random;
        private final Map<String, float[]> values = new LinkedHashMap<>();
        private final Map<String, long[]> shapes = new LinkedHashMap<>();

        private final double std;
        private final boolean fanIn;

        /**
         * @param std the standard deviation of embeddings, and of linear weights unless {@code fanIn}
         * @param fanIn whether linear weights have standard deviation 1/sqrt(in) instead
         */
        Init(long seed, double std, boolean fanIn) {
            this.random = new Random(seed);
            this.std = std;
            this.fanIn = fanIn;
        }

        void normal(String name, long... shape) {
            scaled(name, std, shape);
        }

        void scaled(String name, double std, long... shape) {
            float[] v = new float[numel(shape)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextGaussian() * std);
            }
            put(name, v, shape);
        }

        void zeros(String name, long... shape) {
            put(name, new float[numel(shape)], shape);
        }

        void ones(String name, long... shape) {
            float[] v = new float[numel(shape)];
            Arrays.fill(v, 1f);
            put(name, v, shape);
        }

        void linear(String prefix, int out, int in) {
            scaled(prefix + ".weight", fanIn ? 1 / Math.sqrt(in) : std, out, in);
            zeros(prefix + ".bias", out);
        }

        void layerNorm(String prefix, int width) {
            ones(prefix + ".weight", width);
            zeros(prefix + ".bias", width);
        }

        void attention(String prefix, int hidden, int keyValueInput) {
            linear(prefix + "attention.query", hidden, hidden);
            linear(prefix + "attention.key", hidden, keyValueInput);
            linear(prefix + "attention.value", hidden, keyValueInput);
            linear(prefix + "output.dense", hidden, hidden);
            layerNorm(prefix + "output.LayerNorm", hidden);
        }

        void feedForward(String intermediate, String output, int hidden) {
            linear(intermediate + ".dense", 4 * hidden, hidden);
            linear(output + ".dense", hidden, 4 * hidden);
            layerNorm(output + ".LayerNorm", hidden);
        }

        private void put(String name, float[] v, long[] shape) {
            values.put(name, v);
            shapes.put(name, shape.clone());
        }

        void write(Path file) {
            SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
            for (Map.Entry<String, float[]> e : values.entrySet()) {
                w.addF32(e.getKey(), e.getValue(), shapes.get(e.getKey()));
            }
            w.write(file);
        }

        private static int numel(long[] shape) {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return Math.toIntExact(n);
        }
    }
}
