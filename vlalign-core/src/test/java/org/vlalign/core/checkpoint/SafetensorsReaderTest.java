package org.vlalign.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.InvalidArgumentException;

class SafetensorsReaderTest {

    @TempDir
    Path tmp;

    /** Writes a file with an explicit header and data area. */
    private Path raw(String name, long declaredHeaderLength, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredHeaderLength).put(h);
        Path p = tmp.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private Path raw(String name, String header, int dataBytes) throws IOException {
        return raw(name, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private CheckpointException fails(Path p) {
        return assertThrows(CheckpointException.class, () -> SafetensorsReader.open(p).close());
    }

    @Test
    void should_round_trip_f32_i64_and_metadata() {
        Path p = tmp.resolve("a.safetensors");
        float[] w = {1.5f, -2f, 3.25f, 0f, 7f, -1e-3f};
        long[] ids = {1, -2, Long.MAX_VALUE};
        SafetensorsWriter.create().metadata("format", "pt").addF32("w", w, 2, 3).addI64("ids", ids, 3).write(p);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            assertEquals(Map.of("format", "pt"), r.metadata());
            assertArrayEquals(w, r.readFloats("w"));
            assertArrayEquals(ids, r.readLongs("ids"));
            assertArrayEquals(new long[] {2, 3}, r.info("w").shape());
            assertEquals("F32", r.info("w").dtype());
            assertEquals(24, r.info("w").byteLength());
        }
    }

    @Test
    void should_write_plain_java_tensors_with_metadata() {
        Path p = tmp.resolve("plain.safetensors");
        Map<String, SafetensorsWriter.F32> tensors = new java.util.LinkedHashMap<>();
        tensors.put("weight", new SafetensorsWriter.F32(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        tensors.put("bias", new SafetensorsWriter.F32(new float[] {-1, 1}, 2));
        SafetensorsWriter.writeF32(p, tensors, Map.of("kind", "linear"));
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            assertEquals("linear", r.metadata().get("kind"));
            assertArrayEquals(new long[] {3, 2}, r.info("weight").shape());
            assertArrayEquals(new float[] {-1, 1}, r.readFloats("bias"));
            assertEquals(0, (r.info("weight").offset() - 8) % 8, "data area is 8-byte aligned");
        }
        assertThrows(InvalidArgumentException.class, () -> SafetensorsWriter.writeF32(p,
                Map.of("w", new SafetensorsWriter.F32(new float[3], 2, 2)), Map.of()));
    }

    @Test
    void should_read_bf16_and_f16_within_rounding() {
        Path p = tmp.resolve("h.safetensors");
        float[] w = {1f, -0.333333f, 65504f, 1e-6f, 123.456f, -7.5f};
        SafetensorsWriter.create().addBf16("b", w, 6).addF16("h", w, 6).write(p);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            float[] b = r.readFloats("b");
            float[] h = r.readFloats("h");
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], b[i], Math.abs(w[i]) * 0x1p-8 + 1e-30, "bf16 element " + i);
                // fp16: 11 significant bits for normals; 1e-6 is subnormal (spacing 2^-24)
                assertEquals(w[i], h[i], Math.max(Math.abs(w[i]) * 0x1p-11, 0x1p-25), "f16 element " + i);
            }
        }
    }

    @Test
    void should_fail_when_file_is_shorter_than_the_length_field() throws IOException {
        Path p = tmp.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void should_fail_when_header_length_exceeds_file() throws IOException {
        Path p = raw("long.safetensors", 5000, "{}", 0);
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("5000") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void should_fail_without_allocating_when_header_length_is_huge() throws IOException {
        Path p = raw("huge.safetensors", Long.MAX_VALUE - 3, "{}", 0);
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("declares a header of"), e.getMessage());
        Path p2 = raw("huge2.safetensors", 200_000_000L, "{}", 0);
        assertTrue(fails(p2).getMessage().contains(String.valueOf(SafetensorsReader.MAX_HEADER_BYTES)));
    }

    @Test
    void should_fail_on_invalid_json() throws IOException {
        assertTrue(fails(raw("bad.safetensors", "{\"w\": {\"dtype\": ", 0)).getMessage().contains("not valid JSON"));
        assertTrue(fails(raw("arr.safetensors", "[1, 2]", 0)).getMessage().contains("must be a JSON object"));
        String trailing = fails(raw("trail.safetensors", "{} {}", 0)).getMessage();
        assertTrue(trailing.contains("trailing") || trailing.contains("not valid JSON"), trailing);
    }

    @Test
    void should_fail_on_unknown_dtype_naming_it_and_the_tensor() throws IOException {
        Path p = raw("dt.safetensors", "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("'Q4'") && e.getMessage().contains("'w'") && e.getMessage().contains("BF16"),
                e.getMessage());
    }

    @Test
    void should_fail_on_overlapping_offsets() throws IOException {
        Path p = raw("ov.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("overlap") && e.getMessage().contains("'a'") && e.getMessage().contains("'b'"),
                e.getMessage());
    }

    @Test
    void should_fail_on_offsets_outside_the_data_area() throws IOException {
        Path p = raw("out.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("outside the data area of 8 bytes") && e.getMessage().contains("'a'"),
                e.getMessage());
        Path p2 = raw("rev.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[6,2]}}", 8);
        assertTrue(fails(p2).getMessage().contains("outside"));
    }

    @Test
    void should_fail_when_byte_length_does_not_match_shape() throws IOException {
        Path p = raw("size.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("needs 12 bytes") && e.getMessage().contains("hold 8"), e.getMessage());
    }

    @Test
    void should_fail_on_negative_or_overflowing_dims() throws IOException {
        Path neg = raw("neg.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
        assertTrue(fails(neg).getMessage().contains("shape[0]"));
        Path big = raw("big.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387903,"
                + "4611686018427387903],\"data_offsets\":[0,4]}}", 4);
        assertTrue(fails(big).getMessage().contains("more elements than a long"));
        Path frac = raw("frac.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4);
        assertTrue(fails(frac).getMessage().contains("non-negative integer"));
    }

    @Test
    void should_fail_on_malformed_entries() throws IOException {
        assertTrue(fails(raw("e1.safetensors", "{\"a\": 3}", 0)).getMessage().contains("entry must be an object"));
        assertTrue(fails(raw("e2.safetensors", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4))
                .getMessage().contains("'shape'"));
        assertTrue(fails(raw("e3.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4))
                .getMessage().contains("data_offsets"));
    }

    @Test
    void should_name_similar_tensors_when_one_is_missing() {
        Path p = tmp.resolve("m.safetensors");
        SafetensorsWriter.create().addF32("model.norm.weight", new float[] {1}, 1).write(p);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> r.info("model.norm.bias"));
            assertTrue(e.getMessage().contains("model.norm.weight"), e.getMessage());
        }
    }

    @Test
    void should_refuse_a_hostile_shape_array_without_building_it() throws IOException {
        // 40 million dimensions of 1, an 80 MB header under the 100 MB cap (the case that once ran the heap
        // out after 43 s): the product is 1, so only a bound on the dimensions stops it. The file is streamed,
        // so the test itself never holds the header.
        int dims = 40_000_000;
        byte[] head = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.US_ASCII);
        byte[] moreDims = ",1".repeat(32 * 1024).getBytes(StandardCharsets.US_ASCII);
        long headerLength = head.length + 2L * (dims - 1) + tail.length;
        assertTrue(headerLength < SafetensorsReader.MAX_HEADER_BYTES, "header of " + headerLength + " bytes");
        Path p = tmp.resolve("dims.safetensors");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(p), 1 << 16)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array());
            out.write(head);
            for (long left = 2L * (dims - 1); left > 0; left -= moreDims.length) {
                out.write(moreDims, 0, (int) Math.min(left, moreDims.length));
            }
            out.write(tail);
            out.write(new byte[4]); // the tensor's data
        }
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("more than " + SafetensorsReader.MAX_DIMS + " elements"), e.getMessage());
    }

    @Test
    void should_refuse_a_duplicate_tensor_key() throws IOException {
        Path p = raw("dup.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("'a' twice"), e.getMessage());
    }

    @Test
    void should_refuse_a_dimension_with_a_huge_exponent_without_expanding_it() throws IOException {
        // 429E49672964 is 12 characters; as an integer it would have about 50 million digits
        Path p = raw("exp.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[429E49672964],\"data_offsets\":[0,4]}}",
                4);
        CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> fails(p));
        assertTrue(e.getMessage().contains("429E49672964") && e.getMessage().contains("outside"), e.getMessage());
        Path fraction = raw("frac.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}",
                4);
        assertTrue(fails(fraction).getMessage().contains("must be a non-negative integer"));
    }

    @Test
    void should_refuse_bytes_after_the_last_tensor() throws IOException {
        Path p = raw("tail.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                4 + 1000);
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("last 1000 bytes"), e.getMessage());
    }

    @Test
    void should_refuse_a_gap_between_tensors() throws IOException {
        Path p = raw("gap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
        CheckpointException e = fails(p);
        assertTrue(e.getMessage().contains("data bytes 4..8") && e.getMessage().contains("'b'"), e.getMessage());
    }

    @Test
    void should_accept_empty_tensors_and_metadata_between_entries() throws IOException {
        Path p = raw("empty.safetensors", "{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"shape\":[1],\"dtype\":\"F32\",\"data_offsets\":[0,4]}}  ", 4);
        try (SafetensorsReader r = SafetensorsReader.open(p)) {
            assertEquals(2, r.tensors().size());
            assertEquals(Map.of("format", "pt"), r.metadata());
        }
    }
}
