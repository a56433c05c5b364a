package org.shadowref.check.conformance;

import org.shadowref.arch.AccessKind;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.check.conformance.Expectation.Outcome;

/**
 * The access matrix's judge: what the Intel SDM (vol. 3, chapter 4) says an access does, written
 * from the manual's own wording and independently of {@code mmu.Walker} and {@code
 * arch.ReservedBits}. Each rule cites its section. It reads entries as named flags, never as
 * raw bits, except for the one reserved bit a combination sets, whose position it judges against
 * its own table of reserved ranges.
 */
public final class SdmRules {
  /** Named paging structures, for the reserved-bit table. */
  private enum Structure {
    PML4E,
    PDPTE_PAE,
    PDPTE,
    PDE,
    PTE
  }

  private SdmRules() {}

  /** The expected outcome of {@code c} on a CPU with the given MAXPHYADDR. */
  public static Expectation expect(AccessCase c, int maxPhysAddr) {
    Geometry g = c.geometry();
    PagingMode mode = g.mode();
    int[] after = new int[5];
    for (int level = 1; level <= mode.levels(); level++) {
      after[level] = level >= g.leafLevel() ? c.flagsAt(level) : 0;
    }

    // 4.3-4.5: the walk reads one entry per level from the top until an entry maps the page.
    // 4.7: a not-present entry ends it (P=0 in the error code); so does a present entry with a
    // reserved bit set (P=1, RSVD=1). Nothing is translated and (our model) nothing is marked.
    boolean userAddress = true; // 4.6: U/S=1 in every entry that controls the translation
    boolean writableAddress = true; // 4.6: R/W=1 in every such entry
    boolean executeDisable = false; // 4.6: XD=1 in any such entry, with IA32_EFER.NXE=1
    int leafLevel = -1;
    for (int level = mode.levels(); level >= g.leafLevel(); level--) {
      int flags = c.flagsAt(level);
      Structure structure = structureAt(mode, level);
      if (!Flags.has(flags, Flags.P)) {
        return fault(c, Outcome.NOT_PRESENT, after);
      }
      boolean mapsPage = mapsPage(structure, mode, flags, g.pse());
      if (hasReservedBitSet(c, structure, level, mapsPage, flags, maxPhysAddr)) {
        return fault(c, Outcome.RESERVED_BIT, after);
      }
      if (structure != Structure.PDPTE_PAE) { // 4.4.1: PAE PDPTEs control no access rights
        userAddress &= Flags.has(flags, Flags.US);
        writableAddress &= Flags.has(flags, Flags.RW);
        executeDisable |= c.controls().nxe() && Flags.has(flags, Flags.NX);
      }
      if (mapsPage) {
        leafLevel = level;
        break;
      }
    }
    if (leafLevel < 0) {
      throw new IllegalStateException("the layout of " + c + " maps no page");
    }
    if (!accessAllowed(c, userAddress, writableAddress, executeDisable)) {
      return fault(c, Outcome.PROTECTION, after);
    }

    // 4.8: the processor sets A in every entry it used, and D in the entry that maps the page
    // when the access writes. A PAE PDPTE has no A bit (bit 5 is reserved there).
    for (int level = mode.levels(); level >= leafLevel; level--) {
      if (structureAt(mode, level) != Structure.PDPTE_PAE) {
        after[level] |= Flags.A;
      }
    }
    if (c.access().kind() == AccessKind.WRITE) {
      after[leafLevel] |= Flags.D;
    }
    long pageSize = pageSize(structureAt(mode, leafLevel), mode);
    long base = leafLevel == g.directoryLevel() ? g.directoryPageBase() : g.leafPageBase();
    long translated = base + (c.geometry().va() & (pageSize - 1));
    return new Expectation(Outcome.OK, 0, translated, after);
  }

  /** Which structure an entry at {@code level} belongs to. */
  private static Structure structureAt(PagingMode mode, int level) {
    switch (level) {
      case 4:
        return Structure.PML4E;
      case 3:
        return mode == PagingMode.PAE ? Structure.PDPTE_PAE : Structure.PDPTE;
      case 2:
        return Structure.PDE;
      default:
        return Structure.PTE;
    }
  }

  /**
   * Whether a present entry maps a page rather than referencing a table: a PTE always; a PDE
   * with PS=1 (in 32-bit paging only when CR4.PSE=1, 4.3); a 4-level PDPTE with PS=1 (1-GByte
   * pages, 4.5). PAE PDPTEs and PML4Es always reference tables.
   */
  private static boolean mapsPage(Structure structure, PagingMode mode, int flags, boolean cr4Pse) {
    boolean ps = Flags.has(flags, Flags.PS);
    switch (structure) {
      case PTE:
        return true;
      case PDE:
        return mode == PagingMode.TWO_LEVEL ? ps && cr4Pse : ps;
      case PDPTE:
        return ps;
      default:
        return false;
    }
  }

  /** 4.7: reserved bits of present entries, per structure (tables 4-4 to 4-20). */
  private static boolean hasReservedBitSet(
      AccessCase c, Structure structure, int level, boolean mapsPage, int flags, int maxPhysAddr) {
    PagingMode mode = c.geometry().mode();
    if (Flags.has(flags, Flags.NX) && isReservedBit(63, mode, structure, mapsPage, c.controls().nxe(), maxPhysAddr)) {
      return true;
    }
    if (Flags.has(flags, Flags.RSVD)) {
      boolean directory = level == c.geometry().directoryLevel();
      int bit = c.geometry().probeBit(directory, directory && c.geometry().directoryMapsPage(flags));
      return isReservedBit(bit, mode, structure, mapsPage, c.controls().nxe(), maxPhysAddr);
    }
    return false;
  }

  /**
   * The SDM's reserved ranges, bit by bit. "M" is MAXPHYADDR.
   *
   * <ul>
   *   <li>32-bit paging: a PDE mapping 4 MBytes reserves bit 21, and bits 20:(M-19) when M is
   *       below 40 (PSE-36 carries address bits 39:32 in bits 20:13); other entries reserve none.
   *   <li>PAE paging: every entry reserves bits 62:M; PDPTEs also reserve 63, 8:5 and 2:1; a PDE
   *       mapping 2 MBytes reserves 20:13; bit 63 (XD) is reserved when IA32_EFER.NXE=0.
   *   <li>4-level paging: every entry reserves bits 51:M; a PDPTE mapping 1 GByte reserves 29:13,
   *       a PDE mapping 2 MBytes 20:13; PML4Es reserve PS (bit 7); XD as for PAE.
   * </ul>
   */
  private static boolean isReservedBit(
      int bit, PagingMode mode, Structure structure, boolean mapsPage, boolean nxe, int maxPhysAddr) {
    if (mode == PagingMode.TWO_LEVEL) {
      if (structure != Structure.PDE || !mapsPage) {
        return false;
      }
      int m = Math.min(maxPhysAddr, 40);
      return bit == 21 || (bit >= m - 19 && bit <= 20);
    }
    if (bit == 63) {
      return structure == Structure.PDPTE_PAE || !nxe;
    }
    int physicalTop = mode == PagingMode.PAE ? 62 : 51;
    if (bit >= maxPhysAddr && bit <= physicalTop) {
      return true;
    }
    switch (structure) {
      case PDPTE_PAE:
        return (bit >= 5 && bit <= 8) || bit == 1 || bit == 2;
      case PML4E:
        return bit == 7;
      case PDPTE:
        return mapsPage && bit >= 13 && bit <= 29;
      case PDE:
        return mapsPage && bit >= 13 && bit <= 20;
      default:
        return false;
    }
  }

  /**
   * 4.6.1, as the manual lists it. A supervisor-mode access is one at CPL &lt; 3; a user-mode
   * address is one whose every controlling entry has U/S=1.
   */
  private static boolean accessAllowed(
      AccessCase c, boolean userAddress, boolean writableAddress, boolean executeDisable) {
    Controls cr = c.controls();
    boolean smapBlocks = cr.smap() && !cr.ac(); // explicit supervisor data accesses only
    if (c.access().user()) {
      switch (c.access().kind()) {
        case READ: // "Data may be read from any user-mode address"
          return userAddress;
        case WRITE: // "...written to user-mode addresses with R/W=1 in every entry"
          return userAddress && writableAddress;
        default: // "...fetched from user-mode addresses" (with XD=0 when NXE=1)
          return userAddress && !executeDisable;
      }
    }
    switch (c.access().kind()) {
      case READ:
        // Supervisor-mode addresses: always. User-mode addresses: unless SMAP and not AC.
        return !userAddress || !smapBlocks;
      case WRITE:
        if (userAddress && smapBlocks) {
          return false;
        }
        // With CR0.WP=0 any address may be written; with WP=1 only those with R/W=1 throughout.
        return !cr.wp() || writableAddress;
      default:
        // Never from user-mode addresses with SMEP; never from XD pages with NXE.
        if (userAddress && cr.smep()) {
          return false;
        }
        return !executeDisable;
    }
  }

  /** 4.7: the error code of a fault of {@code outcome} on the access of {@code c}. */
  private static Expectation fault(AccessCase c, Outcome outcome, int[] unchanged) {
    int code = 0;
    if (outcome != Outcome.NOT_PRESENT) {
      code |= PfErrorCode.P; // "0: a non-present page; 1: a page-level protection violation"
    }
    if (c.access().kind() == AccessKind.WRITE) {
      code |= PfErrorCode.W;
    }
    if (c.access().user()) {
      code |= PfErrorCode.U;
    }
    if (outcome == Outcome.RESERVED_BIT) {
      code |= PfErrorCode.RSVD;
    }
    // I/D: an instruction fetch, when CR4.SMEP=1, or when PAE or 4-level paging runs with NXE=1.
    boolean reportsFetch =
        c.controls().smep() || (c.geometry().mode() != PagingMode.TWO_LEVEL && c.controls().nxe());
    if (c.access().kind() == AccessKind.FETCH && reportsFetch) {
      code |= PfErrorCode.ID;
    }
    return new Expectation(outcome, code, 0, unchanged);
  }

  /** Table 4-1 and 4.3-4.5: the size of the page a structure's entry maps. */
  private static long pageSize(Structure structure, PagingMode mode) {
    switch (structure) {
      case PTE:
        return 1L << 12;
      case PDE:
        return mode == PagingMode.TWO_LEVEL ? 1L << 22 : 1L << 21;
      default:
        return 1L << 30;
    }
  }
}
