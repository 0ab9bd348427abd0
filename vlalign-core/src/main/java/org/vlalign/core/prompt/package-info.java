/**
 * Prompt templates: {@link org.vlalign.PromptWrapper} implementations that place the adapted image
 * embeddings and a conversation into a language model's chat format.
 *
 * <ul>
 *   <li>{@link org.vlalign.core.prompt.Llama2ChatPromptWrapper}: LLaMA-2 chat, the reference system;
 *   <li>{@link org.vlalign.core.prompt.VicunaPromptWrapper}: Vicuna v1.1;
 *   <li>{@link org.vlalign.core.prompt.LlavaPromptWrapper}: LLaVA-1.5 ({@code USER: <image>\n…});
 *   <li>{@link org.vlalign.core.prompt.InstructBlipPromptWrapper}: InstructBLIP (embeddings first).
 * </ul>
 *
 * <p>{@link org.vlalign.core.prompt.PromptWrappers#forName(String)} finds a template by name. All
 * wrappers are immutable and thread-safe.
 *
 * <p><b>End of turn.</b> Text segments are tokenised without special tokens, so the text {@code </s>}
 * would not become the EOS token. Chat templates that close earlier answers with EOS emit a {@link
 * org.vlalign.Prompt.Segment.Eos}, which the language model maps to its own id; {@code
 * withEosTokenId(int)} pins an id instead (emitted as a {@link org.vlalign.Prompt.Segment.Tokens}).
 *
 * @since 0.1.0
 */
package org.vlalign.core.prompt;
