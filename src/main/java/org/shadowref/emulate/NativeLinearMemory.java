package org.shadowref.emulate;

import org.shadowref.arch.Access;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.NativeMmu;

/**
 * Linear memory as a CPU running the guest natively sees it: the guest's own page tables walked
 * by {@link NativeMmu} (setting A/D), then machine memory. RFLAGS.AC for SMAP is taken from the
 * control registers given here, not from the instruction's {@link CpuState}.
 */
public final class NativeLinearMemory implements LinearMemory {
  private final NativeMmu mmu;
  private final GuestPhysicalMemory memory;
  private ControlRegisters registers;

  public NativeLinearMemory(NativeMmu mmu, GuestPhysicalMemory memory, ControlRegisters registers) {
    this.mmu = mmu;
    this.memory = memory;
    this.registers = registers;
  }

  public ControlRegisters registers() {
    return registers;
  }

  public void setRegisters(ControlRegisters registers) {
    this.registers = registers;
  }

  @Override
  public AccessOutcome translate(@Gva long va, Access access) {
    return mmu.translate(registers, va, access);
  }

  @Override
  public long read(@Maddr long maddr, int size) {
    return memory.machine().read(maddr, size);
  }

  @Override
  public void write(@Maddr long maddr, int size, long value) {
    memory.machine().write(maddr, size, value);
  }
}
