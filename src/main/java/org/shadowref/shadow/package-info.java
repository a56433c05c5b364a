/**
 * Platforms that run a guest: the operation language ({@link org.shadowref.shadow.GuestOp}), what
 * the guest observes ({@link org.shadowref.shadow.OpResult}, {@link
 * org.shadowref.shadow.GuestMachine}), native paging ({@link org.shadowref.shadow.NativePlatform}),
 * and the shadow engines: what they share in {@code shadow.core} and {@code shadow.entry}, the
 * plain engine in {@code shadow.reference}, the fast one in {@code shadow.optimized}.
 */
package org.shadowref.shadow;
