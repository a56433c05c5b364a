package org.shadowref.shadow.core;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.LinearMemory;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.MachineTables;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Vcpu;

/**
 * The machine an engine runs its guest on: the MMU walking the shadow tables in machine memory
 * with the engine's hardware registers, and the CPU executor running instructions on them. A #PF
 * enters the engine's handler; the loops here are what a vCPU does around it: retry after
 * {@code FIXED}, else end the operation with the handler's answer. Both engines run on this one
 * machine, so they differ only in their handlers and shadow memory, and a benchmark times the
 * same hardware under both. No engine code runs here but the handler it calls.
 */
public final class ShadowHardware {
  /**
   * Handler runs one access, or one instruction of a block, may need before it completes; more is
   * an engine bug.
   */
  public static final int MAX_FAULTS_PER_OP = 12;

  /** What the hardware needs of the engine it runs. */
  public interface Engine {
    /** The registers the MMU walks the vCPU's shadows with. */
    ControlRegisters hardwareRegs(int vcpu);

    /** The page-fault handler: the MMU raised #PF with {@code errorCode} at {@code va}. */
    FaultResolution pageFault(int vcpu, @Gva long va, int errorCode, GuestOp faultingOp);
  }

  private final GuestMachine guest;
  private final MachineTables tables;
  private final CpuModel hostCpu;
  private final InstructionExecutor cpu;
  private final Engine engine;
  /** The walk of the access in progress (reused: an engine runs one operation at a time). */
  private final WalkResult accessWalk = new WalkResult();
  /** The walk of {@link #allows}, which the handler runs while an access is in progress. */
  private final WalkResult checkWalk = new WalkResult();
  /** The CPU's walks while it runs an instruction (the handler never runs meanwhile). */
  private final WalkResult cpuWalk = new WalkResult();
  /** The registers of the instruction in flight: loaded from the vCPU, committed only on success. */
  private final CpuState running = new CpuState(CpuState.Mode.LONG_64);
  /** Linear memory as the instruction in flight reaches it. */
  private final HardwareMemory hardwareMemory = new HardwareMemory();

  /**
   * @param hostCpu the MMU's CPU model (its MAXPHYADDR bounds the shadows' frames)
   * @param cpu the executor playing the CPU for {@link GuestOp.Execute}
   */
  public ShadowHardware(
      GuestMachine guest, CpuModel hostCpu, InstructionExecutor cpu, Engine engine) {
    this.guest = guest;
    this.tables = new MachineTables(guest.machine());
    this.hostCpu = hostCpu;
    this.cpu = cpu;
    this.engine = engine;
  }

  public CpuModel hostCpu() {
    return hostCpu;
  }

  /** A load, store or fetch: the MMU tries, the handler fixes, until it completes. */
  public OpResult access(GuestOp.MemoryAccess op) {
    OpResult ended = translate(op);
    if (ended != null) {
      return ended;
    }
    @Maddr long maddr = Addr.maddr(accessWalk.translated());
    return OpResult.of(AccessOutcome.ok(maddr), completeAccess(op, maddr));
  }

  /**
   * {@link #access}, returning {@link OpResult#digest()} of its result instead of the result:
   * an access the MMU completes allocates nothing (see {@link org.shadowref.shadow.Platform#perform}).
   */
  public long perform(GuestOp.MemoryAccess op) {
    OpResult ended = translate(op);
    if (ended != null) {
      return ended.digest();
    }
    @Maddr long maddr = Addr.maddr(accessWalk.translated());
    return OpResult.digest(OpResult.Status.OK, maddr, 0, completeAccess(op, maddr));
  }

  /**
   * The MMU's half of an access, once: walk the shadows (setting their A/D bits as a CPU would)
   * and, if they allow it, read or write machine memory; else the #PF error code. Models drive
   * the hardware and the handler apart through this.
   */
  public HardwareStep step(GuestOp.MemoryAccess op) {
    walk(op.vcpu(), op.va(), Access.of(op.kind(), op.user()), true, accessWalk);
    if (!accessWalk.ok()) {
      return HardwareStep.fault(accessWalk.errorCode());
    }
    @Maddr long maddr = Addr.maddr(accessWalk.translated());
    return HardwareStep.done(OpResult.of(AccessOutcome.ok(maddr), completeAccess(op, maddr)));
  }

  /**
   * Walks the shadows until the MMU translates {@code op} (null: the translation is in {@link
   * #accessWalk}) or the handler ends it (its result: a guest fault, an exit, an emulated access).
   */
  private @Nullable OpResult translate(GuestOp.MemoryAccess op) {
    Access access = Access.of(op.kind(), op.user());
    for (int attempt = 0; attempt < MAX_FAULTS_PER_OP; attempt++) {
      walk(op.vcpu(), op.va(), access, true, accessWalk);
      if (accessWalk.ok()) {
        return null;
      }
      FaultResolution resolution = engine.pageFault(op.vcpu(), op.va(), accessWalk.errorCode(), op);
      if (resolution.kind() != FaultResolution.Kind.FIXED) {
        return finish(resolution, op);
      }
    }
    throw stillFaulting(op);
  }

  /** The data access the MMU performs once it has translated {@code op}: the value a load reads. */
  private long completeAccess(GuestOp.MemoryAccess op, @Maddr long maddr) {
    if (op.kind() == AccessKind.WRITE) {
      guest.machine().write(maddr, op.size(), op.value());
      return 0;
    }
    return guest.machine().read(maddr, op.size());
  }

  /**
   * A block of instructions: the CPU runs each on the shadows. A #PF stops an instruction with
   * nothing changed; the handler runs, and the instruction restarts unless the handler finished
   * it (and perhaps the ones after it: {@link FaultResolution#instructionBytes}).
   */
  public OpResult execute(GuestOp.Execute op) {
    Vcpu vcpu = guest.vcpu(op.vcpu());
    GuestOp.Execute instruction = op;
    int attempts = 0;
    while (true) {
      if (attempts++ == MAX_FAULTS_PER_OP) {
        throw stillFaulting(instruction);
      }
      load(running, vcpu, instruction);
      HardwareMemory memory = hardwareMemory.start(op.vcpu());
      EmulationResult result = cpu.execute(running, instruction.code(), memory, op.user());
      int done; // bytes of the block the instruction (or the handler) completed
      if (result.kind() == EmulationResult.Kind.DONE) {
        vcpu.cpu().copyFrom(running);
        done = result.length();
      } else if (result.kind() == EmulationResult.Kind.UNHANDLEABLE) {
        return OpResult.invalid(result.reason());
      } else if (!memory.faulted) {
        AccessOutcome stop = result.stop();
        return stop == null ? OpResult.invalid("memory stop without an outcome") : OpResult.of(stop, 0);
      } else {
        FaultResolution resolution = engine.pageFault(op.vcpu(), memory.faultVa, memory.faultErrorCode, instruction);
        done = resolution.instructionBytes();
        if (done == 0) {
          if (resolution.kind() != FaultResolution.Kind.FIXED) {
            return finish(resolution, op);
          }
          continue; // retry
        }
      }
      GuestOp.@Nullable Execute rest = instruction.rest(done, vcpu.cpu());
      if (rest == null) {
        return OpResult.DONE;
      }
      instruction = rest;
      attempts = 0;
    }
  }

  /** Loads {@code into} with the state an instruction starts from: the vCPU's, with the operation's registers. */
  static void load(CpuState into, Vcpu vcpu, GuestOp.Execute op) {
    into.copyFrom(vcpu.cpu());
    for (int i = 0; i < GuestOp.Execute.GPRS; i++) {
      into.setGpr(i, op.gpr(i));
    }
  }

  /** Whether the MMU's walk of the shadows now lets {@code access} through (A/D bits untouched). */
  public boolean allows(int vcpu, @Gva long va, Access access) {
    walk(vcpu, va, access, false, checkWalk);
    return checkWalk.ok();
  }

  /** The MMU's walk of the vCPU's shadows for {@code va}, into {@code out}. */
  public void walk(int vcpu, @Gva long va, Access access, boolean setAccessedDirty, WalkResult out) {
    Walker.walk(tables, engine.hardwareRegs(vcpu), hostCpu, va, access, setAccessedDirty, out);
  }

  private static OpResult finish(FaultResolution resolution, GuestOp op) {
    if (resolution.kind() == FaultResolution.Kind.NOT_SHADOW_FAULT) {
      throw new IllegalStateException(
          "recursive shadow fault on vcpu" + op.vcpu() + " during " + op + ": the shadow lock is held");
    }
    return resolution.outcome();
  }

  private IllegalStateException stillFaulting(GuestOp op) {
    return new IllegalStateException(
        "engine bug: " + op + " still faults after " + MAX_FAULTS_PER_OP + " handler runs; " + engine);
  }

  /** Linear memory as the CPU reaches it: the MMU's walk of the shadows; a #PF stops the instruction. */
  private final class HardwareMemory implements LinearMemory {
    private int vcpu;
    boolean faulted;
    @Gva long faultVa;
    int faultErrorCode;

    /** Readies this memory for an instruction of {@code vcpu}. */
    HardwareMemory start(int vcpu) {
      this.vcpu = vcpu;
      faulted = false;
      faultVa = Addr.gva(0);
      faultErrorCode = 0;
      return this;
    }

    @Override
    public AccessOutcome translate(@Gva long va, Access access) {
      walk(vcpu, va, access, true, cpuWalk);
      if (cpuWalk.ok()) {
        return AccessOutcome.ok(cpuWalk.translated());
      }
      faulted = true;
      faultVa = va;
      faultErrorCode = cpuWalk.errorCode();
      return AccessOutcome.guestFault(cpuWalk.errorCode(), va);
    }

    @Override
    public long read(@Maddr long maddr, int size) {
      return guest.machine().read(maddr, size);
    }

    @Override
    public void write(@Maddr long maddr, int size, long value) {
      guest.machine().write(maddr, size, value);
    }
  }
}
