package org.shadowref.shadow;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.MovExecutor;
import org.shadowref.mmu.PageTableBuilder;

/**
 * One generated small guest for property tests of shadow engines: a world with two address
 * spaces that map some of their own page tables (so operations edit live tables), and the
 * operations a code number stands for. Shared by the reference and optimized engines' tests.
 */
public final class GeneratedGuest {
  private static final long[] SLOTS = {
  0x0000_1000L, 0x0000_2000L, 0x0020_3000L, 0x0040_0000L, 0x0040_1000L, 0x00C0_3000L, 0x4000_0000L,
  0x8020_5000L, 0x0000_7FFF_FFFF_F000L
  };
  private static final long WINDOWS = 0x0100_0000L;

  public final World world;
  public final PagingMode mode;
  public final boolean twoOnTwo;
  public final List<Long> roots = new ArrayList<>();
  public final List<Long> vas = new ArrayList<>();
  public final List<Long> windows = new ArrayList<>();
  public final List<Long> liveEntries = new ArrayList<>();
  public final List<Long> frames = new ArrayList<>();

  public GeneratedGuest(int seed) {
    Random random = new Random(seed);
    // Shadow memory from tight (tables get dropped and rebuilt) to roomy.
    world = new World(2, 40, 20 + Math.floorMod(seed >> 2, 24));
    int shape = Math.floorMod(seed, 4);
    mode = shape <= 1 ? PagingMode.TWO_LEVEL : shape == 2 ? PagingMode.PAE : PagingMode.FOUR_LEVEL;
    twoOnTwo = shape == 0;
    for (int i = 0; i < 4; i++) {
      frames.add(world.allocateFrame());
    }
    frames.add((long) world.ramFrames()); // MMIO
    world.mapMmio(Addr.gfn(world.ramFrames()));
    frames.add((long) world.ramFrames() + 1); // absent
    for (int space = 0; space < 2; space++) {
      PageTableBuilder tables = world.pageTables(mode);
      roots.add(tables.root());
      for (long slot : SLOTS) {
        if (random.nextInt(4) == 0) {
          continue;
        }
        long target = frames.get(random.nextInt(frames.size()));
        tables.map(Addr.gva(slot), Addr.gpaOf(Addr.gfn(target), 0), 1, leafFlags(random), directoryFlags(random));
        vas.add(slot);
      }
      if (random.nextBoolean()) {
        long large = 0x0080_0000L;
        int level = mode == PagingMode.FOUR_LEVEL && random.nextBoolean() ? 3 : 2;
        long va = level == 3 ? 0xC000_0000L : large;
        tables.map(Addr.gva(va), Addr.gpa(0), level, leafFlags(random) | EntryBits.PS, EntryBits.P | EntryBits.RW | EntryBits.US);
        vas.add(va + 0x3000);
      }
      // Windows onto this space's page tables, so the guest can edit them.
      List<Long> tableFrames = new ArrayList<>();
      for (long slot : SLOTS) {
        for (int level = 1; level <= mode.levels(); level++) {
          long entry = tables.entryAddressFor(Addr.gva(slot), level);
          if (entry >= 0 && !tableFrames.contains(entry >>> 12)) {
            tableFrames.add(entry >>> 12);
          }
        }
      }
      for (int i = 0; i < tableFrames.size() && i < 3; i++) {
        long window = WINDOWS + (space * 4L + i) * 0x1000;
        tables.map(Addr.gva(window), Addr.gpaOf(Addr.gfn(tableFrames.get(i)), 0), 1,
            EntryBits.P | EntryBits.RW | (random.nextBoolean() ? EntryBits.US : 0), EntryBits.P | EntryBits.RW | EntryBits.US);
        windows.add(window);
        // The entries in use in this table, as seen through the window: stores that matter.
        for (long slot : SLOTS) {
          for (int level = 1; level <= mode.levels(); level++) {
            long entry = tables.entryAddressFor(Addr.gva(slot), level);
            if (entry >= 0 && entry >>> 12 == tableFrames.get(i)) {
              liveEntries.add(window + (entry & 0xFFF));
            }
          }
        }
      }
    }
    ControlRegisters regs = ControlRegisters.forMode(mode, roots.get(0));
    regs = regs.withCr0(regs.cr0() | (random.nextInt(4) == 0 ? 0 : ControlRegisters.CR0_WP))
        .withCr4(regs.cr4() | (random.nextBoolean() ? ControlRegisters.CR4_PSE : 0));
    if (mode != PagingMode.TWO_LEVEL && random.nextBoolean()) {
      regs = regs.withEfer(regs.efer() | ControlRegisters.EFER_NXE);
    }
    world.setRegs(regs);
  }

  private long leafFlags(Random random) {
    long flags = random.nextInt(8) == 0 ? 0 : EntryBits.P;
    flags |= random.nextInt(3) == 0 ? 0 : EntryBits.RW;
    flags |= random.nextInt(3) == 0 ? 0 : EntryBits.US;
    flags |= random.nextInt(3) == 0 ? EntryBits.A : 0;
    flags |= random.nextInt(4) == 0 ? EntryBits.D : 0;
    if (mode != PagingMode.TWO_LEVEL && random.nextInt(4) == 0) {
      flags |= EntryBits.NX;
    }
    return flags;
  }

  private long directoryFlags(Random random) {
    long flags = EntryBits.P | EntryBits.RW | EntryBits.US;
    if (random.nextInt(5) == 0) {
      flags &= ~EntryBits.RW;
    }
    if (random.nextInt(5) == 0) {
      flags &= ~EntryBits.US;
    }
    return flags;
  }

  public GuestOp op(int code, GuestMachine oracle) {
    Random random = new Random(code);
    int vcpu = random.nextInt(4) == 0 ? 1 : 0;
    boolean user = random.nextInt(3) == 0;
    ControlRegisters regs = oracle.vcpu(vcpu).regs();
    switch (random.nextInt(10)) {
      case 0:
      case 1:
      case 2: {
        long va = pick(vas, random) + 8L * random.nextInt(512);
        AccessKind kind = AccessKind.values()[random.nextInt(3)];
        return new GuestOp.MemoryAccess(vcpu, Addr.gva(va), kind, user, 8, random.nextLong());
      }
      case 3: {
        long va = !liveEntries.isEmpty() && random.nextBoolean()
            ? pick(liveEntries, random)
            : pick(windows, random) + (long) mode.entryBytes() * random.nextInt(4096 / mode.entryBytes());
        return new GuestOp.MemoryAccess(vcpu, Addr.gva(va), AccessKind.WRITE, user, mode.entryBytes(), entry(random));
      }
      case 4: {
        long[] gprs = new long[16];
        gprs[CpuState.RDI] = random.nextBoolean()
            ? pick(liveEntries, random)
            : pick(random.nextBoolean() ? windows : vas, random) + 8L * random.nextInt(512);
        gprs[CpuState.RAX] = entry(random);
        byte[] instruction = mode == PagingMode.FOUR_LEVEL ? MovExecutor.STORE_64 : MovExecutor.STORE_32;
        return new GuestOp.Execute(vcpu, instruction, user, gprs);
      }
      case 5:
        return new GuestOp.LoadCr3(vcpu, roots.get(random.nextInt(roots.size())));
      case 6: {
        long[] bits = {ControlRegisters.CR0_WP, ControlRegisters.CR4_SMEP, ControlRegisters.CR4_SMAP,
            ControlRegisters.EFER_NXE, ControlRegisters.RFLAGS_AC, ControlRegisters.CR4_PSE};
        int which = random.nextInt(bits.length);
        ControlRegisters changed = regs.with(which == 0 ? 0 : which <= 2 || which == 5 ? 4 : which == 3 ? 8 : 9,
            bits[which], random.nextBoolean());
        return new GuestOp.SetControl(vcpu, changed.cr0(), changed.cr4(), changed.efer(), changed.rflags());
      }
      case 7: {
        ControlRegisters on = ControlRegisters.forMode(mode, regs.cr3());
        ControlRegisters target = regs.pagingEnabled() ? ControlRegisters.pagingOff() : on;
        return new GuestOp.SetControl(vcpu, target.cr0() | (regs.cr0() & ControlRegisters.CR0_WP),
            target.cr4() | (regs.cr4() & ControlRegisters.CR4_PSE), target.efer(), regs.rflags());
      }
      case 8:
        return random.nextBoolean()
            ? new GuestOp.Invlpg(vcpu, Addr.gva(pick(vas, random)))
            : new GuestOp.FlushTlb(vcpu);
      default: {
        long va = pick(frames, random) << 12;
        return new GuestOp.MemoryAccess(vcpu, Addr.gva(va + 8L * random.nextInt(512)),
            AccessKind.values()[random.nextInt(3)], user, 4, random.nextInt());
      }
    }
  }

  /** A page-table entry to store: now and then a large page, or a reserved bit. */
  private long entry(Random random) {
    long value = Addr.gpaOf(Addr.gfn(pick(frames, random)), 0) | leafFlags(random);
    if (random.nextInt(6) == 0) {
      value |= EntryBits.PS;
    }
    if (random.nextInt(10) == 0) {
      value |= 1L << 45;
    }
    return value;
  }

  private static long pick(List<Long> values, Random random) {
    return values.isEmpty() ? 0x1000 : values.get(random.nextInt(values.size()));
  }
}
