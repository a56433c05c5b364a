/**
 * Platforms that run a guest: the operation language ({@link org.shadowref.shadow.GuestOp}), what
 * the guest observes ({@link org.shadowref.shadow.OpResult}, {@link
 * org.shadowref.shadow.GuestMachine}), and the engines in {@code shadow.reference} and {@code
 * shadow.optimized}.
 */
package org.shadowref.shadow;
