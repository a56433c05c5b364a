package org.shadowref.mmu;

/**
 * Where a walk reads its paging-structure entries and writes its A/D updates. Addresses are in
 * the memory's own space: guest-physical for guest tables, machine for shadow tables.
 */
public interface PageTableMemory {
  long readEntry(long address, int size);

  /** Writes an entry back (only A/D updates); memory that cannot be written ignores it. */
  void writeEntry(long address, int size, long value);
}
