package org.vlalign.core.image;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal safetensors reader for tests (core cannot use torch's reader): F32 and U8 tensors as
 * plain arrays.
 */
final class TestSafetensors {
    /** One tensor: its dtype, shape and raw little-endian bytes. */
    record Tensor(String dtype, long[] shape, byte[] raw) {
        float[] floats() {
            if (!dtype.equals("F32")) {
                throw new IllegalStateException("not F32 but " + dtype);
            }
            float[] out = new float[raw.length / 4];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        int[] unsignedBytes() {
            if (!dtype.equals("U8")) {
                throw new IllegalStateException("not U8 but " + dtype);
            }
            int[] out = new int[raw.length];
            for (int i = 0; i < raw.length; i++) {
                out[i] = raw[i] & 0xFF;
            }
            return out;
        }
    }

    private TestSafetensors() {}

    static Map<String, Tensor> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong(0);
        if (headerLength <= 0 || headerLength > all.length - 8) {
            throw new IOException("bad safetensors header length " + headerLength + " in " + file);
        }
        String header = new String(all, 8, (int) headerLength, StandardCharsets.UTF_8);
        JsonObject root = JsonParser.parseString(header).getAsJsonObject();
        int dataStart = 8 + (int) headerLength;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonObject t = e.getValue().getAsJsonObject();
            var shapeJson = t.getAsJsonArray("shape");
            long[] shape = new long[shapeJson.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeJson.get(i).getAsLong();
            }
            var offsets = t.getAsJsonArray("data_offsets");
            int begin = offsets.get(0).getAsInt();
            int end = offsets.get(1).getAsInt();
            byte[] raw = new byte[end - begin];
            System.arraycopy(all, dataStart + begin, raw, 0, raw.length);
            out.put(e.getKey(), new Tensor(t.get("dtype").getAsString(), shape, raw));
        }
        return out;
    }
}
