/**
 * Small NDArray helpers shared by the model families (creation from Java arrays, linear layers,
 * ownership moves), and the sizes their encoder configs share ({@link org.vlalign.torch.internal.EncoderConfig}).
 * Not part of the public API: signatures may change between releases.
 *
 * @since 0.1.0
 */
package org.vlalign.torch.internal;
