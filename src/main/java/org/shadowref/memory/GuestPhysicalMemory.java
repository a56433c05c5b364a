package org.shadowref.memory;

import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.arch.qual.Maddr;

/**
 * Guest-physical memory as the CPU's page walker and the guest's stores see it: the P2M in front
 * of machine memory. A read of a frame with no RAM behind it returns all ones, as an unclaimed
 * bus cycle does on PC hardware; a write to such a frame, or to read-only RAM, is dropped.
 */
public final class GuestPhysicalMemory {
  private final MachineMemory machine;
  private final P2m p2m;

  public GuestPhysicalMemory(MachineMemory machine, P2m p2m) {
    this.machine = machine;
    this.p2m = p2m;
  }

  public P2m p2m() {
    return p2m;
  }

  /** The machine address behind {@code gpa}, or -1 when the frame is not RAM. */
  public long machineAddress(@Gpa long gpa) {
    long gfn = Addr.gfnOf(gpa);
    if (!p2m.type(Addr.gfn(gfn)).isRam()) {
      return -1;
    }
    return Addr.maddrOf(p2m.mfn(Addr.gfn(gfn)), gpa);
  }

  public long read(@Gpa long gpa, int size) {
    long maddr = machineAddress(gpa);
    if (maddr < 0) {
      return size == 8 ? -1L : (1L << (size * 8)) - 1;
    }
    return machine.read(Addr.maddr(maddr), size);
  }

  /** Writes if the frame is writable RAM; returns whether the write reached memory. */
  public boolean write(@Gpa long gpa, int size, long value) {
    if (p2m.type(Addr.gfnOf(gpa)) != P2mType.RAM) {
      return false;
    }
    @Maddr long maddr = Addr.maddr(machineAddress(gpa));
    machine.write(maddr, size, value);
    return true;
  }
}
