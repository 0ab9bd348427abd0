/**
 * LangChain4j adapters for a vlalign {@link org.vlalign.VlModel}: {@link
 * org.vlalign.langchain4j.VlalignChatModel} and {@link org.vlalign.langchain4j.VlalignStreamingChatModel}
 * answer LangChain4j chat requests whose user messages carry an image, {@link
 * org.vlalign.langchain4j.VlalignEmbeddingModel} embeds text in the model's search space, and {@link
 * org.vlalign.langchain4j.VlalignImageStore} is a LangChain4j embedding store over an {@link
 * org.vlalign.ImageIndex}, so a text query finds images.
 *
 * <p>Only vlalign's public API and LangChain4j's core types are used: any {@code VlModel} works, whatever
 * engine runs it.
 *
 * @since 0.2.0
 */
package org.vlalign.langchain4j;
