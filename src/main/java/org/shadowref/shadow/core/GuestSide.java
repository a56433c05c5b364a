package org.shadowref.shadow.core;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.LinearMemory;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.MutableOutcome;
import org.shadowref.mmu.NativeMmu;
import org.shadowref.mmu.PageTableMemory;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Vcpu;

/**
 * The guest's side of the page-fault handler: the guest's own page walk ({@code
 * guest_walk_tables}), whose A/D updates are written through the engine so that their shadows
 * are revalidated, and the emulation of a faulting access or instruction on the guest's
 * translation. Both engines use it; which shadows a write to guest memory revalidates, and how,
 * is the engine's ({@link Writes}).
 */
public final class GuestSide {
  /** {@link #runInstruction}'s known page when there is none (no linear page number is negative). */
  public static final long NO_PAGE = -1;

  /** How the engine writes guest memory on the guest's behalf. */
  public interface Writes {
    /**
     * Writes guest memory and revalidates every shadow entry derived from the bytes written
     * ({@code sh_validate_guest_entry}).
     *
     * @param dataWrite a store of the guest's (emulated), not an A/D update of a guest walk
     */
    void writeGuestMachine(@Maddr long maddr, int size, long value, boolean dataWrite);
  }

  private final GuestMachine guest;
  private final Writes writes;
  private final RevalidatingGuestTables tables = new RevalidatingGuestTables();
  /** The walk in progress (reused: walks never nest, revalidation walks nothing). */
  private final WalkResult walk = new WalkResult();
  /** Where the walk in progress lands. */
  private final MutableOutcome outcome = new MutableOutcome();
  /** The registers of the instruction being emulated: loaded from the vCPU, committed on success. */
  private final CpuState emulating = new CpuState(CpuState.Mode.LONG_64);
  private final GuestLinearMemory linearMemory = new GuestLinearMemory();

  public GuestSide(GuestMachine guest, Writes writes) {
    this.guest = guest;
    this.writes = writes;
  }

  /**
   * The guest walk: the native walk on the guest's tables, setting their A and D bits; then the
   * P2M decides where the access lands. A guest with paging off reaches guest-physical memory
   * directly.
   */
  public AccessOutcome walk(Vcpu vcpu, @Gva long va, Access access) {
    walk(vcpu, va, access, outcome);
    return outcome.freeze();
  }

  /** {@link #walk(Vcpu, long, Access)} into {@code into}, allocating nothing. */
  public void walk(Vcpu vcpu, @Gva long va, Access access, MutableOutcome into) {
    walk(vcpu, va, access, tables, walk, into);
  }

  /**
   * {@link #walk(Vcpu, long, Access, MutableOutcome)} on the guest's tables as {@code on} reads and
   * writes them (an engine that records the walk to check it later), with {@code walk} as scratch.
   */
  public void walk(Vcpu vcpu, @Gva long va, Access access, PageTableMemory on, WalkResult walk, MutableOutcome into) {
    ControlRegisters regs = vcpu.regs();
    if (!regs.pagingEnabled()) {
      NativeMmu.physicalOutcome(guest.physical(), Addr.gpa(va & 0xFFFF_FFFFL), access, into);
      return;
    }
    Walker.walk(on, regs, guest.cpu(), va, access, true, walk);
    if (!walk.ok()) {
      into.set(AccessOutcome.Kind.GUEST_FAULT, va, walk.errorCode());
      return;
    }
    NativeMmu.physicalOutcome(guest.physical(), Addr.gpa(walk.translated()), access, into);
  }

  /**
   * Performs the faulting access for the guest on the guest walk's translation {@code target}: a
   * plain access directly, an instruction through the hypervisor's {@code emulator} (or, if it
   * gives up, through the {@code cpu} itself with the shadows' protection set aside for that one
   * instruction).
   */
  public FaultResolution emulateAccess(
      Vcpu vcpu, GuestOp op, AccessOutcome target, InstructionExecutor emulator, InstructionExecutor cpu) {
    if (op instanceof GuestOp.MemoryAccess access) {
      @Maddr long maddr = Addr.maddr(target.address());
      if (access.kind() == AccessKind.WRITE) {
        writes.writeGuestMachine(maddr, access.size(), access.value(), true);
        return FaultResolution.ending(OpResult.of(target, 0), true);
      }
      return FaultResolution.ending(OpResult.of(target, guest.machine().read(maddr, access.size())), true);
    }
    GuestOp.Execute execute = (GuestOp.Execute) op;
    EmulationResult result = runInstruction(emulator, vcpu, execute);
    if (result.kind() == EmulationResult.Kind.UNHANDLEABLE) {
      result = runInstruction(cpu, vcpu, execute);
    }
    return instructionEnded(result);
  }

  /** Runs {@code op} with {@code executor} on the guest's own translation; commits on success. */
  public EmulationResult runInstruction(InstructionExecutor executor, Vcpu vcpu, GuestOp.Execute op) {
    return runInstruction(executor, vcpu, op, NO_PAGE, Addr.mfn(0));
  }

  /**
   * {@link #runInstruction(InstructionExecutor, Vcpu, GuestOp.Execute)} with one page's translation
   * known in advance: a supervisor data access to linear page {@code knownPage} (an address shifted
   * right by 12) lands in machine frame {@code knownFrame} without a walk. The caller vouches that
   * the walk would give exactly that and write nothing (every A bit and the leaf's D bit set); other
   * pages are walked.
   */
  public EmulationResult runInstruction(
      InstructionExecutor executor, Vcpu vcpu, GuestOp.Execute op, long knownPage, @Mfn long knownFrame) {
    ShadowHardware.load(emulating, vcpu, op);
    linearMemory.knownPage = knownPage;
    linearMemory.knownFrame = knownFrame;
    EmulationResult result;
    try {
      result = executor.execute(emulating, op.code(), linearMemory.of(vcpu), op.user());
    } finally {
      linearMemory.knownPage = NO_PAGE;
    }
    if (result.kind() == EmulationResult.Kind.DONE) {
      vcpu.cpu().copyFrom(emulating);
    }
    return result;
  }

  /** How an emulated instruction ends the operation. */
  public static FaultResolution instructionEnded(EmulationResult result) {
    switch (result.kind()) {
      case DONE:
        return FaultResolution.instructionsDone(result.length());
      case MEMORY_STOP:
        AccessOutcome stop = result.stop();
        return FaultResolution.ending(
            stop == null ? OpResult.invalid("memory stop without an outcome") : OpResult.of(stop, 0), false);
      default:
        return FaultResolution.ending(OpResult.invalid(result.reason()), true);
    }
  }

  /** Guest memory as the emulator sees it: the guest walk, with every write revalidated. */
  private final class GuestLinearMemory implements LinearMemory {
    private @Nullable Vcpu vcpu;
    /** A page whose translation the caller gave ({@link #NO_PAGE}: none), and its frame. */
    private long knownPage = NO_PAGE;
    private @Mfn long knownFrame = Addr.mfn(0);

    /** This memory as {@code vcpu}'s instruction reaches it. */
    GuestLinearMemory of(Vcpu vcpu) {
      this.vcpu = vcpu;
      return this;
    }

    private Vcpu vcpu() {
      Vcpu running = vcpu;
      if (running == null) {
        throw new IllegalStateException("guest linear memory used outside an instruction");
      }
      return running;
    }

    @Override
    public AccessOutcome translate(@Gva long va, Access access) {
      if (knownPage != NO_PAGE && va >>> Addr.PAGE_SHIFT == knownPage && !access.user() && !access.isFetch()) {
        return AccessOutcome.ok(Addr.maddrOf(knownFrame, Addr.pageOffset(va)));
      }
      return walk(vcpu(), va, access);
    }

    @Override
    public long read(@Maddr long maddr, int size) {
      return guest.machine().read(maddr, size);
    }

    @Override
    public void write(@Maddr long maddr, int size, long value) {
      writes.writeGuestMachine(maddr, size, value, true);
    }
  }

  /** Guest tables whose A/D updates go through the engine, so their shadows are revalidated. */
  private final class RevalidatingGuestTables implements PageTableMemory {
    @Override
    public long readEntry(long address, int size) {
      return guest.physical().read(Addr.gpa(address), size);
    }

    @Override
    public void writeEntry(long address, int size, long value) {
      writeWalkEntry(address, size, value);
    }
  }

  /**
   * An A/D update of the guest walk to the entry at guest-physical {@code address}, written through
   * the engine (revalidated, logged) where guest RAM backs it; elsewhere it is dropped.
   */
  public void writeWalkEntry(long address, int size, long value) {
    @Gpa long gpa = Addr.gpa(address);
    long maddr = guest.physical().machineAddress(gpa);
    if (guest.p2m().type(Addr.gfnOf(gpa)) == P2mType.RAM && maddr >= 0) {
      writes.writeGuestMachine(Addr.maddr(maddr), size, value, false);
    }
  }
}
