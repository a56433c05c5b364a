package org.shadowref.shadow;

import java.util.function.LongConsumer;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.emulate.CpuState;

/** One guest vCPU: its paging registers as the guest wrote them, and its register file. */
public final class Vcpu {
  private final int id;
  private ControlRegisters regs;
  private final CpuState cpu;

  public Vcpu(int id, ControlRegisters regs, CpuState cpu) {
    this.id = id;
    this.regs = regs;
    this.cpu = cpu;
  }

  public int id() {
    return id;
  }

  /** The guest's view of CR0/CR3/CR4/EFER/RFLAGS (never the shadow root). */
  public ControlRegisters regs() {
    return regs;
  }

  public void setRegs(ControlRegisters regs) {
    this.regs = regs;
  }

  public CpuState cpu() {
    return cpu;
  }

  public Vcpu copy() {
    return new Vcpu(id, regs, cpu.copy());
  }

  /** Makes this vCPU's registers equal to {@code source}'s (the same vCPU of another copy). */
  public void restoreFrom(Vcpu source) {
    if (source.id != id) {
      throw new IllegalArgumentException("vcpu" + id + " restored from vcpu" + source.id);
    }
    regs = source.regs;
    cpu.copyFrom(source.cpu);
  }

  /** Feeds the paging registers and the register file to {@code into}. */
  public void fingerprint(LongConsumer into) {
    into.accept(regs.cr0());
    into.accept(regs.cr3());
    into.accept(regs.cr4());
    into.accept(regs.efer());
    into.accept(regs.rflags());
    cpu.fingerprint(into);
  }

  @Override
  public String toString() {
    return "vcpu" + id + " " + regs + " " + cpu;
  }
}
