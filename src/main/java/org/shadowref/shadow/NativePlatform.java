package org.shadowref.shadow;

import java.util.function.LongConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.LinearMemory;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.NativeMmu;

/**
 * The oracle: the guest running on its own page tables, as on bare hardware. Memory accesses go
 * through {@link NativeMmu}; instructions run on the {@link InstructionExecutor} given (the
 * independent one, playing the CPU). There is no TLB: INVLPG and flushes change nothing.
 */
public final class NativePlatform implements Platform {
  private final GuestMachine guest;
  private final InstructionExecutor cpu;
  private final NativeMmu mmu;

  /** Runs {@code guest} natively; {@code cpu} executes its {@code Execute} operations. */
  public NativePlatform(GuestMachine guest, InstructionExecutor cpu) {
    this.guest = guest;
    this.cpu = cpu;
    this.mmu = new NativeMmu(guest.physical(), guest.cpu());
  }

  @Override
  public String name() {
    return "native";
  }

  @Override
  public OpResult apply(GuestOp op) {
    Vcpu vcpu = guest.vcpu(op.vcpu());
    if (op instanceof GuestOp.MemoryAccess access) {
      return access(access, vcpu);
    }
    if (op instanceof GuestOp.Execute execute) {
      return execute(execute, vcpu);
    }
    if (op instanceof GuestOp.LoadCr3 load) {
      GuestControl.loadCr3(vcpu, load);
      return OpResult.DONE;
    }
    if (op instanceof GuestOp.SetControl set) {
      String refusal = GuestControl.apply(vcpu, set);
      return refusal == null ? OpResult.DONE : OpResult.invalid(refusal);
    }
    if (op instanceof GuestOp.Raced raced) {
      // No handler window on bare hardware: the store happens, then the access walks what it wrote.
      OpResult store = access(raced.store(), guest.vcpu(raced.store().vcpu()));
      return GuestOp.Raced.result(store, access(raced.access(), vcpu));
    }
    if (op instanceof GuestOp.SetP2m change) {
      // The CPU walks guest-physical memory through the P2M, so the change is seen at once.
      String refusal = HypervisorP2m.apply(guest, change);
      return refusal == null ? OpResult.DONE : OpResult.invalid(refusal);
    }
    // INVLPG and TLB flushes: with no TLB there is nothing to drop. Log-dirty mode is the
    // hypervisor's alone: a guest on bare hardware has none, and sees none.
    return OpResult.DONE;
  }

  private OpResult access(GuestOp.MemoryAccess op, Vcpu vcpu) {
    AccessOutcome outcome = mmu.translate(vcpu.regs(), op.va(), Access.of(op.kind(), op.user()));
    return outcome.isOk() ? OpResult.of(outcome, complete(op, Addr.maddr(outcome.address()))) : OpResult.of(outcome, 0);
  }

  /** {@link #apply} without the result record for an access, as the engines serve it (benchmarks time both). */
  @Override
  public long perform(GuestOp op) {
    if (!(op instanceof GuestOp.MemoryAccess access)) {
      return apply(op).digest();
    }
    AccessOutcome outcome = mmu.translate(guest.vcpu(op.vcpu()).regs(), access.va(), Access.of(access.kind(), access.user()));
    if (!outcome.isOk()) {
      return OpResult.of(outcome, 0).digest();
    }
    @Maddr long maddr = Addr.maddr(outcome.address());
    return OpResult.digest(OpResult.Status.OK, maddr, 0, complete(access, maddr));
  }

  /** The data access of a translated {@code op}: the value a load reads (0 for a store). */
  private long complete(GuestOp.MemoryAccess op, @Maddr long maddr) {
    if (op.kind() == AccessKind.WRITE) {
      guest.machine().write(maddr, op.size(), op.value());
      return 0;
    }
    return guest.machine().read(maddr, op.size());
  }

  /** The block's instructions one after the other; the first that does not complete ends it. */
  private OpResult execute(GuestOp.Execute op, Vcpu vcpu) {
    GuestOp.@Nullable Execute next = op;
    while (next != null) {
      CpuState state = vcpu.cpu().copy();
      for (int i = 0; i < GuestOp.Execute.GPRS; i++) {
        state.setGpr(i, next.gpr(i));
      }
      EmulationResult result = cpu.execute(state, next.code(), new NativeMemory(vcpu), op.user());
      switch (result.kind()) {
        case DONE:
          vcpu.cpu().copyFrom(state);
          next = next.rest(result.length(), state);
          break;
        case MEMORY_STOP:
          AccessOutcome stop = result.stop();
          return stop == null ? OpResult.invalid("memory stop without an outcome") : OpResult.of(stop, 0);
        default:
          return OpResult.invalid(result.reason());
      }
    }
    return OpResult.DONE;
  }

  /** Linear memory through the native MMU: the instruction's view on bare hardware. */
  private final class NativeMemory implements LinearMemory {
    private final Vcpu vcpu;

    NativeMemory(Vcpu vcpu) {
      this.vcpu = vcpu;
    }

    @Override
    public AccessOutcome translate(@Gva long va, Access access) {
      return mmu.translate(vcpu.regs(), va, access);
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

  @Override
  public GuestMachine guest() {
    return guest;
  }

  @Override
  public Platform copy() {
    return new NativePlatform(guest.copy(), cpu);
  }

  @Override
  public Platform copyInto(Platform target) {
    if (!(target instanceof NativePlatform other) || other.cpu != cpu) {
      return copy();
    }
    guest.copyInto(target.guest());
    return target;
  }

  @Override
  public long fingerprint() {
    return guest.guestFingerprint();
  }

  /** The guest is the whole state: there is no TLB. */
  @Override
  public void fingerprint(LongConsumer into) {
    guest.fingerprint(into);
  }
}
