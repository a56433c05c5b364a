package org.shadowref.check.invariants;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.MachineTables;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * INV-NO-AMPLIFY: for every page the shadows map, for every kind of access at either privilege,
 * if the hardware walk of the shadows allows it then the native walk of the guest's tables allows
 * it too, reaches the same machine frame, and has no A or D bit left to set.
 */
public final class NoAmplify implements InvariantPredicate {
  private static final Access[] ACCESSES = {
    Access.SUPERVISOR_READ, Access.SUPERVISOR_WRITE, Access.SUPERVISOR_FETCH,
    Access.USER_READ, Access.USER_WRITE, Access.USER_FETCH
  };

  @Override
  public String id() {
    return InvariantIds.NO_AMPLIFY;
  }

  @Override
  public @Nullable String violation(ShadowScan scan) {
    ShadowView view = scan.view();
    for (int vcpu = 0; vcpu < view.guest().vcpuCount(); vcpu++) {
      ControlRegisters hardware = view.hardwareRegs(vcpu);
      PagingMode mode = hardware.pagingMode();
      if (mode == null) {
        return "vcpu" + vcpu + " runs with hardware paging off";
      }
      long root = Walker.rootTable(mode, hardware.cr3(), view.hostCpu().maxPhysAddr());
      String found = visit(new Walks(scan), vcpu, hardware, mode, root, mode.levels(), 0);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  /**
   * What one check walks with, made once per check rather than per walk (the predicate runs in
   * every model state, with a dozen walks for every leaf).
   */
  private static final class Walks {
    final ShadowScan scan;
    final ShadowView view;
    final MachineTables machine;
    final GuestTables guestTables;
    final WalkResult shadow = new WalkResult();
    final WalkResult guest = new WalkResult();

    Walks(ShadowScan scan) {
      this.scan = scan;
      this.view = scan.view();
      this.machine = new MachineTables(view.guest().machine());
      this.guestTables = new GuestTables(view.guest().physical());
    }
  }

  /** Checks every leaf under the table at {@code table} (a machine address) at {@code level}. */
  private @Nullable String visit(
      Walks walks, int vcpu, ControlRegisters hardware, PagingMode mode, long table, int level, long base) {
    ShadowView view = walks.view;
    if (level == 1) {
      ShadowTable shadow = walks.scan.tableAt(table >>> Addr.PAGE_SHIFT);
      if (shadow != null && view.isOutOfSync(shadow)) {
        return null; // its leaves may be stale as a TLB's may: INV-OOS judges them
      }
    }
    // The table's entries, of its frame's present ones: a PAE top is 4 entries inside a frame.
    int first = (int) (Addr.pageOffset(table) / mode.entryBytes());
    int entries = mode.entriesPerTable(level);
    ShadowScan.PresentEntries present = walks.scan.present(table >>> Addr.PAGE_SHIFT, mode.entryBytes());
    for (int p = 0; p < present.count(); p++) {
      int i = present.index(p) - first;
      if (i < 0 || i >= entries) {
        continue;
      }
      long entry = present.entry(p);
      long va = base | ((long) i << mode.indexShift(level));
      if (level > 1) {
        long next = Walker.tableFrame(mode, entry, view.hostCpu().maxPhysAddr());
        String found = visit(walks, vcpu, hardware, mode, next, level - 1, va);
        if (found != null) {
          return found;
        }
        continue;
      }
      for (Access access : ACCESSES) {
        String found = checkAccess(walks, vcpu, hardware, va, access);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  /** Where a violation is, built only when one is found (this predicate runs in every model state). */
  private static String at(int vcpu, Access access, long va) {
    return "vcpu" + vcpu + " " + access + " at " + Addr.hex(va);
  }

  private @Nullable String checkAccess(
      Walks walks, int vcpu, ControlRegisters hardware, long va, Access access) {
    ShadowView view = walks.view;
    GuestMachine guest = view.guest();
    WalkResult shadow = walks.shadow;
    Walker.walk(walks.machine, hardware, view.hostCpu(), Addr.gva(va), access, false, shadow);
    if (!shadow.ok()) {
      return null;
    }
    ControlRegisters regs = guest.vcpu(vcpu).regs();
    long gpa;
    if (!regs.pagingEnabled()) {
      gpa = va & 0xFFFF_FFFFL;
    } else {
      WalkResult guestWalk = walks.guest;
      Walker.walk(walks.guestTables, regs, guest.cpu(), Addr.gva(va), access, false, guestWalk);
      if (!guestWalk.ok()) {
        return at(vcpu, access, va) + ": the shadows allow it, the guest's tables fault (" + guestWalk.describe() + ")";
      }
      String leftover = bitLeftToSet(guestWalk, access);
      if (leftover != null) {
        return at(vcpu, access, va) + ": the shadows allow it while the guest " + leftover;
      }
      gpa = guestWalk.translated();
    }
    P2mType type = guest.p2m().type(Addr.gfnOf(Addr.gpa(gpa)));
    if (type != P2mType.RAM && !(type == P2mType.RAM_RO && access.kind() != AccessKind.WRITE)) {
      return at(vcpu, access, va) + ": the shadows allow it, guest frame " + Addr.hex(gpa >>> 12) + " is " + type;
    }
    long expected = guest.physical().machineAddress(Addr.gpa(gpa));
    if (expected != shadow.translated()) {
      return at(vcpu, access, va) + ": the shadows reach " + Addr.hex(shadow.translated()) + ", the guest " + Addr.hex(expected);
    }
    return null;
  }

  private static @Nullable String bitLeftToSet(WalkResult walk, Access access) {
    for (int level = walk.mode().levels(); level >= walk.stopLevel(); level--) {
      if (walk.mode() == PagingMode.PAE && level == 3) {
        continue;
      }
      if ((walk.entry(level) & EntryBits.A) == 0) {
        return "has no A bit in its L" + level + " entry";
      }
    }
    if (access.kind() == AccessKind.WRITE && (walk.entry(walk.stopLevel()) & EntryBits.D) == 0) {
      return "has no D bit in its leaf";
    }
    return null;
  }
}
