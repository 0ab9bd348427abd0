/**
 * Parity checks against Hugging Face reference outputs ({@code shared/parity/<case>/case.json}).
 *
 * <p>{@link org.vlalign.parity.ParityRunner} reads each case folder, dispatches on its {@code
 * kind} to a {@link org.vlalign.parity.ParityCheck} registered in {@link
 * org.vlalign.parity.ParityChecks}, and prints one line per expected tensor through {@link
 * org.vlalign.parity.ParityReport}. An expected tensor that no check compares fails as {@code
 * not checked}; an unknown kind fails naming it. Everything (sizes, ids, tolerances, generate
 * kwargs) comes from the case files, never from code.
 *
 * @since 0.1.0
 */
package org.vlalign.parity;
