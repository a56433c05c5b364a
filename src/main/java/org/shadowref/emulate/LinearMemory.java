package org.shadowref.emulate;

import org.shadowref.arch.Access;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.mmu.AccessOutcome;

/**
 * Guest memory as an instruction reaches it: linear addresses translated through the guest's
 * paging. The native machine implements it with the native MMU; a shadow engine implements it
 * with its own guest walk, and sees every write, so it can revalidate the shadows a write touched.
 */
public interface LinearMemory {
  /**
   * Translates {@code va} for {@code access}: an OK outcome carrying the machine address of
   * {@code va}, or the #PF / exit the access raises. A successful translation sets the guest's A
   * (and, for writes, D) bits as the hardware does.
   */
  AccessOutcome translate(@Gva long va, Access access);

  /** Reads {@code size} bytes (1, 2, 4, 8) at a machine address from a translation. */
  long read(@Maddr long maddr, int size);

  /** Writes {@code size} bytes (1, 2, 4, 8) at a machine address from a translation. */
  void write(@Maddr long maddr, int size, long value);
}
