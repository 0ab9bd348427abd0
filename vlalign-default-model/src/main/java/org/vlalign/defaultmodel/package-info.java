/**
 * The embedded default model: {@link org.vlalign.defaultmodel.DefaultModel} loads the small vision-language
 * model that vlalign trains on its synthetic shapes world, and lists its bundled sample images.
 */
package org.vlalign.defaultmodel;
