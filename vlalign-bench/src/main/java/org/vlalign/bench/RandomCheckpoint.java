package org.vlalign.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.checkpoint.DtypeConversion;
import org.vlalign.testing.WordLevelTokenizer;

/**
 * Writes a random Hugging Face checkpoint of a real model's shape, for benchmarks: {@code llama-2-7b}
 * ({@code LlamaForCausalLM}, 6.7B parameters, 13.5 GB bf16), {@code llava-1.5-7b}
 * ({@code LlavaForConditionalGeneration}: CLIP ViT-L/14 at 336 px, the two-layer projector and the
 * Llama-2-7B language model, 14.1 GB), {@code llama-134m} (768 wide, 12 layers, vocab 32000), and the
 * small {@code tiny-llava} that tests load to check the key names.
 *
 * <p>Weights are uniform with the spread of Hugging Face's initialisation (standard deviation 0.02; norms
 * 1), stored as bf16 in shards of at most {@value #SHARD_BYTES} bytes with a {@code
 * model.safetensors.index.json}, streamed to disk so the writer's memory stays small whatever the size.
 * The folder also gets {@code config.json}, a word-level {@code tokenizer.json} of the model's vocabulary
 * size and, for LLaVA, {@code preprocessor_config.json}.
 *
 * <pre>
 * java -cp vlalign-bench/target/benchmarks.jar org.vlalign.bench.RandomCheckpoint llama-2-7b /data/llama-2-7b-random
 * </pre>
 *
 * <p>Not for CI: the large shapes take minutes and tens of GB. Not thread-safe; one writer per folder.
 *
 * @since 0.2.0
 */
public final class RandomCheckpoint {
    /** The largest shard, as Hugging Face's {@code save_pretrained} default. */
    static final long SHARD_BYTES = 5_000_000_000L;
    private static final float STD = 0.02f;
    private static long shardLimit = SHARD_BYTES;

    /** A tensor to write: name and shape; {@code norm} tensors are all ones. */
    record Tensor(String name, long[] shape, boolean norm) {
        long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private RandomCheckpoint() {}

    /**
     * Writes a shape into a folder.
     *
     * @param args the shape name and the folder
     * @throws IOException if writing fails
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: RandomCheckpoint llama-2-7b|llava-1.5-7b|llama-134m|tiny-llava FOLDER");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        Path dir = write(args[0], Path.of(args[1]));
        System.out.printf(Locale.ROOT, "wrote %s to %s in %.0f s%n", args[0], dir, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Writes a shape into a folder.
     *
     * @param shape the shape name
     * @param dir the folder, created if missing
     * @return the folder
     * @throws IOException if writing fails
     */
    public static Path write(String shape, Path dir) throws IOException {
        return write(shape, dir, SHARD_BYTES);
    }

    /**
     * Writes a shape with a given shard size (tests use small shards to cover the index).
     *
     * @param shape the shape name
     * @param dir the folder
     * @param shardBytes the largest shard
     * @return the folder
     * @throws IOException if writing fails
     */
    static Path write(String shape, Path dir, long shardBytes) throws IOException {
        shardLimit = shardBytes;
        Files.createDirectories(dir);
        switch (shape) {
            case "llama-2-7b" -> writeLlama(dir, llamaConfig(32000, 4096, 11008, 32, 32, 4096), "");
            case "llama-134m" -> writeLlama(dir, llamaConfig(32000, 768, 2048, 12, 12, 2048), "");
            case "llava-1.5-7b" -> writeLlava(dir, llamaConfig(32064, 4096, 11008, 32, 32, 4096), 1024, 4096, 24, 16,
                    336, 14);
            case "tiny-llava" -> writeLlava(dir, llamaConfig(64, 64, 128, 2, 4, 256), 32, 64, 2, 4, 28, 14);
            default -> throw new InvalidArgumentException("unknown shape '" + shape
                    + "'; use llama-2-7b, llava-1.5-7b, llama-134m or tiny-llava");
        }
        return dir;
    }

    static JsonObject llamaConfig(int vocab, int hidden, int inter, int layers, int heads, int maxPos) {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "llama");
        JsonArray arch = new JsonArray();
        arch.add("LlamaForCausalLM");
        c.add("architectures", arch);
        c.addProperty("vocab_size", vocab);
        c.addProperty("hidden_size", hidden);
        c.addProperty("intermediate_size", inter);
        c.addProperty("num_hidden_layers", layers);
        c.addProperty("num_attention_heads", heads);
        c.addProperty("num_key_value_heads", heads);
        c.addProperty("max_position_embeddings", maxPos);
        c.addProperty("rms_norm_eps", 1e-5);
        c.addProperty("bos_token_id", 1);
        c.addProperty("eos_token_id", 2);
        c.addProperty("pad_token_id", 0);
        c.addProperty("tie_word_embeddings", false);
        c.addProperty("torch_dtype", "bfloat16");
        return c;
    }

    private static List<Tensor> llamaTensors(JsonObject c, String prefix) {
        long v = c.get("vocab_size").getAsLong();
        long h = c.get("hidden_size").getAsLong();
        long inter = c.get("intermediate_size").getAsLong();
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor(prefix + "model.embed_tokens.weight", new long[] {v, h}, false));
        for (int i = 0; i < c.get("num_hidden_layers").getAsInt(); i++) {
            String p = prefix + "model.layers." + i + ".";
            t.add(new Tensor(p + "input_layernorm.weight", new long[] {h}, true));
            for (String n : new String[] {"q", "k", "v", "o"}) {
                t.add(new Tensor(p + "self_attn." + n + "_proj.weight", new long[] {h, h}, false));
            }
            t.add(new Tensor(p + "post_attention_layernorm.weight", new long[] {h}, true));
            t.add(new Tensor(p + "mlp.gate_proj.weight", new long[] {inter, h}, false));
            t.add(new Tensor(p + "mlp.up_proj.weight", new long[] {inter, h}, false));
            t.add(new Tensor(p + "mlp.down_proj.weight", new long[] {h, inter}, false));
        }
        t.add(new Tensor(prefix + "model.norm.weight", new long[] {h}, true));
        t.add(new Tensor(prefix + "lm_head.weight", new long[] {v, h}, false));
        return t;
    }

    private static void writeLlama(Path dir, JsonObject config, String prefix) throws IOException {
        Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
        writeShards(dir, llamaTensors(config, prefix));
        writeTokenizer(dir, config.get("vocab_size").getAsInt(), -1);
    }

    private static void writeLlava(Path dir, JsonObject text, int visionHidden, int visionInter, int visionLayers,
            int visionHeads, int imageSize, int patch) throws IOException {
        int vocab = text.get("vocab_size").getAsInt();
        int imageToken = vocab == 32064 ? 32000 : vocab - 1;
        JsonObject vision = new JsonObject();
        vision.addProperty("model_type", "clip_vision_model");
        vision.addProperty("hidden_size", visionHidden);
        vision.addProperty("intermediate_size", visionInter);
        vision.addProperty("num_hidden_layers", visionLayers);
        vision.addProperty("num_attention_heads", visionHeads);
        vision.addProperty("image_size", imageSize);
        vision.addProperty("patch_size", patch);
        vision.addProperty("projection_dim", 768);
        vision.addProperty("hidden_act", "quick_gelu");
        JsonObject c = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("LlavaForConditionalGeneration");
        c.add("architectures", arch);
        c.addProperty("model_type", "llava");
        c.addProperty("image_token_index", imageToken);
        c.addProperty("projector_hidden_act", "gelu");
        c.addProperty("vision_feature_layer", -2);
        c.addProperty("vision_feature_select_strategy", "default");
        c.addProperty("pad_token_id", vocab == 32064 ? 32001 : 0);
        c.add("text_config", text);
        c.add("vision_config", vision);
        Files.writeString(dir.resolve("config.json"), c.toString(), StandardCharsets.UTF_8);
        long vh = visionHidden;
        long positions = 1 + (long) (imageSize / patch) * (imageSize / patch);
        String vp = "vision_tower.vision_model.";
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor(vp + "embeddings.class_embedding", new long[] {vh}, false));
        t.add(new Tensor(vp + "embeddings.patch_embedding.weight", new long[] {vh, 3, patch, patch}, false));
        t.add(new Tensor(vp + "embeddings.position_embedding.weight", new long[] {positions, vh}, false));
        layerNorm(t, vp + "pre_layrnorm.", vh);
        for (int i = 0; i < visionLayers; i++) {
            String p = vp + "encoder.layers." + i + ".";
            for (String n : new String[] {"q", "k", "v", "out"}) {
                t.add(new Tensor(p + "self_attn." + n + "_proj.weight", new long[] {vh, vh}, false));
                t.add(new Tensor(p + "self_attn." + n + "_proj.bias", new long[] {vh}, false));
            }
            layerNorm(t, p + "layer_norm1.", vh);
            t.add(new Tensor(p + "mlp.fc1.weight", new long[] {visionInter, vh}, false));
            t.add(new Tensor(p + "mlp.fc1.bias", new long[] {visionInter}, false));
            t.add(new Tensor(p + "mlp.fc2.weight", new long[] {vh, visionInter}, false));
            t.add(new Tensor(p + "mlp.fc2.bias", new long[] {vh}, false));
            layerNorm(t, p + "layer_norm2.", vh);
        }
        layerNorm(t, vp + "post_layernorm.", vh);
        long th = text.get("hidden_size").getAsLong();
        t.add(new Tensor("multi_modal_projector.linear_1.weight", new long[] {th, vh}, false));
        t.add(new Tensor("multi_modal_projector.linear_1.bias", new long[] {th}, false));
        t.add(new Tensor("multi_modal_projector.linear_2.weight", new long[] {th, th}, false));
        t.add(new Tensor("multi_modal_projector.linear_2.bias", new long[] {th}, false));
        t.addAll(llamaTensors(text, "language_model."));
        writeShards(dir, t);
        writeTokenizer(dir, vocab, imageToken);
        String pre = "{\"crop_size\": {\"height\": " + imageSize + ", \"width\": " + imageSize + "},"
                + " \"do_center_crop\": true, \"do_convert_rgb\": true, \"do_normalize\": true,"
                + " \"do_rescale\": true, \"do_resize\": true,"
                + " \"image_mean\": [0.48145466, 0.4578275, 0.40821073],"
                + " \"image_processor_type\": \"CLIPImageProcessor\","
                + " \"image_std\": [0.26862954, 0.26130258, 0.27577711], \"resample\": 3,"
                + " \"rescale_factor\": 0.00392156862745098,"
                + " \"size\": {\"shortest_edge\": " + imageSize + "}}";
        Files.writeString(dir.resolve("preprocessor_config.json"), pre, StandardCharsets.UTF_8);
    }

    private static void layerNorm(List<Tensor> t, String prefix, long n) {
        t.add(new Tensor(prefix + "weight", new long[] {n}, true));
        t.add(new Tensor(prefix + "bias", new long[] {n}, false));
    }

    /** Splits tensors into shards of at most SHARD_BYTES and writes them with the index. */
    private static void writeShards(Path dir, List<Tensor> tensors) throws IOException {
        List<List<Tensor>> shards = new ArrayList<>();
        List<Tensor> current = new ArrayList<>();
        long bytes = 0;
        for (Tensor t : tensors) {
            long b = 2 * t.numel();
            if (!current.isEmpty() && bytes + b > shardLimit) {
                shards.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(t);
            bytes += b;
        }
        shards.add(current);
        JsonObject weightMap = new JsonObject();
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            String file = shards.size() == 1 ? "model.safetensors"
                    : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
            total += writeShard(dir.resolve(file), shards.get(s), s);
            for (Tensor t : shards.get(s)) {
                weightMap.addProperty(t.name(), file);
            }
        }
        if (shards.size() > 1) {
            JsonObject meta = new JsonObject();
            meta.addProperty("total_size", total);
            JsonObject index = new JsonObject();
            index.add("metadata", meta);
            index.add("weight_map", weightMap);
            Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString(), StandardCharsets.UTF_8);
        }
    }

    /** One safetensors file, bf16, tensor data generated in parallel chunks and streamed to disk. */
    private static long writeShard(Path file, List<Tensor> tensors, int shardNo) throws IOException {
        JsonObject h = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("format", "pt");
        h.add("__metadata__", meta);
        long offset = 0;
        for (Tensor t : tensors) {
            JsonObject e = new JsonObject();
            e.addProperty("dtype", "BF16");
            JsonArray shape = new JsonArray();
            for (long d : t.shape()) {
                shape.add(d);
            }
            e.add("shape", shape);
            JsonArray offs = new JsonArray();
            offs.add(offset);
            offs.add(offset + 2 * t.numel());
            e.add("data_offsets", offs);
            h.add(t.name(), e);
            offset += 2 * t.numel();
        }
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) {
                head.put((byte) ' ');
            }
            head.flip();
            while (head.hasRemaining()) {
                ch.write(head);
            }
            int ti = 0;
            for (Tensor t : tensors) {
                writeTensor(ch, t, 31L * shardNo + ti++);
            }
        }
        return offset;
    }

    private static void writeTensor(FileChannel ch, Tensor t, long seed) throws IOException {
        final int chunk = 4 << 20; // elements per chunk
        long n = t.numel();
        float a = (float) (STD * Math.sqrt(3)); // uniform on [-a, a] has standard deviation STD
        for (long start = 0; start < n; start += 4L * chunk) {
            long base = start;
            ByteBuffer[] parts = IntStream.range(0, 4).parallel().mapToObj(p -> {
                long from = base + (long) p * chunk;
                int len = (int) Math.max(0, Math.min(chunk, n - from));
                ByteBuffer b = ByteBuffer.allocate(2 * len).order(ByteOrder.LITTLE_ENDIAN);
                long x = mix(seed * 0x9E3779B97F4A7C15L + from + 1);
                short one = DtypeConversion.floatToBf16(1f);
                for (int i = 0; i < len; i++) {
                    if (t.norm()) {
                        b.putShort(one);
                        continue;
                    }
                    x ^= x << 13; // xorshift64
                    x ^= x >>> 7;
                    x ^= x << 17;
                    float u = ((x >>> 40) * 0x1p-24f) * 2 - 1;
                    b.putShort(DtypeConversion.floatToBf16(u * a));
                }
                b.flip();
                return b;
            }).toArray(ByteBuffer[]::new);
            for (ByteBuffer b : parts) {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A word-level tokenizer over {@code vocab} ids: "t&lt;id&gt;" words, the Llama special tokens, {@code <image>}. */
    private static void writeTokenizer(Path dir, int vocab, int imageToken) {
        List<String> words = new ArrayList<>(vocab);
        for (int i = 0; i < vocab; i++) {
            words.add(switch (i) {
                case 0 -> "<unk>";
                case 1 -> "<s>";
                case 2 -> "</s>";
                default -> i == imageToken ? "<image>" : "t" + i;
            });
        }
        WordLevelTokenizer tokenizer = WordLevelTokenizer.of(words).specials(0, 1, 2).keepCase();
        if (imageToken >= 0) {
            tokenizer.specials(imageToken);
        }
        tokenizer.write(dir);
    }
}
