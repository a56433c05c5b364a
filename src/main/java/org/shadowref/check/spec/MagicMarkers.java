package org.shadowref.check.spec;

import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.ReservedBits;

/**
 * The documented format of the optimized engine's magic shadow l1 entries (README, "the
 * reserved-bit fast path"), restated for the specification: P set and bits 51:48 all set, so that
 * on a host whose MAXPHYADDR is at most 48 every access through one stops with a reserved-bit
 * fault; the guest-not-present marker is exactly that pattern; an MMIO marker adds bit 11 (ignored
 * by the hardware) and the guest frame number in bits 47:12.
 */
public final class MagicMarkers {
  /** Bits 51:48. */
  public static final long TAG = EntryBits.bits(51, 48);
  /** Bit 11: an MMIO marker. */
  public static final long MMIO = 1L << 11;
  /** The guest frame field of an MMIO marker: bits 47:12. */
  public static final long GFN_FIELD = EntryBits.bits(47, 12);
  /** The guest-not-present marker. */
  public static final long NOT_PRESENT = TAG | EntryBits.P;

  private MagicMarkers() {}

  /** Whether {@code entry} (of a 64-bit table) has the magic pattern. */
  public static boolean isMarker(long entry) {
    return (entry & (TAG | EntryBits.P)) == (TAG | EntryBits.P);
  }

  /** Whether {@code entry} is a well-formed MMIO marker: the pattern, bit 11, a frame, nothing else. */
  public static boolean isMmioMarker(long entry) {
    return (entry & ~GFN_FIELD) == (TAG | MMIO | EntryBits.P);
  }

  /** The guest frame an MMIO marker names. */
  public static long mmioGfn(long entry) {
    return (entry & GFN_FIELD) >>> 12;
  }

  /**
   * Whether the tag is reserved in every 64-bit l1e (PAE and 4-level) of a host with {@code
   * hostMaxPhysAddr}: only then does every access through a marker fault with RSVD before any
   * rights or memory are looked at (SDM vol. 3, 4.4.2 and 4.5.4).
   */
  public static boolean tagReserved(int hostMaxPhysAddr) {
    return tagReserved(PagingMode.PAE, hostMaxPhysAddr) && tagReserved(PagingMode.FOUR_LEVEL, hostMaxPhysAddr);
  }

  /** {@link #tagReserved(int)} for one host mode. */
  public static boolean tagReserved(PagingMode hostMode, int hostMaxPhysAddr) {
    return hostMode != PagingMode.TWO_LEVEL
        && (ReservedBits.mask(hostMode, 1, false, true, hostMaxPhysAddr) & TAG) == TAG;
  }
}
