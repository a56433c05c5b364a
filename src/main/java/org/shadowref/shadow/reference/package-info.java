/**
 * The reference shadow engine, {@link org.shadowref.shadow.reference.ReferenceEngine}: plain,
 * complete, and checked against the native machine and the invariants after every operation.
 *
 * <p>Its parts that do not depend on how shadows are stored serve the optimized engine too, so
 * the two differ only in their handlers and shadow memory: the shadow vocabulary ({@link
 * org.shadowref.shadow.reference.ShadowType}, {@link org.shadowref.shadow.reference.ShadowKey},
 * {@link org.shadowref.shadow.reference.ShadowMode}), what an entry derives from ({@link
 * org.shadowref.shadow.reference.Derivation}), the MMU and CPU the guest runs on ({@link
 * org.shadowref.shadow.reference.ShadowHardware}), and the guest's walk and emulation on its
 * own translation ({@link org.shadowref.shadow.reference.GuestSide}).
 *
 * <p>Choices a Xen reader should know about:
 *
 * <ul>
 *   <li>Shadows are indexed by {@link org.shadowref.shadow.reference.ShadowKey}: guest frame and
 *       {@link org.shadowref.shadow.reference.ShadowType}, plus the guest controls the derivation
 *       depends on (CR4.PSE for 32-bit guests, EFER.NXE for the others), so vCPUs that disagree
 *       on them never share a shadow that is right for only one of them.
 *   <li>Splinters (Xen's fl1 shadows) are keyed by the guest entry that maps the large page (its
 *       table's frame and index), not by the large page's frame: two entries mapping one large
 *       page with different rights or A/D bits get their own splinters, each coherent with its
 *       entry. 1 GiB pages are split twice (FL2, then FL1G).
 *   <li>There is no out-of-sync mode and no TLB: every guest entry the engine writes (A/D bits of
 *       its guest walk, emulated stores) has its shadows revalidated at once, and stores the
 *       engine does not see cannot reach a shadowed table. INVLPG and flushes have nothing to do.
 *   <li>A 3-on-3 top shadows the whole frame holding the guest's PDPT (128 PDPTs of 4 entries);
 *       the hardware's CR3 selects the same 32-byte slot the guest's does.
 *   <li>A guest with paging off runs on a 1:1 image of the P2M (host PAE paging), built on demand
 *       like any other shadow.
 *   <li>Tops are built with CR3 loads and control changes, never in the fault handler. A vCPU's
 *       live top cannot be unshadowed; stores to it are always emulated (and, should the
 *       hypervisor's emulator refuse one, performed by the CPU executor with the protection set
 *       aside for that instruction, where Xen would crash the domain).
 *   <li>When shadow memory runs short the engine drops every shadow below the tops ({@code
 *       shadow_blow_tables}) and faults rebuild them.
 * </ul>
 */
package org.shadowref.shadow.reference;
