/**
 * The service-provider interface of vlalign-train: {@link org.vlalign.train.spi.TrainingObjective}, what a
 * training loop optimises, in the engine's types (DJL {@code NDManager}/{@code NDArray}). Applications use
 * {@code org.vlalign.train}; only a new kind of objective implements this package.
 *
 * @since 0.2.0
 */
package org.vlalign.train.spi;
