package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.io.file.PathUtils;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.cli.CliRunner.Result;

/** {@code vlalign index} and {@code vlalign search} against a real SolrCloud collection (one node, loopback). */
class SolrCloudCommandTest {
    private static Path base;
    private static MiniSolrCloudCluster cluster;

    @TempDir Path tmp;

    @BeforeAll
    static void startCluster() throws Exception {
        base = Files.createTempDirectory("vlalign-cli-solr");
        cluster = new MiniSolrCloudCluster.Builder(1, base).withTraceIdGenerationDisabled().build();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.shutdown();
        }
        PathUtils.deleteDirectory(base);
    }

    @Test
    void should_index_search_and_resume_in_a_collection() throws Exception {
        FakeVlModel.reset();
        Path model = FakeModelProvider.writeCheckpoint(tmp.resolve("model"), false);
        Path photos = tmp.resolve("photos");
        TestImages.png(photos.resolve("red.png"), Color.RED);
        TestImages.png(photos.resolve("sub/green.png"), Color.GREEN);
        TestImages.png(photos.resolve("blue.png"), Color.BLUE);
        TestImages.corruptJpeg(photos.resolve("broken.jpg"));
        String zk = cluster.getZkServer().getZkAddress();

        Result indexed = CliRunner.run("index", "--model", model.toString(), "--solr-zk", zk, "--collection", "photos",
                photos.toString());
        assertEquals(0, indexed.exitCode(), indexed.toString());
        assertTrue(indexed.out().contains("Indexed 3 new or changed images, 0 unchanged, 1 skipped"), indexed.toString());
        assertTrue(indexed.out().contains("SolrCloud collection photos"), indexed.toString());

        Result red = CliRunner.run("search", "--model", model.toString(), "--solr-zk", zk, "--collection", "photos",
                "-k", "2", "a", "red", "picture");
        assertEquals(0, red.exitCode(), red.toString());
        assertTrue(red.out().strip().split("\\R")[0].contains("red.png"), red.toString());

        Result again = CliRunner.run("index", "--model", model.toString(), "--solr-zk", zk, "--collection", "photos",
                photos.toString());
        assertTrue(again.out().contains("Indexed 0 new or changed images, 3 unchanged"), again.toString());
    }

    @Test
    void should_exit_2_when_two_targets_or_half_a_target_are_given() {
        // no target at all is the model's own local index (see DefaultModelCliTest), not a usage error
        Result both = CliRunner.run("search", "--index", "x.idx", "--solr-zk", "127.0.0.1:1", "--collection", "c", "red");
        assertEquals(2, both.exitCode(), both.toString());
        Result collectionOnly = CliRunner.run("search", "--collection", "c", "red");
        assertEquals(2, collectionOnly.exitCode(), collectionOnly.toString());
        Result noCollection = CliRunner.run("index", "--solr-zk", "127.0.0.1:1", "photos");
        assertEquals(2, noCollection.exitCode(), noCollection.toString());
        assertTrue(noCollection.err().contains("--collection"), noCollection.toString());
    }
}
