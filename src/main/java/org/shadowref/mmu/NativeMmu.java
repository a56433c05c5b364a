package org.shadowref.mmu;

import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.arch.qual.Gva;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.P2mType;

/**
 * The native oracle for one access: what a real CPU, running the guest on its own page tables,
 * does with a linear address. Paging off maps linear to guest-physical 1:1; then the P2M decides
 * whether the access reaches RAM or exits.
 */
public final class NativeMmu {
  private final GuestPhysicalMemory memory;
  private final GuestTables tables;
  private final CpuModel cpu;
  private final WalkResult scratch = new WalkResult();

  /** The MMU of a CPU of model {@code cpu}, walking the guest's tables in {@code memory}. */
  public NativeMmu(GuestPhysicalMemory memory, CpuModel cpu) {
    this.memory = memory;
    this.tables = new GuestTables(memory);
    this.cpu = cpu;
  }

  /** Translates and checks one access, setting A/D in the guest tables when it succeeds. */
  public AccessOutcome translate(ControlRegisters regs, @Gva long va, Access access) {
    long gpa;
    PagingMode mode = regs.pagingMode();
    if (mode == null) {
      gpa = va & 0xFFFF_FFFFL;
    } else {
      Walker.walk(tables, regs, cpu, va, access, true, scratch);
      if (!scratch.ok()) {
        return AccessOutcome.guestFault(scratch.errorCode(), va);
      }
      gpa = scratch.translated();
    }
    return physicalOutcome(memory, Addr.gpa(gpa), access);
  }

  /** Where an access to guest-physical {@code gpa} lands, by the P2M type of its frame. */
  public static AccessOutcome physicalOutcome(GuestPhysicalMemory memory, @Gpa long gpa, Access access) {
    AccessOutcome.Kind kind = physicalKind(memory, gpa, access);
    return new AccessOutcome(kind, kind == AccessOutcome.Kind.OK ? memory.machineAddress(gpa) : gpa, 0);
  }

  /** {@link #physicalOutcome} into {@code into}, allocating nothing. */
  public static void physicalOutcome(GuestPhysicalMemory memory, @Gpa long gpa, Access access, MutableOutcome into) {
    AccessOutcome.Kind kind = physicalKind(memory, gpa, access);
    into.set(kind, kind == AccessOutcome.Kind.OK ? memory.machineAddress(gpa) : gpa, 0);
  }

  /** RAM is reached; a write to read-only RAM and MMIO exit; a frame with nothing behind it is unmapped. */
  private static AccessOutcome.Kind physicalKind(GuestPhysicalMemory memory, @Gpa long gpa, Access access) {
    switch (memory.p2m().type(Addr.gfnOf(gpa))) {
      case RAM:
        return AccessOutcome.Kind.OK;
      case RAM_RO:
        return access.isWrite() ? AccessOutcome.Kind.MMIO : AccessOutcome.Kind.OK;
      case MMIO:
        return AccessOutcome.Kind.MMIO;
      default:
        return AccessOutcome.Kind.UNMAPPED_GFN;
    }
  }
}
