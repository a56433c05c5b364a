package org.shadowref.mmu;

import org.shadowref.arch.Addr;
import org.shadowref.memory.MachineMemory;

/**
 * Tables in machine memory, walked as the real MMU walks shadow page tables: table addresses
 * are machine addresses. An address outside memory reads as all ones and ignores writes.
 */
public final class MachineTables implements PageTableMemory {
  private final MachineMemory memory;

  public MachineTables(MachineMemory memory) {
    this.memory = memory;
  }

  @Override
  public long readEntry(long address, int size) {
    if (!memory.contains(Addr.mfnOf(Addr.maddr(address)))) {
      return size == 8 ? -1L : 0xFFFF_FFFFL;
    }
    return memory.read(Addr.maddr(address), size);
  }

  @Override
  public void writeEntry(long address, int size, long value) {
    if (memory.contains(Addr.mfnOf(Addr.maddr(address)))) {
      memory.write(Addr.maddr(address), size, value);
    }
  }
}
