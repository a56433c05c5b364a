package org.shadowref.check.emulation;

import java.util.Random;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.LinearMemory;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.NativeMmu;
import org.shadowref.mmu.PageTableBuilder;

/**
 * A small guest for one instruction: {@link #PAGES} data pages from {@link #DATA} on, built with
 * {@link PageTableBuilder} (4-level for 64-bit code, 2-level for 32-bit code). Page 3 is
 * supervisor-only, page 4 read-only, page 5 not present, so user and supervisor accesses fault
 * in every way a store can. Memory is reached through the native MMU, as on bare hardware.
 */
public final class EmulationGuest implements LinearMemory {
  public static final long DATA = 0x10000;
  public static final int PAGES = 6;
  private static final int FRAMES = 32;
  private static final long FIRST_DATA_GFN = 8;
  private static final long USER_RW = EntryBits.P | EntryBits.RW | EntryBits.US;

  private final MachineMemory machine;
  private final P2m p2m;
  private final GuestPhysicalMemory physical;
  private final NativeMmu mmu;
  private final ControlRegisters regs;
  private long nextGfn = 1;

  /** Builds the guest and fills the data pages with words drawn from {@code pool}. */
  public EmulationGuest(CpuState.Mode mode, long[] pool, Random random) {
    machine = new MachineMemory(FRAMES);
    // No model checker fingerprints these guests: their frames are compared word by word.
    machine.stopKeepingDigests();
    p2m = new P2m(FRAMES);
    for (int gfn = 0; gfn < FRAMES / 2; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn + FRAMES / 2), true);
    }
    physical = new GuestPhysicalMemory(machine, p2m);
    mmu = new NativeMmu(physical, CpuModel.DEFAULT);
    PagingMode paging = mode == CpuState.Mode.LONG_64 ? PagingMode.FOUR_LEVEL : PagingMode.TWO_LEVEL;
    PageTableBuilder tables = new PageTableBuilder(physical, paging, () -> Addr.gfn(nextGfn++));
    for (int page = 0; page < PAGES - 1; page++) {
      long flags = page == 3 ? EntryBits.P | EntryBits.RW : page == 4 ? EntryBits.P | EntryBits.US : USER_RW;
      tables.map(Addr.gva(DATA + page * Addr.PAGE_SIZE), Addr.gpaOf(Addr.gfn(FIRST_DATA_GFN + page), 0), 1, flags, USER_RW);
    }
    ControlRegisters base = ControlRegisters.forMode(paging, tables.root());
    regs = new ControlRegisters(base.cr0() | ControlRegisters.CR0_WP, base.cr3(), base.cr4(), base.efer(), base.rflags());
    for (int page = 0; page < PAGES - 1; page++) {
      long frame = Addr.maddrOf(p2m.mfn(Addr.gfn(FIRST_DATA_GFN + page)), 0);
      for (int word = 0; word < Addr.PAGE_SIZE / 8; word++) {
        machine.write(Addr.maddr(frame + 8L * word), 8, pool[random.nextInt(pool.length)]);
      }
    }
  }

  private EmulationGuest(EmulationGuest original) {
    machine = original.machine.copy();
    p2m = original.p2m.copy();
    physical = new GuestPhysicalMemory(machine, p2m);
    mmu = new NativeMmu(physical, CpuModel.DEFAULT);
    regs = original.regs;
    nextGfn = original.nextGfn;
  }

  /** An identical guest on its own memory: what the second executor of a comparison runs on. */
  public EmulationGuest copy() {
    return new EmulationGuest(this);
  }

  @Override
  public AccessOutcome translate(@Gva long va, Access access) {
    return mmu.translate(regs, va, access);
  }

  @Override
  public long read(@Maddr long maddr, int size) {
    return machine.read(maddr, size);
  }

  @Override
  public void write(@Maddr long maddr, int size, long value) {
    machine.write(maddr, size, value);
  }

  /** The first machine frame whose contents differ from {@code other}'s, or -1. */
  public long firstDifferentFrame(EmulationGuest other) {
    for (int mfn = 0; mfn < FRAMES; mfn++) {
      if (!machine.frameEquals(Addr.mfn(mfn), other.machine, Addr.mfn(mfn))) {
        return mfn;
      }
    }
    return -1;
  }

  /** A copy of all machine memory, to check later that nothing was written. */
  public MachineMemory snapshot() {
    return machine.copy();
  }

  /**
   * The first data frame (not page-table frame: translations legitimately set A/D bits) that
   * differs from {@code snapshot}, or -1.
   */
  public long firstChangedDataFrame(MachineMemory snapshot) {
    for (long mfn = FRAMES / 2 + FIRST_DATA_GFN; mfn < FRAMES / 2 + FIRST_DATA_GFN + PAGES; mfn++) {
      if (!machine.frameEquals(Addr.mfn(mfn), snapshot, Addr.mfn(mfn))) {
        return mfn;
      }
    }
    return -1;
  }
}
