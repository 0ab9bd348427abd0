/**
 * Engine-free parts of training: learning-rate schedules ({@link
 * org.vlalign.core.train.WarmupCosineSchedule}), training examples and their readers (JSONL and
 * COCO captions, {@link org.vlalign.core.train.TrainingData}), text normalisation options, seeded
 * shuffling, dataset mixing and the data orders a run's steps are drawn in ({@link
 * org.vlalign.core.train.SeededShuffle}, {@link org.vlalign.core.train.DatasetMix}, {@link
 * org.vlalign.core.train.EpochOrder}, {@link org.vlalign.core.train.StreamOrder}), the progress record
 * and listener with a loss log file, and answer evaluation (exact match and VQA accuracy per question
 * type, {@link org.vlalign.core.train.AnswerEvaluator}).
 *
 * <p>The engine-bound training loop and its objectives live in {@code org.vlalign.train} (module
 * {@code vlalign-train}). Everything here is
 * plain Java; each type states its thread safety.
 *
 * @since 0.1.0
 */
package org.vlalign.core.train;
