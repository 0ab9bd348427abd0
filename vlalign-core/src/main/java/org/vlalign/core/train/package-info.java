/**
 * Engine-free parts of adaptor training: learning-rate schedules ({@link
 * org.vlalign.core.train.WarmupCosineSchedule}), training examples and their readers (JSONL and
 * COCO captions, {@link org.vlalign.core.train.TrainingData}), text normalisation options, seeded
 * epoch shuffling and dataset mixing ({@link org.vlalign.core.train.SeededShuffle}, {@link
 * org.vlalign.core.train.DatasetMix}), the progress record and listener with a loss log file, and
 * answer evaluation (exact match and VQA accuracy per question type, {@link
 * org.vlalign.core.train.AnswerEvaluator}).
 *
 * <p>The engine-bound trainer itself lives in {@code org.vlalign.torch.train}. Everything here is
 * plain Java; each type states its thread safety.
 *
 * @since 0.1.0
 */
package org.vlalign.core.train;
