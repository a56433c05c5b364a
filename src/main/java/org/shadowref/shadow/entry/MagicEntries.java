package org.shadowref.shadow.entry;

import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.arch.bits.ConcreteBits;
import org.shadowref.arch.qual.Gfn;

/**
 * "Magic" shadow l1 entries for 64-bit shadows (PAE and 4-level; Xen's {@code sh_l1e_gnp} and
 * {@code sh_l1e_mmio}): entries the hardware can never use, which the fast path of the page
 * fault handler recognises without walking the guest tables.
 *
 * <ul>
 *   <li>guest-not-present: the guest's own entry is not present, so the fault belongs to the
 *       guest; the fast path re-injects it with the guest's error code;
 *   <li>MMIO: the guest entry maps a device frame; the fast path exits to the device model with
 *       the guest frame number decoded from the entry.
 * </ul>
 *
 * <h2>Encoding and why it is safe</h2>
 *
 * A magic entry has P set and bits 51:48 (the {@link #TAG}) all set. With P set the hardware
 * checks the reserved bits, and bits 51:48 are reserved in every PAE and 4-level entry whenever
 * the host's MAXPHYADDR is at most 48 ({@link #HOST_MAXPHYADDR_LIMIT}), so any access through a
 * magic entry stops with a reserved-bit fault before any rights or memory are looked at. A
 * propagated entry has its frame below MAXPHYADDR, so its bits 51:48 are clear: no real entry
 * looks magic. The MMIO entry keeps the gfn in bits 47:12 (36 bits: guest-physical addresses
 * below 256 TiB) and is told apart from the not-present marker by bit 11, a bit the hardware
 * ignores. Proved in proofs/magic-disjoint.md and proofs/mmio-roundtrip.md.
 *
 * <p>Precondition: the host's MAXPHYADDR is at most 48 ({@link #usable}); on a wider host the
 * engines use plain not-present entries instead and take the slow path.
 */
public final class MagicEntries {
  /** The largest host MAXPHYADDR at which bits 51:48 are reserved. */
  public static final int HOST_MAXPHYADDR_LIMIT = 48;
  /** Bits 51:48: set in every magic entry, clear in every entry propagation produces. */
  public static final long TAG = EntryBits.bits(51, 48);
  /** Bit 11 (ignored by the hardware): set in MMIO entries, clear in the not-present marker. */
  public static final long MMIO_KIND = 1L << 11;
  /** The gfn field of an MMIO entry: bits 47:12. */
  public static final int GFN_SHIFT = Addr.PAGE_SHIFT;
  public static final int GFN_BITS = 36;
  public static final long GFN_LIMIT = 1L << GFN_BITS;
  /** The guest-not-present marker. */
  public static final long GUEST_NOT_PRESENT = TAG | EntryBits.P;

  private MagicEntries() {}

  /** Whether magic entries fault with RSVD on a host with this MAXPHYADDR. */
  public static boolean usable(CpuModel host) {
    return host.maxPhysAddr() <= HOST_MAXPHYADDR_LIMIT;
  }

  public static boolean isMagic(long shadowEntry) {
    return isMagic(ConcreteBits.INSTANCE, shadowEntry) != BitAlgebra.FALSE;
  }

  public static boolean isGuestNotPresent(long shadowEntry) {
    return isGuestNotPresent(ConcreteBits.INSTANCE, shadowEntry) != BitAlgebra.FALSE;
  }

  public static boolean isMmio(long shadowEntry) {
    return isMmio(ConcreteBits.INSTANCE, shadowEntry) != BitAlgebra.FALSE;
  }

  /** The gfn an MMIO entry was made for; meaningful only when {@link #isMmio} holds. */
  public static @Gfn long mmioGfn(long shadowEntry) {
    return Addr.gfn(mmioGfn(ConcreteBits.INSTANCE, shadowEntry));
  }

  /** The MMIO entry for {@code gfn}, which must be below {@link #GFN_LIMIT}. */
  public static long encodeMmio(@Gfn long gfn) {
    if (Long.compareUnsigned(gfn, GFN_LIMIT) >= 0) {
      throw new IllegalArgumentException("gfn " + Addr.hex(gfn) + " does not fit an MMIO entry");
    }
    return encodeMmio(ConcreteBits.INSTANCE, gfn);
  }

  /**
   * The fast-path fix-up: the error code of the guest's not-present fault, from the hardware's
   * error code for the reserved-bit fault on a guest-not-present entry. The hardware reported
   * P=1 and RSVD=1 (the entry was present to it, with a reserved bit); the guest's entry was not
   * present, so both go. The hardware may also report instruction fetches where the guest's
   * paging would not (a 2-level guest on PAE shadows with NXE on), so I/D is kept only when the
   * guest's MMU would report it. W and U describe the access and stay.
   *
   * <p>Precondition: the shadows run with I/D reported whenever the guest's paging reports it
   * (proofs/fast-path-error-code.md).
   */
  public static int guestNotPresentErrorCode(int hardwareErrorCode, ControlRegisters guest) {
    BitAlgebra b = ConcreteBits.INSTANCE;
    return (int)
        guestNotPresentErrorCode(
            b,
            hardwareErrorCode,
            b.condition(guest.smep()),
            b.condition(guest.nxe()),
            b.condition(guest.pagingMode() == PagingMode.TWO_LEVEL));
  }

  // The rules over the algebra: the engines run them through the methods above, the prover on Z3.

  /** The condition that an entry has the magic pattern: P and the whole tag set. */
  public static long isMagic(BitAlgebra b, long entry) {
    return b.allSet(entry, TAG | EntryBits.P);
  }

  public static long isGuestNotPresent(BitAlgebra b, long entry) {
    return b.equalTo(entry, GUEST_NOT_PRESENT);
  }

  public static long isMmio(BitAlgebra b, long entry) {
    return b.and(isMagic(b, entry), b.anySet(entry, MMIO_KIND));
  }

  public static long mmioGfn(BitAlgebra b, long entry) {
    return b.masked(b.shiftRight(entry, GFN_SHIFT), GFN_LIMIT - 1);
  }

  public static long encodeMmio(BitAlgebra b, long gfn) {
    return b.or(
        b.constant(TAG | MMIO_KIND | EntryBits.P),
        b.shiftLeft(b.masked(gfn, GFN_LIMIT - 1), GFN_SHIFT));
  }

  /**
   * The fix-up over the algebra.
   *
   * @param smep a condition: the guest's CR4.SMEP
   * @param nxe a condition: the guest's EFER.NXE
   * @param twoLevel a condition: the guest uses 32-bit paging
   */
  public static long guestNotPresentErrorCode(
      BitAlgebra b, long hardwareErrorCode, long smep, long nxe, long twoLevel) {
    long guestReportsFetches = b.or(smep, b.and(nxe, b.not(twoLevel)));
    long cleared =
        b.or(
            b.constant(PfErrorCode.P | PfErrorCode.RSVD),
            b.when(b.not(guestReportsFetches), b.constant(PfErrorCode.ID)));
    return b.and(hardwareErrorCode, b.not(cleared));
  }
}
