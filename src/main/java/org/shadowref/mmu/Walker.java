package org.shadowref.mmu;

import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.ReservedBits;
import org.shadowref.arch.qual.Gva;

/**
 * The x86 page walk (Intel SDM vol. 3, chapter 4): the one definition of what the MMU does with
 * a linear address, used as the native oracle on guest tables, as the "hardware" on shadow
 * tables, and inside the engines' guest walk.
 *
 * <p>Order of checks, as the hardware does them: level by level from CR3, a not-present entry
 * stops the walk, then a reserved bit in a present entry stops it; only a complete walk is
 * checked against the combined rights. A/D bits are written only when the access succeeds: A on
 * every entry used (PAE PDPTEs have none), D on the leaf of a write; never into a PAE PDPT.
 */
public final class Walker {
  /** The offset bits of an address within a PAE PDPT's 32 bytes. */
  private static final long PDPT_OFFSET_MASK = 0x1F;

  private Walker() {}

  /** Walks and returns a fresh result. */
  public static WalkResult walk(
      PageTableMemory memory,
      ControlRegisters regs,
      CpuModel cpu,
      @Gva long va,
      Access access,
      boolean setAccessedDirty) {
    WalkResult out = new WalkResult();
    walk(memory, regs, cpu, va, access, setAccessedDirty, out);
    return out;
  }

  /** Walks into {@code out}, which is overwritten; allocates nothing. */
  public static void walk(
      PageTableMemory memory,
      ControlRegisters regs,
      CpuModel cpu,
      @Gva long va,
      Access access,
      boolean setAccessedDirty,
      WalkResult out) {
    PagingMode mode = regs.pagingMode();
    if (mode == null) {
      throw new IllegalArgumentException("walk with paging disabled: " + regs);
    }
    long linear = mode.truncate(va);
    out.reset(mode, linear, access);
    int entryBytes = mode.entryBytes();
    int maxPhysAddr = cpu.maxPhysAddr();
    boolean nxe = regs.nxe();
    boolean pse = regs.pse();
    // Read once per walk, not per level: the loop below runs on every access of every platform.
    boolean honoursNx = nxe && mode != PagingMode.TWO_LEVEL;
    boolean user = true;
    boolean writable = true;
    boolean noExecute = false;
    long table = rootTable(mode, regs.cr3(), maxPhysAddr);
    for (int level = mode.levels(); level >= 1; level--) {
      long address = table + (long) mode.index(linear, level) * entryBytes;
      long entry = memory.readEntry(address, entryBytes);
      out.entryAddress[level] = address;
      out.entry[level] = entry;
      if ((entry & EntryBits.P) == 0) {
        stop(out, level, user, writable, noExecute, FaultKind.NOT_PRESENT, regs);
        return;
      }
      boolean large = level > 1 && (entry & EntryBits.PS) != 0 && mode.canMapLargePage(level, pse);
      if ((entry & ReservedBits.mask(mode, level, large, nxe, maxPhysAddr)) != 0) {
        stop(out, level, user, writable, noExecute, FaultKind.RESERVED_BIT, regs);
        return;
      }
      if (!(mode == PagingMode.PAE && level == 3)) {
        // PAE PDPTEs carry no rights; every other level narrows them.
        user &= (entry & EntryBits.US) != 0;
        writable &= (entry & EntryBits.RW) != 0;
        noExecute |= honoursNx && (entry & EntryBits.NX) != 0;
      }
      if (level == 1 || large) {
        long pageSize = mode.pageSize(level);
        out.stopLevel = level;
        out.pageSize = pageSize;
        out.translated = leafFrame(mode, level, entry, maxPhysAddr) | (linear & (pageSize - 1));
        break;
      }
      table = tableFrame(mode, entry, maxPhysAddr);
    }
    out.user = user;
    out.writable = writable;
    out.noExecute = noExecute;
    if (!permitted(user, writable, noExecute, access, regs)) {
      fault(out, FaultKind.PROTECTION, regs);
      return;
    }
    if (setAccessedDirty) {
      updateAccessedDirty(memory, out, access);
    }
  }

  /** The access-rights rule on combined rights, separated so other layers can reuse it. */
  public static boolean permitted(
      boolean userPage, boolean writable, boolean noExecute, Access access, ControlRegisters regs) {
    boolean user = access.user();
    switch (access.kind()) {
      case FETCH:
        if (noExecute) {
          return false;
        }
        return user ? userPage : !(userPage && regs.smep());
      case WRITE:
        if (user) {
          return userPage && writable;
        }
        if (userPage && regs.smap() && !regs.ac()) {
          return false;
        }
        return writable || !regs.wp();
      default:
        if (user) {
          return userPage;
        }
        return !(userPage && regs.smap() && !regs.ac());
    }
  }

  /** The error code the CPU pushes for a fault of {@code kind} on {@code access}. */
  public static int errorCode(FaultKind kind, Access access, ControlRegisters regs) {
    int code = 0;
    if (kind != FaultKind.NOT_PRESENT) {
      code |= PfErrorCode.P;
    }
    if (kind == FaultKind.RESERVED_BIT) {
      code |= PfErrorCode.RSVD;
    }
    if (access.kind() == AccessKind.WRITE) {
      code |= PfErrorCode.W;
    }
    if (access.user()) {
      code |= PfErrorCode.U;
    }
    if (access.kind() == AccessKind.FETCH && PfErrorCode.reportsFetches(regs)) {
      code |= PfErrorCode.ID;
    }
    return code;
  }

  /** The table CR3 points at. */
  public static long rootTable(PagingMode mode, long cr3, int maxPhysAddr) {
    switch (mode) {
      case TWO_LEVEL:
        return cr3 & EntryBits.ADDR_MASK_32;
      case PAE:
        return cr3 & 0xFFFF_FFE0L;
      default:
        return cr3 & EntryBits.bits(maxPhysAddr - 1, 12);
    }
  }

  /** The next-level table a non-leaf entry points at. */
  public static long tableFrame(PagingMode mode, long entry, int maxPhysAddr) {
    if (mode == PagingMode.TWO_LEVEL) {
      return entry & EntryBits.ADDR_MASK_32;
    }
    return entry & EntryBits.bits(maxPhysAddr - 1, 12);
  }

  /** The base of the page a leaf entry at {@code level} maps. */
  public static long leafFrame(PagingMode mode, int level, long entry, int maxPhysAddr) {
    if (level == 1) {
      return tableFrame(mode, entry, maxPhysAddr);
    }
    if (mode == PagingMode.TWO_LEVEL) {
      // A 4 MiB page: bits 31:22 from the entry, bits 39:32 from entry bits 20:13 (PSE-36).
      long high = (entry >>> 13) & 0xFF;
      long frame = (entry & 0xFFC0_0000L) | (high << 32);
      return frame & EntryBits.bits(Math.min(maxPhysAddr, 40) - 1, 0);
    }
    int shift = mode.indexShift(level);
    return entry & EntryBits.bits(maxPhysAddr - 1, shift);
  }

  /**
   * Ends a walk that faulted at {@code level} before reaching a leaf, keeping the rights the
   * levels above it combined (the reserved-bit fast path checks them).
   */
  private static void stop(WalkResult out, int level, boolean user, boolean writable, boolean noExecute,
      FaultKind kind, ControlRegisters regs) {
    out.stopLevel = level;
    out.user = user;
    out.writable = writable;
    out.noExecute = noExecute;
    fault(out, kind, regs);
  }

  private static void fault(WalkResult out, FaultKind kind, ControlRegisters regs) {
    out.fault = kind;
    out.errorCode = errorCode(kind, out.access, regs);
  }

  private static void updateAccessedDirty(PageTableMemory memory, WalkResult walk, Access access) {
    PagingMode mode = walk.mode;
    int size = mode.entryBytes();
    // PAE: nothing is written into the four PDPTEs, not even where a directory or leaf entry of
    // this walk lies among them (a PDPT frame reused as a PD or PT). A CPU writes that A/D bit but
    // walks with the PDPTE registers loaded at MOV CR3, so the write changes no walk until the next
    // load; here PDPTEs are read at walk time, and the write would give the next walk of the same
    // page a reserved-bit fault (bits 8:5) that no CPU raises, and that an engine, which restarts
    // or emulates the instruction and so walks the page twice, could not avoid.
    long pdpt = mode == PagingMode.PAE ? walk.entryAddress[3] & ~PDPT_OFFSET_MASK : -1;
    for (int level = mode.levels(); level >= walk.stopLevel; level--) {
      if (mode == PagingMode.PAE && (walk.entryAddress[level] & ~PDPT_OFFSET_MASK) == pdpt) {
        continue;
      }
      long entry = walk.entry[level];
      long updated = entry | EntryBits.A;
      if (level == walk.stopLevel && access.kind() == AccessKind.WRITE) {
        updated |= EntryBits.D;
      }
      if (updated != entry) {
        memory.writeEntry(walk.entryAddress[level], size, updated);
        walk.entry[level] = updated;
      }
    }
  }
}
