/**
 * Tokenizers for the language models: Hugging Face {@code tokenizer.json} through DJL's native
 * binding, with the special tokens of {@code tokenizer_config.json}.
 *
 * @since 0.1.0
 */
package org.vlalign.llm.tokenizer;
