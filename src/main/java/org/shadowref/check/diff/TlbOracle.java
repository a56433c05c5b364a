package org.shadowref.check.diff;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.memory.MachineMemory;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.TlbModel;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;

/**
 * Native paging plus an architectural TLB ({@link TlbModel}) fed with every guest write and
 * invalidation: the oracle for an engine with out-of-sync shadows. Every result the engine gives
 * must be the fresh native result or one a TLB may produce (a translation cached since the last
 * invalidation, or a spurious protection fault); once the engine has used a stale translation,
 * native is made to use the same one, so the two stay in step.
 *
 * <p>Instructions are judged strictly (a stale translation inside an instruction cannot be
 * replayed on native here), so a campaign flushes the vCPU's TLB on both sides before each one
 * ({@link Differential.Stepper}); raced accesses too, with both vCPUs' TLBs flushed.
 */
public final class TlbOracle {
  private NativePlatform machine;
  private final TlbModel tlb;
  /** Accesses the engine served from a stale translation (a TLB's). */
  private int staleUses;

  public TlbOracle(NativePlatform machine) {
    this.machine = machine;
    tlb = new TlbModel(machine.guest().vcpuCount());
  }

  /** A fresh oracle on {@code guest} running instructions with {@code cpu}. */
  public TlbOracle(GuestMachine guest, InstructionExecutor cpu) {
    this(new NativePlatform(guest, cpu));
  }

  public GuestMachine guest() {
    return machine.guest();
  }

  public int staleUses() {
    return staleUses;
  }

  /**
   * {@link #follow}, then the guests compared: null when native with a TLB could give the engine's
   * result and leaves the guest as the engine did, else why not.
   */
  public @Nullable String judge(GuestOp op, OpResult engine, GuestMachine engineGuest) {
    String complaint = follow(op, engine, engineGuest);
    if (complaint != null) {
      return complaint;
    }
    String state = guest().firstGuestDifference(engineGuest);
    return state == null ? null : "after '" + op + "': " + state;
  }

  /**
   * Follows {@code op}, whose result on the engine was {@code engine}: null when native with a
   * TLB could give that result (native then ends in the state that choice leaves), else why not.
   * A stale translation to the frame a fresh walk reaches gives the same result but sets no A/D
   * bit: {@code engineGuest} tells which of the two the engine did.
   */
  public @Nullable String follow(GuestOp op, OpResult engine, GuestMachine engineGuest) {
    GuestMachine guest = machine.guest();
    MachineMemory before = guest.machine().copy();
    String complaint = null;
    ControlRegisters regs = guest.vcpu(op.vcpu()).regs();
    if (op instanceof GuestOp.MemoryAccess access) {
      NativePlatform fresh = (NativePlatform) machine.copy();
      OpResult freshResult = fresh.apply(op);
      if (freshResult.equals(engine) && fresh.guest().firstGuestDifference(engineGuest) == null) {
        before = walkedAndRecorded(guest, before, access, regs);
        machine = fresh;
      } else if (staleAllowed(access, regs, engine)) {
        staleUses++;
      } else {
        complaint = "'" + op + "': engine gave " + engine + ", native " + freshResult
            + ", and no translation a TLB may hold gives that";
      }
      if (engine.status() == OpResult.Status.GUEST_FAULT) {
        recordWrites(machine.guest(), before); // the fresh machine, if the engine's result was its
        tlb.invalidatePage(op.vcpu(), access.va()); // a delivered #PF flushes the page
        return complaint;
      }
    } else {
      OpResult expected = machine.apply(op);
      if (!expected.equals(engine)) {
        complaint = "'" + op + "': engine gave " + engine + ", native " + expected;
      }
    }
    recordWrites(machine.guest(), before);
    if (op instanceof GuestOp.LoadCr3) {
      tlb.loadCr3(op.vcpu(), regs.cr3()); // the CR3 loaded over
    } else if (op instanceof GuestOp.Invlpg invlpg) {
      tlb.invalidatePage(op.vcpu(), invlpg.va());
    } else if (op instanceof GuestOp.FlushTlb || op instanceof GuestOp.SetControl) {
      tlb.flushAll(op.vcpu());
    } else if (op instanceof GuestOp.SetP2m) {
      for (int vcpu = 0; vcpu < guest.vcpuCount(); vcpu++) {
        tlb.flushAll(vcpu); // the hypervisor flushes every vCPU's TLB after changing the P2M
      }
    }
    return complaint;
  }

  /** Whether a stale translation gives {@code engine}; if so native performs that access too. */
  private boolean staleAllowed(GuestOp.MemoryAccess op, ControlRegisters regs, OpResult engine) {
    if (!regs.pagingEnabled()) {
      return false;
    }
    GuestMachine guest = machine.guest();
    List<AccessOutcome> stale = tlb.staleOutcomes(op.vcpu(), guest.physical(), regs, guest.cpu(), op.va(),
        Access.of(op.kind(), op.user()));
    for (AccessOutcome outcome : stale) {
      if (outcome.kind() == AccessOutcome.Kind.OK && engine.status() == OpResult.Status.OK
          && outcome.address() == engine.address()) {
        if (op.kind() == AccessKind.WRITE) {
          guest.machine().write(Addr.maddr(outcome.address()), op.size(), op.value());
          return true;
        }
        return guest.machine().read(Addr.maddr(outcome.address()), op.size()) == engine.value();
      }
      if (outcome.kind() != AccessOutcome.Kind.OK && OpResult.of(outcome, 0).equals(engine)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The access's own walk as a write of its own: the CPU sets the A and D bits of the entries it
   * walks, caches the translation so made valid, and only then stores. Logged as one change with
   * the store, a store through a self-map that clears the very entry it walked (A clear before, P
   * clear after) would hide the state in which the CPU cached that translation. Records the walk's
   * changes and returns the memory after them, which the store's changes are then measured from.
   */
  private MachineMemory walkedAndRecorded(GuestMachine guest, MachineMemory before, GuestOp.MemoryAccess access,
      ControlRegisters regs) {
    if (!regs.pagingEnabled()) {
      return before;
    }
    GuestMachine walked = guest.copy();
    Walker.walk(new GuestTables(walked.physical()), regs, guest.cpu(), access.va(), Access.of(access.kind(), access.user()),
        true);
    recordWrites(walked, before);
    return walked.machine();
  }

  /** Tells the TLB model about every guest word the operation changed. */
  private void recordWrites(GuestMachine guest, MachineMemory before) {
    for (int mfn = 0; mfn < guest.guestFrameLimit(); mfn++) {
      if (guest.machine().frameEquals(Addr.mfn(mfn), before, Addr.mfn(mfn))) {
        continue;
      }
      long gfn = guest.p2m().gfnOfMfn(Addr.mfn(mfn));
      if (gfn < 0) {
        continue;
      }
      for (int i = 0; i < 512; i++) {
        long old = before.read(Addr.maddrOf(Addr.mfn(mfn), i * 8L), 8);
        if (guest.machine().read(Addr.maddrOf(Addr.mfn(mfn), i * 8L), 8) != old) {
          tlb.recordWrite(Addr.gpaOf(Addr.gfn(gfn), i * 8L), 8, old);
        }
      }
    }
  }
}
