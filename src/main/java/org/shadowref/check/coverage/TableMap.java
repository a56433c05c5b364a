package org.shadowref.check.coverage;

import java.util.Arrays;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;

/**
 * Which guest frames are page tables, as the guest's own entries say: every table reachable from
 * the roots the vCPUs have loaded (the last {@link #ROOTS}), with the formats, levels and roots
 * it serves. Read from guest memory only, never from an engine. Rebuilt when a root is loaded or
 * a store lands in a table (nothing else can change which frames are tables).
 */
final class TableMap {
  static final int ROOTS = 8;
  /** Bits per format in {@link #roles}: l1, l2, l3, l4 and the PAE PDPT. */
  static final int ROLE_BITS = 5;

  private final GuestMachine guest;
  private final int[] roles;
  private final int[] roots;
  private final ControlRegisters[] rootRegs = new ControlRegisters[ROOTS];
  private final long[] rootTables = new long[ROOTS];
  private int rootCount;
  private int nextRoot;
  private boolean stale = true;

  TableMap(GuestMachine guest) {
    this.guest = guest;
    int gfns = (int) guest.p2m().gfnCount();
    this.roles = new int[gfns];
    this.roots = new int[gfns];
  }

  /** Notes the root of {@code regs} (if paging is on) as an address space the guest uses. */
  void noteRoot(ControlRegisters regs) {
    PagingMode mode = regs.pagingMode();
    if (mode == null) {
      return;
    }
    long table = Walker.rootTable(mode, regs.cr3(), guest.cpu().maxPhysAddr());
    for (int i = 0; i < rootCount; i++) {
      if (rootTables[i] == table && rootRegs[i].pagingMode() == mode && rootRegs[i].pse() == regs.pse()) {
        return;
      }
    }
    rootRegs[nextRoot] = regs;
    rootTables[nextRoot] = table;
    nextRoot = (nextRoot + 1) % ROOTS;
    rootCount = Math.min(ROOTS, rootCount + 1);
    stale = true;
  }

  /** The tables may have changed (a store landed in one). */
  void invalidate() {
    stale = true;
  }

  /** Role bits of {@code gfn}: bit {@code format * ROLE_BITS + role}, 0 when it is no table. */
  int roles(long gfn) {
    refresh();
    return gfn >= 0 && gfn < roles.length ? roles[(int) gfn] : 0;
  }

  /** Root slots (one bit each) whose tables include {@code gfn}. */
  int roots(long gfn) {
    refresh();
    return gfn >= 0 && gfn < roots.length ? roots[(int) gfn] : 0;
  }

  private void refresh() {
    if (!stale) {
      return;
    }
    stale = false;
    Arrays.fill(roles, 0);
    Arrays.fill(roots, 0);
    for (int slot = 0; slot < rootCount; slot++) {
      ControlRegisters regs = rootRegs[slot];
      PagingMode mode = regs.pagingMode();
      if (mode != null) {
        visit(slot, regs, mode, mode.levels(), rootTables[slot]);
      }
    }
  }

  private void visit(int slot, ControlRegisters regs, PagingMode mode, int level, long table) {
    long gfn = table >>> Addr.PAGE_SHIFT;
    if (gfn >= roles.length) {
      return;
    }
    int role = mode == PagingMode.PAE && level == 3 ? 4 : level - 1;
    int bit = 1 << (mode.ordinal() * ROLE_BITS + role);
    int rootBit = 1 << slot;
    if ((roles[(int) gfn] & bit) != 0 && (roots[(int) gfn] & rootBit) != 0) {
      return; // seen from this root in this role already (self-maps and shared tables loop)
    }
    roles[(int) gfn] |= bit;
    roots[(int) gfn] |= rootBit;
    if (level == 1) {
      return;
    }
    GuestPhysicalMemory memory = guest.physical();
    int entryBytes = mode.entryBytes();
    int entries = mode.entriesPerTable(level);
    for (int index = 0; index < entries; index++) {
      long entry = memory.read(Addr.gpa(table + (long) index * entryBytes), entryBytes);
      if ((entry & EntryBits.P) == 0 || ((entry & EntryBits.PS) != 0 && mode.canMapLargePage(level, regs.pse()))) {
        continue;
      }
      visit(slot, regs, mode, level - 1, Walker.tableFrame(mode, entry, guest.cpu().maxPhysAddr()));
    }
  }
}
