package org.vlalign.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlModel;
import org.vlalign.defaultmodel.DefaultModel;
import org.vlalign.torch.TorchModels;

/**
 * The models of this JVM: each executor loads a model once, on its first task, and every later task and
 * every concurrent task slot shares it ({@link VlModel} is thread-safe). Models stay loaded for the life
 * of the executor and are closed when the JVM exits.
 *
 * <p>Threads: an executor runs {@code spark.executor.cores / spark.task.cpus} tasks at once, so each
 * model call gets {@code spark.task.cpus} intra-op threads and the executor's cores are used exactly once.
 * That is set through DJL's {@code ai.djl.pytorch.num_threads} before the first model of the JVM loads,
 * unless the user set it (for example in {@code spark.executor.extraJavaOptions}).
 *
 * <p>Thread-safe.
 */
final class ExecutorModels {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
    static final String NUM_THREADS = "ai.djl.pytorch.num_threads";
    static final String NUM_INTEROP_THREADS = "ai.djl.pytorch.num_interop_threads";
    private static final Map<String, VlModel> MODELS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "vlalign-executor-models"));
    }

    private ExecutorModels() {}

    /**
     * The model of this JVM for a folder, loading it on first use.
     *
     * @param folder a model folder readable on every executor, or null for vlalign's default model
     * @return the shared model; never close it
     */
    static VlModel get(String folder) {
        return MODELS.computeIfAbsent(folder == null ? "" : folder, ExecutorModels::load);
    }

    private static VlModel load(String folder) {
        matchThreadsToTaskCpus();
        if (folder.isEmpty()) {
            return DefaultModel.load();
        }
        Path dir = Path.of(folder);
        if (!Files.isDirectory(dir)) {
            throw new InvalidArgumentException(
                    "model folder " + folder + " is not a folder on executor host; put the model on a path every"
                            + " executor can read (a shared file system, or --files/--archives of spark-submit)");
        }
        return TorchModels.load(dir);
    }

    private static void matchThreadsToTaskCpus() {
        TaskContext task = TaskContext.get();
        int cpus = task == null ? 1 : Math.max(1, task.cpus());
        if (System.getProperty(NUM_THREADS) == null) {
            System.setProperty(NUM_THREADS, Integer.toString(cpus));
        }
        if (System.getProperty(NUM_INTEROP_THREADS) == null) {
            System.setProperty(NUM_INTEROP_THREADS, "1");
        }
        LOG.info("Loading the model with {}={} ({} cpus per task)", NUM_THREADS, System.getProperty(NUM_THREADS), cpus);
    }

    private static void closeAll() {
        for (VlModel m : MODELS.values()) {
            try {
                m.close();
            } catch (RuntimeException e) {
                // the JVM is exiting; nothing else holds the model
            }
        }
        MODELS.clear();
    }
}
