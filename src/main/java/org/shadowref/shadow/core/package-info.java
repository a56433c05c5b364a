/**
 * What both shadow engines share, so that they differ only in how they store shadows and in the
 * optimized engine's techniques: the shadow vocabulary ({@link
 * org.shadowref.shadow.core.ShadowType}, {@link org.shadowref.shadow.core.ShadowKey}, {@link
 * org.shadowref.shadow.core.ShadowMode}), what a shadow entry derives from ({@link
 * org.shadowref.shadow.core.Derivation}), the MMU and CPU the guest runs on ({@link
 * org.shadowref.shadow.core.ShadowHardware}), the guest's walk and the emulation of faulting
 * accesses on its translation ({@link org.shadowref.shadow.core.GuestSide}), and how a fault ends
 * ({@link org.shadowref.shadow.core.FaultResolution}).
 *
 * <p>Choices a Xen reader should know about:
 *
 * <ul>
 *   <li>Shadows are indexed by {@link org.shadowref.shadow.core.ShadowKey}: guest frame and
 *       {@link org.shadowref.shadow.core.ShadowType}, plus the guest controls the derivation
 *       depends on (CR4.PSE for 32-bit guests, EFER.NXE for the others), so vCPUs that disagree
 *       on them never share a shadow that is right for only one of them.
 *   <li>Splinters (Xen's fl1 shadows) are keyed by the guest entry that maps the large page (its
 *       table's frame and index), not by the large page's frame: two entries mapping one large
 *       page with different rights or A/D bits get their own splinters, each coherent with its
 *       entry. 1 GiB pages are split twice (FL2, then FL1G).
 *   <li>A 3-on-3 top shadows the whole frame holding the guest's PDPT (128 PDPTs of 4 entries);
 *       the hardware's CR3 selects the same 32-byte slot the guest's does.
 *   <li>A guest with paging off runs on a 1:1 image of the P2M (host PAE paging), built on demand
 *       like any other shadow.
 * </ul>
 */
package org.shadowref.shadow.core;
