package org.shadowref.shadow;

import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.LinearMemory;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.NativeMmu;

/**
 * The oracle machine: the guest running on a real CPU with its own page tables, no hypervisor
 * in the way. Every access is a fresh walk (no TLB: a native CPU that invalidates eagerly, which
 * is what a correct shadow engine without out-of-sync shadows must be equal to).
 */
public final class NativePlatform implements Platform {
  private final GuestMachine guest;
  private final InstructionExecutor cpu;
  private final NativeMmu mmu;

  /** @param cpu executes {@link GuestOp.Execute} instructions: the independent SDM executor */
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
  public GuestMachine guest() {
    return guest;
  }

  @Override
  public OpResult apply(GuestOp op) {
    Vcpu vcpu = guest.vcpu(op.vcpu());
    if (op instanceof GuestOp.MemoryAccess) {
      return access(vcpu, (GuestOp.MemoryAccess) op);
    }
    if (op instanceof GuestOp.Execute) {
      return execute(vcpu, (GuestOp.Execute) op);
    }
    if (op instanceof GuestOp.LoadCr3) {
      vcpu.setRegs(vcpu.regs().withCr3(((GuestOp.LoadCr3) op).cr3()));
      return OpResult.DONE;
    }
    if (op instanceof GuestOp.SetControl) {
      GuestOp.SetControl set = (GuestOp.SetControl) op;
      vcpu.setRegs(new ControlRegisters(set.cr0(), vcpu.regs().cr3(), set.cr4(), set.efer(), set.rflags()));
      vcpu.cpu().setRflags(set.rflags());
      return OpResult.DONE;
    }
    // INVLPG and flushes: a CPU without a TLB has nothing to drop.
    return OpResult.DONE;
  }

  private OpResult access(Vcpu vcpu, GuestOp.MemoryAccess op) {
    AccessOutcome outcome = mmu.translate(vcpu.regs(), op.va(), Access.of(op.kind(), op.user()));
    if (!outcome.isOk()) {
      return OpResult.of(outcome, 0);
    }
    @Maddr long maddr = Addr.maddr(outcome.address());
    if (op.kind() == AccessKind.WRITE) {
      guest.machine().write(maddr, op.size(), op.value());
      return OpResult.of(outcome, 0);
    }
    return OpResult.of(outcome, guest.machine().read(maddr, op.size()));
  }

  private OpResult execute(Vcpu vcpu, GuestOp.Execute op) {
    CpuState state = vcpu.cpu();
    long[] gprs = op.gprs();
    for (int i = 0; i < gprs.length; i++) {
      state.setGpr(i, gprs[i]);
    }
    EmulationResult result = cpu.execute(state, op.code(), new Memory(vcpu), op.user());
    switch (result.kind()) {
      case DONE:
        return OpResult.DONE;
      case MEMORY_STOP:
        AccessOutcome stop = result.stop();
        return stop == null ? OpResult.invalid("memory stop without an outcome") : OpResult.of(stop, 0);
      default:
        return OpResult.invalid(result.reason());
    }
  }

  @Override
  public Platform copy() {
    return new NativePlatform(guest.copy(), cpu);
  }

  @Override
  public long fingerprint() {
    return guest.guestFingerprint();
  }

  /** Guest memory as an instruction on this vCPU reaches it: the native walk, then RAM. */
  private final class Memory implements LinearMemory {
    private final Vcpu vcpu;

    Memory(Vcpu vcpu) {
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
}
