/**
 * Adaptor training with DJL autograd: the feature extractor and the language model stay frozen and
 * only the adaptor's parameters ({@link org.vlalign.torch.train.TrainableAdaptor}, linear or GELU MLP)
 * learn, by causal-LM loss on the answer tokens ({@link org.vlalign.torch.train.AdaptorTrainer}).
 *
 * <p>Also here: PyTorch-equivalent AdamW ({@link org.vlalign.torch.train.AdamW}) with savable state,
 * exact resumable checkpoints ({@link org.vlalign.torch.train.TrainingCheckpoint}) and the on-disk
 * cache of frozen features ({@link org.vlalign.torch.train.FeatureCache}). Schedules, datasets,
 * progress records and evaluation are engine-free, in {@code org.vlalign.core.train}.
 *
 * <p>Training objects are not thread-safe: one trainer runs on one thread (DJL allows one gradient
 * collector at a time per JVM).
 *
 * @since 0.1.0
 */
package org.vlalign.torch.train;
