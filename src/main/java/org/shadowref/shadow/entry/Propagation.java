package org.shadowref.shadow.entry;

import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.arch.bits.ConcreteBits;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.P2mType;

/**
 * How a guest entry becomes a shadow entry (Xen's {@code _sh_propagate}). A shadow entry never
 * grants more than the guest entry and the P2M type both grant; it is absent whenever the guest
 * still has an A (or, for writes, D) bit for the hardware to set, so that the first such access
 * faults into the engine, which sets the guest's bit as the hardware would have.
 *
 * <p>Each rule is written once over {@link BitAlgebra}: the engines call the {@code long}
 * methods, which run the rule on {@link ConcreteBits}; proofs/ runs the same rule on Z3 terms
 * (proofs/no-amplification.md, proofs/magic-disjoint.md).
 */
public final class Propagation {
  /** The guest-leaf bits a 4 KiB shadow leaf copies unchanged. */
  private static final long COPIED_LEAF_BITS =
      EntryBits.US | EntryBits.PWT | EntryBits.PCD | EntryBits.PAT_4K;

  private Propagation() {}

  /**
   * The shadow l1e for a guest leaf.
   *
   * @param guestLeaf the guest leaf in 4 KiB-entry form (a large-page leaf has its PAT bit moved
   *     to bit 7 by the caller, see {@link #asSmallLeaf})
   * @param type the P2M type of the target guest frame
   * @param mfn the machine frame behind it (ignored unless {@code type} is RAM)
   * @param targetIsPageTable whether writes to the target frame must fault into the engine: it is a
   *     shadowed guest page table, or log-dirty mode has not yet seen it written
   * @param nxe EFER.NXE of the guest
   * @return the shadow entry, 0 (not present) when the access must fault into the engine
   */
  public static long leaf(
      long guestLeaf,
      P2mType type,
      @Mfn long mfn,
      boolean targetIsPageTable,
      boolean nxe,
      ShadowFormat format) {
    BitAlgebra b = ConcreteBits.INSTANCE;
    return leaf(
        b,
        guestLeaf,
        type.ordinal(),
        mfn,
        b.condition(targetIsPageTable),
        b.condition(nxe),
        b.condition(format == ShadowFormat.LONG_64));
  }

  /**
   * {@link #leaf(long, P2mType, long, boolean, boolean, ShadowFormat)} over any interpretation.
   *
   * @param type a vector holding the {@link P2mType#ordinal()} of the target's type
   * @param targetIsPageTable a condition
   * @param nxe a condition: the guest's EFER.NXE
   * @param long64 a condition: the shadow format is {@link ShadowFormat#LONG_64}
   */
  public static long leaf(
      BitAlgebra b,
      long guestLeaf,
      long type,
      long mfn,
      long targetIsPageTable,
      long nxe,
      long long64) {
    long ram = b.equalTo(type, P2mType.RAM.ordinal());
    long readable = b.or(ram, b.equalTo(type, P2mType.RAM_RO.ordinal()));
    long present = b.and(b.allSet(guestLeaf, EntryBits.P | EntryBits.A), readable);
    long writable =
        b.and(b.allSet(guestLeaf, EntryBits.RW | EntryBits.D), ram, b.not(targetIsPageTable));
    long noExecute = b.and(long64, nxe, b.anySet(guestLeaf, EntryBits.NX));
    long entry =
        b.or(
            b.shiftLeft(mfn, Addr.PAGE_SHIFT),
            b.constant(EntryBits.P | EntryBits.A),
            b.masked(guestLeaf, COPIED_LEAF_BITS));
    entry = b.or(entry, b.when(writable, b.constant(EntryBits.RW | EntryBits.D)));
    entry = b.or(entry, b.when(noExecute, b.constant(EntryBits.NX)));
    return b.when(present, entry);
  }

  /**
   * The shadow entry for a guest directory entry, pointing at the shadow table {@code shadowMfn}
   * that shadows what the guest entry points at (or the splinter table of a guest large page).
   * PAE PDPTEs have no A bit and no rights; every other level needs A set to be shadowed.
   */
  public static long directory(
      long guestEntry,
      PagingMode guestMode,
      int guestLevel,
      @Mfn long shadowMfn,
      boolean nxe,
      ShadowFormat format) {
    BitAlgebra b = ConcreteBits.INSTANCE;
    return directory(
        b,
        guestEntry,
        b.condition(guestMode == PagingMode.PAE && guestLevel == 3),
        shadowMfn,
        b.condition(nxe),
        b.condition(format == ShadowFormat.LONG_64));
  }

  /**
   * {@link #directory(long, PagingMode, int, long, boolean, ShadowFormat)} over any
   * interpretation.
   *
   * @param paePdpte a condition: the guest entry is a PAE PDPTE
   * @param nxe a condition: the guest's EFER.NXE
   * @param long64 a condition: the shadow format is {@link ShadowFormat#LONG_64}
   */
  public static long directory(
      BitAlgebra b, long guestEntry, long paePdpte, long shadowMfn, long nxe, long long64) {
    long present =
        b.and(b.anySet(guestEntry, EntryBits.P), b.or(paePdpte, b.anySet(guestEntry, EntryBits.A)));
    long rights =
        b.or(
            b.constant(EntryBits.A),
            b.masked(guestEntry, EntryBits.RW | EntryBits.US),
            b.when(
                b.and(long64, nxe, b.anySet(guestEntry, EntryBits.NX)), b.constant(EntryBits.NX)));
    long entry =
        b.or(
            b.shiftLeft(shadowMfn, Addr.PAGE_SHIFT),
            b.constant(EntryBits.P),
            b.when(b.not(paePdpte), rights));
    return b.when(present, entry);
  }

  /**
   * A guest large-page leaf seen as the 4 KiB leaf for one of its pages: PS cleared, the large
   * PAT bit (12) moved to the small PAT position (7), the frame field dropped.
   */
  public static long asSmallLeaf(long guestLargeLeaf) {
    return asSmallLeaf(ConcreteBits.INSTANCE, guestLargeLeaf);
  }

  /** {@link #asSmallLeaf(long)} over any interpretation. */
  public static long asSmallLeaf(BitAlgebra b, long guestLargeLeaf) {
    long flags = b.masked(guestLargeLeaf, (0xFFFL | EntryBits.NX) & ~EntryBits.PS);
    long pat = b.when(b.anySet(guestLargeLeaf, EntryBits.PAT_LARGE), b.constant(EntryBits.PAT_4K));
    return b.or(flags, pat);
  }
}
