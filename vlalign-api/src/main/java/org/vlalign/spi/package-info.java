/**
 * The service-provider interface: what engines implement ({@link org.vlalign.spi.Decoder},
 * {@link org.vlalign.spi.Detokenizer}) and how they are found ({@link org.vlalign.spi.ModelProvider}
 * through {@link java.util.ServiceLoader}).
 *
 * @since 0.1.0
 */
package org.vlalign.spi;
