/**
 * Training on the DJL PyTorch engine: one loop, configured by objectives.
 *
 * <p>{@link org.vlalign.train.TrainingLoop} runs every kind of training the project does: it takes an
 * optimiser step's examples from a {@code DataOrder} ({@code org.vlalign.core.train.EpochOrder} or
 * {@code StreamOrder}), accumulates micro-batch gradients, clips, applies {@link
 * org.vlalign.train.AdamW} (PyTorch's rule) at the schedule's learning rate, reports progress with an
 * ETA, writes a loss log and {@link org.vlalign.train.TrainingCheckpoint}s, and resumes from one
 * exactly. An {@link org.vlalign.train.Objective} only names the parameters it may train (by
 * checkpoint key, {@code NamedParameters}, or its own) and turns a micro-batch into a loss:
 * <ul>
 *   <li>{@link org.vlalign.train.AdaptorObjective}: causal-LM loss on answer tokens through a frozen
 *       Llama, training a {@link org.vlalign.train.TrainableAdaptor} on cached frozen features ({@link
 *       org.vlalign.train.FeatureCache}), and the Llama's LoRA adapters when one is attached;
 *   <li>{@link org.vlalign.train.ContrastiveObjective}: BLIP-2's first-stage pre-training of the ViT and
 *       Q-Former: image–text contrastive loss, optionally with image–text matching against hard negatives
 *       and image-grounded captioning;
 *   <li>{@link org.vlalign.train.LanguageModelObjective}: next-token pre-training of a Llama, optionally
 *       weighted toward answers ({@link org.vlalign.train.ContextAnswer}).
 * </ul>
 * LoRA adapters ({@code LlamaLora} in vlalign-torch) join the model's named parameters, so every Llama
 * objective trains them with a key pattern ({@code **.lora_*.weight}). A new objective implements
 * {@link org.vlalign.train.spi.TrainingObjective}, where the engine's types are allowed; the loop does not
 * change. No public member of this package takes or returns a DJL type. Schedules, data orders, progress
 * records and evaluation are
 * engine-free, in {@code org.vlalign.core.train}.
 *
 * <p>Training objects are not thread-safe: one loop runs on one thread (DJL allows one gradient collector
 * at a time per JVM).
 *
 * @since 0.2.0
 */
package org.vlalign.train;
