package org.shadowref.check.spec;

import org.shadowref.arch.EntryBits;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.arch.bits.ConcreteBits;

/**
 * What a shadow leaf must be, bit by bit (SDM vol. 3, tables 4-6, 4-11, 4-19 for the leaf
 * formats; the seed's propagation step for what the shadows keep back):
 *
 * <ul>
 *   <li>present only when the guest leaf is present with its A bit set (else the first access
 *       must fault into the handler, which sets A as the CPU would) and the frame is RAM the
 *       guest may read (read-only RAM included); MMIO and holes are not present;
 *   <li>the frame is the machine frame behind the guest frame;
 *   <li>P and A are set (the handler set the guest's A already);
 *   <li>RW (with D, so the hardware never has D to set) only when the guest leaf has RW and D
 *       set, the frame is writable RAM, and it is not a shadowed guest page table;
 *   <li>U/S, PWT, PCD and PAT (bit 7 of a 4 KiB leaf) as the guest leaf's;
 *   <li>NX only in 64-bit shadow entries, and there exactly when the guest runs with EFER.NXE and
 *       its leaf has NX;
 *   <li>nothing else: no G (the shadows are switched by CR3 loads, which a global translation
 *       would outlive), no ignored or reserved bits.
 * </ul>
 *
 * Written over {@link BitAlgebra} so that proofs/ can show the engines' {@code Propagation}
 * equal to it for every guest leaf (proofs/propagation-spec.md); the invariant predicates run it
 * on {@code long}s.
 */
public final class LeafRule {
  private LeafRule() {}

  /**
   * The shadow leaf for guest 4 KiB leaf {@code guest}, or 0 when none may be present.
   *
   * @param ram the target frame is writable RAM
   * @param readOnlyRam the target frame is read-only RAM
   * @param mfn the machine frame behind it
   * @param shadowedTable the target frame is a shadowed guest page table
   * @param nxe the guest's EFER.NXE
   * @param long64 the shadow entry is 64 bits wide
   */
  public static long leaf(
      long guest, boolean ram, boolean readOnlyRam, long mfn, boolean shadowedTable, boolean nxe, boolean long64) {
    BitAlgebra b = ConcreteBits.INSTANCE;
    return leaf(b, guest, b.condition(ram), b.condition(readOnlyRam), mfn, b.condition(shadowedTable),
        b.condition(nxe), b.condition(long64));
  }

  /** {@link #leaf(long, boolean, boolean, long, boolean, boolean, boolean)} over any interpretation. */
  public static long leaf(
      BitAlgebra b, long guest, long ram, long readOnlyRam, long mfn, long shadowedTable, long nxe, long long64) {
    long guestPresent = b.anySet(guest, EntryBits.P);
    long guestAccessed = b.anySet(guest, EntryBits.A);
    long present = b.and(b.and(guestPresent, guestAccessed), b.or(ram, readOnlyRam));
    long writable = b.and(b.and(b.anySet(guest, EntryBits.RW), b.anySet(guest, EntryBits.D)),
        b.and(ram, b.not(shadowedTable)));
    long executeDisable = b.and(b.and(long64, nxe), b.anySet(guest, EntryBits.NX));
    long value = b.shiftLeft(mfn, 12);
    value = b.or(value, b.constant(EntryBits.P));
    value = b.or(value, b.constant(EntryBits.A));
    value = b.or(value, b.masked(guest, EntryBits.US));
    value = b.or(value, b.masked(guest, EntryBits.PWT));
    value = b.or(value, b.masked(guest, EntryBits.PCD));
    value = b.or(value, b.masked(guest, EntryBits.PAT_4K));
    value = b.or(value, b.when(writable, b.constant(EntryBits.RW)));
    value = b.or(value, b.when(writable, b.constant(EntryBits.D)));
    value = b.or(value, b.when(executeDisable, b.constant(EntryBits.NX)));
    return b.select(present, value, b.constant(0));
  }

  /**
   * The guest leaf one 4 KiB piece of a large page has, in 4 KiB form: the large leaf's rights and
   * flags (P, R/W, U/S, PWT, PCD, A, D, NX), PS gone (bit 7 is PAT in a 4 KiB leaf), and the large
   * leaf's PAT, which is bit 12, moved to bit 7. The frame comes from the large leaf's base and the
   * piece's index ({@link PropagationSpec}).
   */
  public static long pieceOfLarge(long large) {
    return pieceOfLarge(ConcreteBits.INSTANCE, large);
  }

  /** {@link #pieceOfLarge(long)} over any interpretation. */
  public static long pieceOfLarge(BitAlgebra b, long large) {
    long kept = EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.PWT | EntryBits.PCD | EntryBits.A
        | EntryBits.D | EntryBits.NX;
    long pat = b.when(b.anySet(large, EntryBits.PAT_LARGE), b.constant(EntryBits.PAT_4K));
    return b.or(b.masked(large, kept), pat);
  }
}
