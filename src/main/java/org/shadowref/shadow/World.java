package org.shadowref.shadow;

import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.PageTableBuilder;

/**
 * A small guest to run platforms on, for tests, models and generators: N vCPUs (paging off),
 * {@code ramFrames} frames of guest RAM, a few guest frames past the RAM with nothing behind them
 * (to be made MMIO or left absent), and {@code hypervisorFrames} machine frames for shadows.
 *
 * <p>Guest frame {@code g} is machine frame {@code g + MFN_OFFSET}, so that a gfn used as an mfn
 * (or the reverse) lands on the wrong frame and shows. Machine frames below {@code MFN_OFFSET}
 * belong to the guest's side of memory but back no guest frame. Guest frames are handed out lowest
 * first, so equal build steps give equal worlds.
 */
public final class World {
  public static final int MFN_OFFSET = 4;
  /** Guest frames past the RAM that the P2M knows about (absent until made MMIO or RAM). */
  public static final int SPARE_GFNS = 8;

  private final GuestMachine machine;
  private final boolean[] allocated;

  public World(int vcpuCount, int ramFrames, int hypervisorFrames) {
    this(vcpuCount, ramFrames, hypervisorFrames, CpuModel.DEFAULT);
  }

  public World(int vcpuCount, int ramFrames, int hypervisorFrames, CpuModel cpu) {
    this(vcpuCount, ramFrames, hypervisorFrames, cpu, ramFrames + SPARE_GFNS);
  }

  /**
   * A world whose P2M knows {@code gfnCount} guest frames (at least {@code ramFrames +
   * SPARE_GFNS}), so that RAM can be moved to high guest frames (under a large page at a non-zero
   * base) with {@link #relocate}.
   */
  public World(int vcpuCount, int ramFrames, int hypervisorFrames, CpuModel cpu, int gfnCount) {
    if (vcpuCount < 1 || ramFrames < 1 || hypervisorFrames < 0) {
      throw new IllegalArgumentException("a world needs a vCPU and a frame of RAM");
    }
    if (gfnCount < ramFrames + SPARE_GFNS) {
      throw new IllegalArgumentException("the P2M needs room for the RAM and the spare frames");
    }
    int guestFrameLimit = ramFrames + MFN_OFFSET;
    MachineMemory memory = new MachineMemory(guestFrameLimit + hypervisorFrames);
    P2m p2m = new P2m(gfnCount);
    for (int gfn = 0; gfn < ramFrames; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn + MFN_OFFSET), true);
    }
    Vcpu[] vcpus = new Vcpu[vcpuCount];
    for (int i = 0; i < vcpuCount; i++) {
      vcpus[i] = new Vcpu(i, ControlRegisters.pagingOff(), new CpuState(CpuState.Mode.PROTECTED_32));
    }
    machine = new GuestMachine(memory, p2m, cpu, vcpus, guestFrameLimit);
    allocated = new boolean[ramFrames];
  }

  public GuestMachine machine() {
    return machine;
  }

  public int ramFrames() {
    return allocated.length;
  }

  /** The lowest guest RAM frame not yet handed out, zeroed. */
  public @Gfn long allocateFrame() {
    for (int gfn = 0; gfn < allocated.length; gfn++) {
      if (!allocated[gfn]) {
        allocated[gfn] = true;
        machine.machine().zeroFrame(machine.p2m().mfn(Addr.gfn(gfn)));
        return Addr.gfn(gfn);
      }
    }
    throw new IllegalStateException("guest RAM exhausted: all " + allocated.length + " frames are in use");
  }

  /** Marks {@code gfn} as used (a data page the caller chose), so tables are not put there. */
  public void reserve(@Gfn long gfn) {
    if (gfn >= 0 && gfn < allocated.length) {
      allocated[(int) gfn] = true;
    }
  }

  /** A builder whose new tables come from {@link #allocateFrame()}. */
  public PageTableBuilder pageTables(PagingMode mode) {
    return new PageTableBuilder(machine.physical(), mode, this::allocateFrame);
  }

  /**
   * Makes guest frame {@code gfn} emulated device memory. Its RAM is gone, so it is reserved:
   * {@link #allocateFrame()} would otherwise hand it out as a table with nothing behind it.
   */
  public void mapMmio(@Gfn long gfn) {
    reserve(gfn);
    machine.p2m().mapMmio(gfn);
  }

  /** Makes guest frame {@code gfn} read-only RAM (keeping its machine frame). */
  public void makeReadOnly(@Gfn long gfn) {
    machine.p2m().mapRam(gfn, machine.p2m().mfn(gfn), false);
  }

  /**
   * Moves the RAM behind guest frame {@code from} (not handed out) to guest frame {@code to}, which
   * must be absent: {@code from} becomes absent. Its machine frame is kept, so gfn and mfn still
   * differ.
   */
  public void relocate(@Gfn long from, @Gfn long to) {
    P2m p2m = machine.p2m();
    if (p2m.type(to) != org.shadowref.memory.P2mType.ABSENT || !p2m.type(from).isRam()) {
      throw new IllegalArgumentException("relocate needs RAM at " + Addr.hex(from) + " and nothing at " + Addr.hex(to));
    }
    reserve(from);
    p2m.set(to, p2m.type(from), p2m.mfn(from));
    p2m.unmap(from);
  }

  /** Sets every vCPU's paging registers, and the instruction mode that goes with them. */
  public void setRegs(ControlRegisters regs) {
    for (int i = 0; i < machine.vcpuCount(); i++) {
      setRegs(i, regs);
    }
  }

  public void setRegs(int vcpu, ControlRegisters regs) {
    Vcpu target = machine.vcpu(vcpu);
    target.setRegs(regs);
    target.cpu().setMode(
        regs.pagingMode() == PagingMode.FOUR_LEVEL ? CpuState.Mode.LONG_64 : CpuState.Mode.PROTECTED_32);
  }

  /** Turns paging on for every vCPU with {@code tables} and CR0.WP set, as kernels run. */
  public void startPaging(PageTableBuilder tables) {
    ControlRegisters regs = ControlRegisters.forMode(tables.mode(), tables.root());
    setRegs(regs.withCr0(regs.cr0() | ControlRegisters.CR0_WP));
  }
}
