/**
 * Contract suites, one per pipeline interface, published in vlalign-core's test-jar: an
 * implementation's test extends {@code Abstract<Interface>ContractTest} and supplies the instance.
 *
 * <p>The suites check only what the public API promises (shapes, determinism, batch equals single,
 * error types, thread safety), so that engine-free fakes and torch implementations pass the same
 * checks. Each suite states its hooks and which of them may be overridden (tolerances, sample
 * inputs).
 *
 * @since 0.1.0
 */
package org.vlalign.core.contract;
