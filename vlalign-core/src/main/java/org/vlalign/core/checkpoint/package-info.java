/**
 * Reading and writing Hugging Face checkpoints: {@code config.json}, safetensors files (single or
 * sharded through {@code model.safetensors.index.json}) and dtype conversion to fp32.
 *
 * <p>{@link org.vlalign.core.checkpoint.Checkpoint} is the entry point model loaders use; {@link
 * org.vlalign.core.checkpoint.SafetensorsReader} validates and memory-maps one file; {@link
 * org.vlalign.core.checkpoint.SafetensorsWriter} writes tiny checkpoints for tests, adaptor export and
 * the project's own artifacts; {@link org.vlalign.core.checkpoint.HfConfigs} reads config values with
 * Hugging Face 4.45 defaults.
 *
 * @since 0.1.0
 */
package org.vlalign.core.checkpoint;
