package org.vlalign.solr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.solr.client.solrj.impl.Http2SolrClient;
import org.apache.solr.client.solrj.request.QueryRequest;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.common.cloud.Replica;
import org.apache.solr.common.cloud.Slice;
import org.apache.solr.common.params.ModifiableSolrParams;
import org.apache.solr.embedded.JettySolrRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.core.contract.AbstractImageIndexContractTest;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.core.index.IndexTestData;

/**
 * {@link SolrCloudImageIndex} on a real SolrCloud: three Solr nodes and an embedded ZooKeeper in this JVM
 * ({@link MiniSolrCloudCluster}), listening on loopback only. One cluster serves every test of the class.
 */
class SolrCloudImageIndexTest {
    private static final long SEED = 1717L;
    private static final int DIM = 256;
    private static final int IMAGES = 500;
    private static final int VECTORS = 32;
    private static final EmbeddingSpace SPACE = new EmbeddingSpace("blip-2", "fp-solr", "224 bicubic", 64);

    private static Path base;
    private static MiniSolrCloudCluster cluster;
    private static final AtomicInteger COLLECTIONS = new AtomicInteger();

    @BeforeAll
    static void startCluster() throws Exception {
        base = Files.createTempDirectory("vlalign-solr");
        cluster = new MiniSolrCloudCluster.Builder(3, base).withTraceIdGenerationDisabled().build();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        try {
            if (cluster != null) {
                cluster.shutdown();
            }
        } finally {
            // a node that fails to stop (seen under heavy load) must not leave the cluster's data in the temp folder
            org.apache.commons.io.file.PathUtils.deleteDirectory(base);
        }
    }

    static String zkHost() {
        return cluster.getZkServer().getZkAddress();
    }

    static String newCollection(String prefix) {
        return prefix + "-" + COLLECTIONS.incrementAndGet();
    }

    /** The image index contract, each test on a fresh collection of 2 shards × 1 replica. */
    @Nested
    class Contract extends AbstractImageIndexContractTest {
        @Override
        protected ImageIndex newIndex(EmbeddingSpace space) {
            return SolrCloudImageIndex.connect(
                    zkHost(), newCollection("contract"), space, SolrCloudImageIndex.Settings.defaults()
                            .withLayout(2, 1).withBatchSize(7));
        }

        @Override
        protected boolean isExact() {
            return false;
        }
    }

    /**
     * The size, 500 images × 32 vectors of width 256, in the default suite: one to two minutes on
     * a 2-core machine, of which stopping and restarting a node about 10 s.
     */
    @Test
    void should_match_the_exact_index_at_500_images_of_32_vectors_and_survive_a_node_going_down() {
        checkAgainstExact(IMAGES, DIM);
    }

    private void checkAgainstExact(int count, int dim) {
        EmbeddingSpace space = new EmbeddingSpace("blip-2", "fp-solr", "224 bicubic", dim);
        String name = newCollection("images");
        SplittableRandom random = new SplittableRandom(SEED);
        Map<String, Features> images = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            images.put(String.format("img-%03d", i), IndexTestData.unitRows(VECTORS, dim, random));
        }
        // A planted image: one of its vectors is the query itself.
        Features plantedQuery = IndexTestData.unitRows(1, dim, random);
        float[] plantedRows = IndexTestData.unitRows(VECTORS, dim, random).data().clone();
        System.arraycopy(plantedQuery.data(), 0, plantedRows, 7 * dim, dim);
        images.put("planted", Features.of(plantedRows, VECTORS, dim));

        SolrCloudImageIndex.Settings settings = SolrCloudImageIndex.Settings.defaults().withLayout(3, 2);
        try (ExactImageIndex exact = ExactImageIndex.inMemory(space);
                SolrCloudImageIndex solr = SolrCloudImageIndex.connect(zkHost(), name, space, settings)) {
            for (Map.Entry<String, Features> e : images.entrySet()) {
                Map<String, String> meta = Map.of("source", "/photos/" + e.getKey() + ".jpg");
                exact.upsert(e.getKey(), e.getValue(), meta);
                solr.upsert(e.getKey(), e.getValue(), meta);
            }
            solr.commit();
            assertEquals(images.size(), solr.size());

            List<Features> queries = new ArrayList<>();
            for (int q = 0; q < 40; q++) {
                queries.add(q % 2 == 0 ? IndexTestData.unitRows(1, dim, random) : nearImage(images, dim, random));
            }
            List<List<SearchHit>> before = searchAll(solr, queries);
            double recall = recallAt10(exact, queries, before);
            System.out.printf(Locale.ROOT, "%d images x %d vectors of width %d on 3 shards x 2 replicas: Recall@10 %.3f"
                    + " over %d queries%n", images.size(), VECTORS, dim, recall, queries.size());
            assertTrue(recall >= 0.95, "Recall@10 " + recall + " < 0.95, seed " + SEED);
            for (int q = 0; q < queries.size(); q++) {
                for (SearchHit hit : before.get(q)) {
                    assertEquals(IndexTestData.score(images.get(hit.id()), queries.get(q).data()), hit.score(), 1e-4,
                            "exact max-sim of " + hit.id() + " for query " + q);
                }
            }

            List<SearchHit> planted = solr.search(plantedQuery, 10);
            float exactPlanted = exact.search(plantedQuery, 1).get(0).score();
            assertEquals("planted", planted.get(0).id());
            assertEquals(exactPlanted, planted.get(0).score(), 1e-4, "planted score against the exact max-sim");
            assertEquals(Map.of("source", "/photos/planted.jpg"), planted.get(0).metadata());
            stopANodeAndRestart(name, solr, exact, images, queries, before, dim, random);
        }
    }

    private void stopANodeAndRestart(String name, SolrCloudImageIndex solr, ExactImageIndex exact,
            Map<String, Features> images, List<Features> queries, List<List<SearchHit>> before, int dim,
            SplittableRandom random) {
        long t0 = System.nanoTime();
        long stoppedAt;
        try {
            // Stop the node that leads shard1, so that shard elects a new leader; every shard keeps one live
            // replica, so the answers must not change.
            String leaderNode =
                    cluster.getZkStateReader().getCollection(name).getSlice("shard1").getLeader().getNodeName();
            JettySolrRunner stopped = cluster.getJettySolrRunners().stream()
                    .filter(j -> leaderNode.equals(j.getNodeName()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no running node is " + leaderNode));
            cluster.stopJettySolrRunner(stopped);
            cluster.waitForJettyToStop(stopped);
            stoppedAt = System.nanoTime();
            waitForLiveLeaders(name);
            assertEquals(before, searchAll(solr, queries), "results with one node down");
            assertEquals(images.size(), solr.size());

            // Bring it back on its port (so under its node name, as a restarted server comes back), wait until
            // all six replicas are active again, then add images and query.
            cluster.startJettySolrRunner(stopped, true);
            cluster.waitForAllNodes(120);
            cluster.waitForActiveCollection(name, 120, TimeUnit.SECONDS, 3, 6);
            assertTrue(cluster.getZkStateReader().getCollection(name).getReplicas(leaderNode).size() > 0,
                    "the restarted node holds its replicas again");
        } catch (Exception e) {
            throw new AssertionError("stopping or restarting a node failed", e);
        }
        for (int i = 0; i < 20; i++) {
            Features rows = IndexTestData.unitRows(VECTORS, dim, random);
            String id = "late-" + i;
            images.put(id, rows);
            exact.upsert(id, rows, Map.of());
            solr.upsert(id, rows, Map.of());
        }
        Features lateQuery = Features.ofVector(images.get("late-3").row(11));
        solr.commit();
        assertEquals(images.size(), solr.size());
        List<SearchHit> late = solr.search(lateQuery, 5);
        assertEquals("late-3", late.get(0).id());
        assertEquals(1.0, late.get(0).score(), 1e-4);
        assertReplicasAgree(name, images.size());
        double after = recallAt10(exact, queries, searchAll(solr, queries));
        System.out.printf(Locale.ROOT, "node stop took %.1f s, restart to new images searched %.1f s;"
                        + " Recall@10 after the restart %.3f%n",
                (stoppedAt - t0) / 1e9, (System.nanoTime() - stoppedAt) / 1e9, after);
        assertTrue(after >= 0.95, "Recall@10 after the restart " + after + " < 0.95, seed " + SEED);
    }

    @Test
    void should_refuse_a_collection_built_with_another_model() {
        String name = newCollection("space");
        try (SolrCloudImageIndex index = SolrCloudImageIndex.connect(zkHost(), name, SPACE)) {
            index.upsert("a", IndexTestData.unitRows(2, SPACE.dimension(), new SplittableRandom(1)), Map.of());
            index.commit();
        }
        EmbeddingSpace other = new EmbeddingSpace("blip-2", "fp-other", "224 bicubic", SPACE.dimension());
        InvalidArgumentException e =
                assertThrows(InvalidArgumentException.class, () -> SolrCloudImageIndex.connect(zkHost(), name, other));
        assertTrue(e.getMessage().contains("fp-solr") && e.getMessage().contains("fp-other"), e.getMessage());
        try (SolrCloudImageIndex again = SolrCloudImageIndex.connect(zkHost(), name, SPACE)) {
            assertEquals(1, again.size(), "the same model reopens it");
        }
    }

    @Test
    void should_refuse_malformed_addresses_and_names() {
        assertThrows(InvalidArgumentException.class, () -> SolrCloudImageIndex.connect("", "c", SPACE));
        assertThrows(InvalidArgumentException.class, () -> SolrCloudImageIndex.connect("nohost", "c", SPACE));
        assertThrows(InvalidArgumentException.class, () -> SolrCloudImageIndex.connect(zkHost(), "bad name", SPACE));
        assertThrows(InvalidArgumentException.class, () -> SolrCloudImageIndex.connect(zkHost(), "_x", SPACE));
    }

    private static Features nearImage(Map<String, Features> images, int dim, SplittableRandom random) {
        List<Features> all = new ArrayList<>(images.values());
        float[] v = all.get(random.nextInt(all.size())).row(random.nextInt(VECTORS)).clone();
        float[] noise = IndexTestData.unitRows(1, dim, random).data();
        double norm = 0;
        for (int c = 0; c < dim; c++) {
            v[c] = v[c] + 0.8f * noise[c];
            norm += v[c] * v[c];
        }
        for (int c = 0; c < dim; c++) {
            v[c] = (float) (v[c] / Math.sqrt(norm));
        }
        return Features.ofVector(v);
    }

    private static List<List<SearchHit>> searchAll(ImageIndex index, List<Features> queries) {
        List<List<SearchHit>> out = new ArrayList<>();
        for (Features q : queries) {
            out.add(index.search(q, 10));
        }
        return out;
    }

    private static double recallAt10(ExactImageIndex exact, List<Features> queries, List<List<SearchHit>> got) {
        int found = 0;
        int total = 0;
        for (int q = 0; q < queries.size(); q++) {
            Set<String> truth = new HashSet<>();
            for (SearchHit h : exact.search(queries.get(q), 10)) {
                truth.add(h.id());
            }
            for (SearchHit h : got.get(q)) {
                found += truth.contains(h.id()) ? 1 : 0;
            }
            total += truth.size();
        }
        return (double) found / total;
    }

    /**
     * Asks every replica on its own (no distribution) how many images it holds: the replicas of a shard must agree,
     * so the restarted node caught up, and one replica per shard must add up to the whole collection.
     */
    private static void assertReplicasAgree(String collection, int images) {
        ModifiableSolrParams p = new ModifiableSolrParams();
        p.set("q", "type:image");
        p.set("rows", 0);
        p.set("distrib", false);
        long total = 0;
        for (Slice slice : cluster.getZkStateReader().getCollection(collection).getSlices()) {
            Set<Long> counts = new HashSet<>();
            for (Replica replica : slice.getReplicas()) {
                try (Http2SolrClient core = new Http2SolrClient.Builder(replica.getBaseUrl()).build()) {
                    counts.add(new QueryRequest(p).process(core, replica.getCoreName()).getResults().getNumFound());
                } catch (Exception e) {
                    throw new AssertionError("could not count the images of " + replica.getCoreUrl(), e);
                }
            }
            assertEquals(1, counts.size(), "the replicas of " + slice.getName() + " hold " + counts + " images");
            total += counts.iterator().next();
        }
        assertEquals(images, total, "images over all shards");
    }

    private static void waitForLiveLeaders(String collection) throws Exception {
        cluster.getZkStateReader().waitForState(collection, 60, TimeUnit.SECONDS, (nodes, state) -> {
            if (state == null) {
                return false;
            }
            for (Slice slice : state.getSlices()) {
                Replica leader = slice.getLeader();
                if (leader == null || !nodes.contains(leader.getNodeName()) || leader.getState() != Replica.State.ACTIVE) {
                    return false;
                }
            }
            return true;
        });
    }
}
