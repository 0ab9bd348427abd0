/**
 * The synthetic shapes world that the embedded default model of vlalign is trained on: a seeded,
 * random-access generator of small RGB images holding one to a few coloured shapes, together with
 * the texts derived from each scene graph (captions, visual questions with single-word answers,
 * relationships and detailed descriptions, hard-negative captions, box questions answered with
 * normalised bounding boxes), the scores that fit its answers
 * ({@link org.vlalign.model.world.WorldScores}), exporters to the dataset formats the training recipe
 * reads, and a word-level Hugging Face {@code tokenizer.json} covering every word the world can say.
 *
 * <p>Entry point: {@link org.vlalign.model.world.World}. Everything here is plain Java 17
 * ({@code java.awt} for drawing, Gson for JSON) and never touches an engine.
 *
 * @since 0.1.0
 */
package org.vlalign.model.world;
