/**
 * The {@code vlalign} command-line tool (picocli): {@code demo}, {@code ask}, {@code chat}, {@code describe},
 * {@code index}, {@code search}, {@code serve} (the web demo), {@code train} (adaptor training), {@code eval}
 * (shapes-world score, VQA accuracy and retrieval recall) and {@code parity}. Entry point:
 * {@link org.vlalign.cli.VlalignCli}; the runnable fat jar is {@code vlalign-cli/target/vlalign-cli.jar},
 * started by the {@code ./vlalign} launcher.
 *
 * <p>Models load through the public API only ({@link org.vlalign.VlModel#load}, and {@link
 * org.vlalign.torch.TorchModels} for the separate {@code --vision} and {@code --lm} folders of training); no class
 * of {@code org.vlalign.torch.internal} is used, which a test of the compiled classes checks. Without {@code
 * --model} the model is the embedded default model's folder ({@link
 * org.vlalign.defaultmodel.DefaultModel#folder}). Persistent search
 * indexes are {@link org.vlalign.core.index.ExactImageIndex} folders filled by
 * {@link org.vlalign.core.index.FolderIndexer}.
 *
 * @since 0.1.0
 */
package org.vlalign.cli;
