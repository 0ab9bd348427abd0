package org.vlalign.core.index;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.vlalign.VlalignException;
import org.vlalign.core.TemporaryFolders;

/**
 * Fuzzes the exact index's manifest and segment readers: any file content either reads as a valid
 * manifest or segment or fails with a {@link VlalignException} (in practice {@code
 * IndexCorruptedException}); any other throwable, an out-of-memory or a hang is a finding.
 *
 * <p>Every file ends with a CRC32C and an end marker, which random mutations would almost never match.
 * So that the fuzzer reaches the parsers behind the checksum, each target treats its input as the
 * file's body and appends the correct footer itself; for a segment it also makes the manifest's entry
 * agree with the file (length, checksum, image count), as an attacker who rewrites both could.
 * Checksum mismatches are covered by {@code ExactImageIndexTest}.
 *
 * <p>Without {@code JAZZER_FUZZ=1} this replays the seeds in {@code
 * ExactIndexFilesFuzzTestInputs/<method>}: bodies of files a real index wrote, and every crash found.
 */
class ExactIndexFilesFuzzTest {
    private static final int END_MAGIC = 0x444E4556; // "VEND"
    private static final Path DIR = tempDir();

    /** The folder holds the last inputs written: {@code deleteOnExit} cannot remove a folder that is not empty. */
    @AfterAll
    static void deleteFolder() {
        TemporaryFolders.deleteQuietly(DIR);
    }

    @FuzzTest(maxDuration = "60s")
    void fuzz_manifest(byte[] body) throws IOException {
        Files.write(DIR.resolve(ExactIndexFiles.MANIFEST), withFooter(body));
        try {
            ExactIndexFiles.readManifest(DIR);
        } catch (VlalignException expected) {
            // the contract: a typed failure naming the damaged file
        }
    }

    @FuzzTest(maxDuration = "60s")
    void fuzz_segment(byte[] body) throws IOException {
        byte[] file = withFooter(body);
        String name = ExactIndexFiles.segmentName(0);
        Files.write(DIR.resolve(name), file);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int dim = file.length >= 12 ? b.getInt(8) : 1;
        int count = file.length >= 16 ? b.getInt(12) : 0;
        int crc = b.getInt(file.length - 8);
        // deletion bits up to the claimed count, so that valid segments also exercise them
        long[] deleted = count > 0 && count <= 64 ? new long[] {1L << (count - 1)} : new long[0];
        ExactIndexFiles.SegmentRef ref = new ExactIndexFiles.SegmentRef(name, file.length, crc, count, deleted);
        ExactSegment seg;
        try {
            seg = ExactIndexFiles.readSegment(DIR, ref, dim);
        } catch (VlalignException expected) {
            return; // the contract: a typed failure naming the damaged file
        }
        if (seg.count != count || seg.rowStart[seg.count] != seg.rows || seg.vectors.length < seg.rows * dim) {
            throw new AssertionError("segment read inconsistently: count " + seg.count + ", rows " + seg.rows
                    + ", row starts " + Arrays.toString(Arrays.copyOf(seg.rowStart, seg.count + 1)));
        }
    }

    private static byte[] withFooter(byte[] body) {
        CRC32C crc = new CRC32C();
        crc.update(body);
        return ByteBuffer.allocate(body.length + 8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .put(body)
                .putInt((int) crc.getValue())
                .putInt(END_MAGIC)
                .array();
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("fuzz-index");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
