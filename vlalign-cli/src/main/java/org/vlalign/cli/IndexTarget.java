package org.vlalign.cli;

import java.nio.file.Path;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.solr.SolrCloudImageIndex;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Where {@code vlalign index} and {@code vlalign search} keep images: a local index folder ({@code --index DIR},
 * an {@link ExactImageIndex}) or a SolrCloud collection ({@code --solr-zk ZK --collection NAME}, a {@link
 * SolrCloudImageIndex}).
 *
 * <p>Not thread-safe: it holds one parsed command line's values.
 *
 * @since 0.3.0
 */
final class IndexTarget {
    @Spec(Spec.Target.MIXEE) CommandSpec spec;

    @Option(names = "--index", paramLabel = "DIR", description = "A local index folder (default: the model's own"
            + " index in the vlalign cache, which 'vlalign index' and 'vlalign search' share without --index).")
    Path index;

    @Option(names = "--solr-zk", paramLabel = "ZK", description = "Instead of --index: the ZooKeeper address of a"
            + " SolrCloud cluster, host:port[,host:port...][/chroot] (with --collection).")
    String zkHost;

    @Option(names = "--collection", paramLabel = "NAME", description = "The SolrCloud collection (created if missing).")
    String collection;

    @Option(names = "--shards", paramLabel = "N", defaultValue = "1",
            description = "Shards of a new SolrCloud collection (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "1",
            description = "Replicas per shard of a new SolrCloud collection (default: ${DEFAULT-VALUE}).")
    int replicas;

    /** Fails with a usage error unless exactly one target is given completely. */
    void check() {
        if (index != null && zkHost != null) {
            throw new ParameterException(spec.commandLine(),
                    "give either --index DIR or --solr-zk ZK --collection NAME, not both");
        }
        if (zkHost == null && collection != null) {
            throw new ParameterException(spec.commandLine(), "--collection goes with --solr-zk ZK");
        }
        if (zkHost != null && collection == null) {
            throw new ParameterException(spec.commandLine(), "--solr-zk needs --collection NAME");
        }
        if (shards < 1 || replicas < 1) {
            throw new ParameterException(spec.commandLine(), "--shards and --replicas must be at least 1");
        }
    }

    boolean isLocal() {
        return zkHost == null;
    }

    /** The local folder, absolute: {@code --index}, or the model's own index for {@code space}. */
    Path dir(EmbeddingSpace space) {
        return index != null ? index.toAbsolutePath().normalize() : DefaultIndex.folder(space);
    }

    /** Opens the target for a space, for writing. */
    ImageIndex open(EmbeddingSpace space) {
        if (isLocal()) {
            return ExactImageIndex.open(dir(space), space);
        }
        return SolrCloudImageIndex.connect(zkHost, collection, space,
                SolrCloudImageIndex.Settings.defaults().withLayout(shards, replicas));
    }

    /**
     * Opens the target for a space, for reading: a local index's last commit without the writer's lock, so a
     * search runs while {@code vlalign index} writes.
     */
    ImageIndex openForReading(EmbeddingSpace space) {
        return isLocal() ? ExactImageIndex.openReadOnly(dir(space), space) : open(space);
    }

    /** The target as the user typed it, for messages. */
    String asArgument() {
        return !isLocal() ? " --solr-zk " + zkHost + " --collection " + collection
                : index != null ? " --index " + index : "";
    }

    /** The target, for messages. */
    String describe(EmbeddingSpace space) {
        return isLocal() ? dir(space).toString() : "SolrCloud collection " + collection + " at " + zkHost;
    }
}
