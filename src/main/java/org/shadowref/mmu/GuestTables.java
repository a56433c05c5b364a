package org.shadowref.mmu;

import org.shadowref.arch.Addr;
import org.shadowref.memory.GuestPhysicalMemory;

/** Guest page tables, read through the P2M: table addresses are guest-physical. */
public final class GuestTables implements PageTableMemory {
  private final GuestPhysicalMemory memory;

  public GuestTables(GuestPhysicalMemory memory) {
    this.memory = memory;
  }

  @Override
  public long readEntry(long address, int size) {
    return memory.read(Addr.gpa(address), size);
  }

  @Override
  public void writeEntry(long address, int size, long value) {
    memory.write(Addr.gpa(address), size, value);
  }
}
