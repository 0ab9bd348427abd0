package org.vlalign.torch.internal.qformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;
import org.vlalign.torch.internal.blip2.Blip2Config;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;

class QFormerModelTest {
    @TempDir Path tmp;

    /** Writes a tiny checkpoint of {@code kind} and loads it; the caller closes the extractor. */
    private BlipFeatureExtractor loadTiny(Kind kind, long seed, int crossAttentionFrequency) {
        return BlipFeatureExtractor.load(TinyBlip.write(tmp.resolve(kind.name()), kind, seed, crossAttentionFrequency));
    }

    private static NDArray vision(NDManager m, int batch) {
        // (batch, 1 + patches, visionHidden)
        int patches = (TinyBlip.IMAGE / TinyBlip.PATCH)
                * (TinyBlip.IMAGE / TinyBlip.PATCH);
        return m.randomNormal(new Shape(batch, patches + 1, TinyBlip.VISION_HIDDEN));
    }

    @Test
    void should_give_the_same_query_rows_when_the_instruction_is_padded() {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.INSTRUCTBLIP, 51, 1);
                NDManager call = extractor.newCallManager()) {
            NDArray states = vision(call, 1);
            long[][] ids = {{2, 10, 11, 12, 3}};
            long[][] padded = {{2, 10, 11, 12, 3, 0, 0, 0}};
            long[][] mask = {{1, 1, 1, 1, 1, 0, 0, 0}};
            int q = TinyBlip.QUERIES;
            float[] plain = extractor.qformerOutput(call, states, ids, null).get(":, :{}, :", q).toFloatArray();
            float[] withPads = extractor.qformerOutput(call, states, padded, mask).get(":, :{}, :", q).toFloatArray();
            for (int i = 0; i < plain.length; i++) {
                assertEquals(plain[i], withPads[i], 1e-5, "index " + i);
            }
            // but the text does change the queries: self-attention mixes them
            float[] other = extractor.qformerOutput(call, states, new long[][] {{2, 20, 21, 3}}, null)
                    .get(":, :{}, :", q).toFloatArray();
            assertFalse(java.util.Arrays.equals(plain, other));
        }
    }

    @Test
    void should_refuse_text_when_the_checkpoint_has_no_text_input() {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.BLIP2_MODEL, 52, 2);
                NDManager call = extractor.newCallManager()) {
            assertFalse(extractor.qformer().acceptsText());
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> extractor.qformerOutput(call, vision(call, 1), new long[][] {{2, 3}}, null));
            assertTrue(e.getMessage().contains("word embeddings"), e.getMessage());
        }
    }

    @Test
    void should_reject_ids_outside_the_vocabulary_and_texts_longer_than_the_positions() {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.INSTRUCTBLIP, 53, 2);
                NDManager call = extractor.newCallManager()) {
            NDArray states = vision(call, 1);
            int vocab = TinyBlip.qformerVocab();
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> extractor.qformerOutput(call, states, new long[][] {{2, vocab}}, null));
            assertTrue(e.getMessage().contains(String.valueOf(vocab)), e.getMessage());
            long[][] tooLong = new long[1][TinyBlip.QFORMER_MAX_POSITIONS + 1];
            assertThrows(InvalidArgumentException.class, () -> extractor.qformerOutput(call, states, tooLong, null));
        }
    }

    @Test
    void should_expect_cross_attention_weights_only_every_frequency_layers() {
        // written with frequency 2: layer 1 has no crossattention weights, which loads fine
        Path dir = TinyBlip.write(tmp.resolve("f2"), Kind.BLIP2_MODEL, 54, 2);
        try (TorchCheckpoint c = TorchCheckpoint.open(dir)) {
            assertFalse(c.has("qformer.encoder.layer.1.crossattention.attention.query.weight"));
            Blip2Config config = Blip2Config.fromJson(c.config());
            assertEquals(2, config.qformer().crossAttentionFrequency());
            try (NDManager m = NDManager.newBaseManager()) {
                QFormerModel.load(c, config.qformer(), m);
                // a config asking for cross-attention in every layer names the missing weight
                QFormerConfig every = new QFormerConfig(
                        config.qformer().vocabSize(), config.qformer().hiddenSize(),
                        config.qformer().numHiddenLayers(), config.qformer().numAttentionHeads(),
                        config.qformer().intermediateSize(), config.qformer().maxPositionEmbeddings(),
                        config.qformer().layerNormEps(), 1, config.qformer().encoderHiddenSize(),
                        config.qformer().useQformerTextInput(), config.qformer().padTokenId());
                CheckpointException e = assertThrows(CheckpointException.class, () -> QFormerModel.load(c, every, m));
                assertTrue(e.getMessage().contains("qformer.encoder.layer.1.crossattention"), e.getMessage());
            }
        }
    }
}
