package org.vlalign.parity;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.vlalign.CheckpointException;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * One parity case folder: {@code case.json}, the model checkpoint, {@code inputs.safetensors} and
 * {@code expected.safetensors}.
 *
 * <p>Files are opened lazily and closed by {@link #close}. Not thread-safe.
 *
 * @since 0.1.0
 */
public final class ParityCase implements AutoCloseable {

    /** How a tensor is compared. */
    public record Tolerance(double atol, double rtol, boolean exact) {}

    private final Path dir;
    private final JsonObject caseJson;
    private TorchCheckpoint model;
    private Checkpoint inputs;
    private Checkpoint expected;

    private ParityCase(Path dir, JsonObject caseJson) {
        this.dir = dir;
        this.caseJson = caseJson;
    }

    /**
     * Reads {@code case.json}.
     *
     * @param dir the case folder
     * @return the case; close it
     * @throws CheckpointException if {@code case.json} is missing or invalid
     */
    public static ParityCase open(Path dir) {
        Path file = dir.resolve("case.json");
        try {
            JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new CheckpointException(file + " must hold a JSON object");
            }
            return new ParityCase(dir, e.getAsJsonObject());
        } catch (IOException | RuntimeException e) {
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException("cannot read parity case " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The case folder.
     *
     * @return the folder
     */
    public Path dir() {
        return dir;
    }

    /**
     * The case name: {@code name} in case.json, else the folder name.
     *
     * @return the name
     */
    public String name() {
        return HfConfigs.getString(caseJson, "name", dir.getFileName().toString());
    }

    /**
     * The case kind.
     *
     * @return {@code kind} from case.json, or {@code "?"} when absent
     */
    public String kind() {
        return HfConfigs.getString(caseJson, "kind", "?");
    }

    /**
     * The parsed case.json.
     *
     * @return a deep copy
     */
    public JsonObject caseJson() {
        return caseJson.deepCopy();
    }

    /**
     * The model checkpoint in the folder.
     *
     * @return the checkpoint, opened on first use
     */
    public TorchCheckpoint model() {
        if (model == null) {
            model = TorchCheckpoint.open(dir);
        }
        return model;
    }

    private Checkpoint inputs() {
        if (inputs == null && Files.exists(dir.resolve("inputs.safetensors"))) {
            inputs = Checkpoint.openFile(dir.resolve("inputs.safetensors"));
        }
        return inputs;
    }

    private Checkpoint expectedFile() {
        if (expected == null && Files.exists(dir.resolve("expected.safetensors"))) {
            expected = Checkpoint.openFile(dir.resolve("expected.safetensors"));
        }
        return expected;
    }

    /**
     * Whether an input or expected tensor exists.
     *
     * @param name the tensor
     * @return true if {@code inputs.safetensors} or {@code expected.safetensors} holds it
     */
    public boolean hasTensor(String name) {
        return (inputs() != null && inputs().has(name)) || (expectedFile() != null && expectedFile().has(name));
    }

    private Checkpoint holder(String name) {
        if (inputs() != null && inputs().has(name)) {
            return inputs();
        }
        if (expectedFile() != null && expectedFile().has(name)) {
            return expectedFile();
        }
        throw new CheckpointException("parity case " + dir + " has no tensor '" + name
                + "' in inputs.safetensors or expected.safetensors");
    }

    /**
     * A tensor's info (inputs first, then expected).
     *
     * @param name the tensor
     * @return its dtype and shape
     */
    public TensorInfo info(String name) {
        return holder(name).info(name);
    }

    /**
     * A tensor's shape.
     *
     * @param name the tensor
     * @return the shape
     */
    public long[] shape(String name) {
        return info(name).shape();
    }

    /**
     * A float tensor's values (inputs first, then expected); integer tensors are widened.
     *
     * @param name the tensor
     * @return row-major values
     */
    public float[] floats(String name) {
        Checkpoint c = holder(name);
        if (c.info(name).type().isFloat()) {
            return c.loadFloats(name);
        }
        long[] l = c.loadLongs(name);
        float[] f = new float[l.length];
        for (int i = 0; i < l.length; i++) {
            f[i] = l[i];
        }
        return f;
    }

    /**
     * An integer tensor's values (inputs first, then expected).
     *
     * @param name the tensor
     * @return row-major values
     */
    public long[] longs(String name) {
        return holder(name).loadLongs(name);
    }

    /**
     * An integer tensor as a matrix, for 2-D tensors.
     *
     * @param name the tensor
     * @return {@code [rows][cols]}
     */
    public long[][] matrix(String name) {
        long[] shape = shape(name);
        long[] flat = longs(name);
        int rows = (int) shape[0];
        int cols = shape.length > 1 ? flat.length / Math.max(1, rows) : 1;
        long[][] m = new long[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(flat, i * cols, m[i], 0, cols);
        }
        return m;
    }

    /**
     * The names of every expected tensor: the keys of {@code expected} in case.json and the tensors of
     * {@code expected.safetensors}.
     *
     * @return the names in case.json order
     */
    public Set<String> expectedNames() {
        Set<String> names = new LinkedHashSet<>(HfConfigs.subConfig(caseJson, "expected").keySet());
        if (expectedFile() != null) {
            names.addAll(expectedFile().tensorNames());
        }
        return names;
    }

    /**
     * The description of an expected tensor in case.json.
     *
     * @param name the tensor
     * @return its object (dtype, shape, tolerance, ...), empty if absent
     */
    public JsonObject expectedMeta(String name) {
        return HfConfigs.subConfig(HfConfigs.subConfig(caseJson, "expected"), name);
    }

    /**
     * The tolerance of an expected tensor: {@code exact} ids, or {@code atol + rtol·|expected|}
     * (1e-4 each when case.json gives none).
     *
     * @param name the tensor
     * @return the tolerance
     */
    public Tolerance tolerance(String name) {
        JsonObject meta = expectedMeta(name);
        JsonObject tol = HfConfigs.subConfig(meta, "tolerance");
        String dtype = HfConfigs.getString(meta, "dtype", "");
        boolean exact = HfConfigs.getBoolean(tol, "exact", dtype.startsWith("int") || dtype.startsWith("uint"));
        return new Tolerance(HfConfigs.getDouble(tol, "atol", 1e-4), HfConfigs.getDouble(tol, "rtol", 1e-4), exact);
    }

    /**
     * The generate calls listed in case.json.
     *
     * @return each call object ({@code id}, {@code kwargs}, ...)
     */
    public List<JsonObject> calls() {
        List<JsonObject> out = new ArrayList<>();
        JsonElement calls = caseJson.get("calls");
        if (calls != null && calls.isJsonArray()) {
            for (JsonElement e : calls.getAsJsonArray()) {
                if (e.isJsonObject()) {
                    out.add(e.getAsJsonObject());
                }
            }
        }
        return out;
    }

    /**
     * The call that produced an expected tensor: the call whose {@code id}, split at {@code /}, names it.
     *
     * @param tensor the expected tensor
     * @return the call, if any
     */
    public Optional<JsonObject> callFor(String tensor) {
        for (JsonObject c : calls()) {
            for (String id : HfConfigs.getString(c, "id", "").split("\\s*/\\s*")) {
                if (id.trim().equals(tensor)) {
                    return Optional.of(c);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[] {model, inputs, expected}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot close " + c, e);
                }
            }
        }
    }
}
