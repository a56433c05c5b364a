/**
 * The reference shadow engine, {@link org.shadowref.shadow.reference.ReferenceEngine}, and its
 * plain state: complete, written to be read, and checked against the native machine and the
 * invariants after every operation. It is built on {@code shadow.core}, as the optimized engine
 * is; nothing here serves the optimized engine.
 *
 * <p>Choices a Xen reader should know about:
 *
 * <ul>
 *   <li>There is no out-of-sync mode and no TLB: every guest entry the engine writes (A/D bits of
 *       its guest walk, emulated stores) has its shadows revalidated at once, and stores the
 *       engine does not see cannot reach a shadowed table. INVLPG and flushes have nothing to do.
 *   <li>Tops are built with CR3 loads and control changes, never in the fault handler. A vCPU's
 *       live top cannot be unshadowed; stores to it are always emulated (and, should the
 *       hypervisor's emulator refuse one, performed by the CPU executor with the protection set
 *       aside for that instruction, where Xen would crash the domain).
 *   <li>When shadow memory runs short the engine drops every shadow below the tops ({@code
 *       shadow_blow_tables}) and faults rebuild them.
 * </ul>
 */
package org.shadowref.shadow.reference;
