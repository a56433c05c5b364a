/**
 * The optimized shadow engine, {@link org.shadowref.shadow.optimized.OptimizedEngine}: the
 * handler of {@code shadow.core} with the techniques a production hypervisor adds for speed, one
 * class each, each switched by {@link org.shadowref.shadow.optimized.OptimizedConfig} and carrying
 * its own seeded bugs:
 *
 * <ul>
 *   <li>{@link org.shadowref.shadow.optimized.FastPath}: the reserved-bit fast path with magic
 *       guest-not-present and MMIO entries;
 *   <li>{@link org.shadowref.shadow.optimized.Prefetch}: a demand fault fills the following l1
 *       entries too;
 *   <li>{@link org.shadowref.shadow.optimized.OutOfSync}: l1 tables the guest keeps writing go out
 *       of sync, with snapshots that tell the resync what changed;
 *   <li>{@link org.shadowref.shadow.optimized.ReverseMapping}: reverse maps and back pointers, so
 *       revalidation, write-protection and unshadowing touch only what they must;
 *   <li>{@link org.shadowref.shadow.optimized.PinnedTops}, {@link
 *       org.shadowref.shadow.optimized.PreviousRoots} and {@link
 *       org.shadowref.shadow.optimized.PoolReclaim}: tops kept for address spaces the guest comes
 *       back to (Xen's pins, KVM's previous roots), and the bounded pool's eviction;
 *   <li>the heuristics that decide when emulating a guest's page-table stores is not worth it
 *       ({@link org.shadowref.shadow.optimized.Heuristic}): {@link
 *       org.shadowref.shadow.optimized.EarlyUnshadow} (Xen: a table torn down), {@link
 *       org.shadowref.shadow.optimized.WriteFlooding} (KVM: a table written and never used),
 *       {@link org.shadowref.shadow.optimized.ReusedTops} (an idle top whose frame holds data now)
 *       and {@link org.shadowref.shadow.optimized.FastEmulation} (Xen: the next store on the same
 *       page emulated at once);
 *   <li>{@link org.shadowref.shadow.optimized.ShadowPool}: the store, with a primitive hash index
 *       ({@link org.shadowref.shadow.optimized.LongLongHashTable}), free lists and the maps.
 * </ul>
 *
 * <p>Nothing here imports {@code shadow.reference}: what both engines share is in {@code
 * shadow.core}. See proofs/optimized-engine.md for why each technique cannot change what the
 * guest observes.
 */
package org.shadowref.shadow.optimized;
