package org.shadowref.shadow.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.CpuState;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.emulate.Stores;
import org.shadowref.shadow.World;

/**
 * Generated small guests and operation sequences: after every operation the reference engine
 * agrees with the native machine (result and all guest memory, A/D bits included) and every
 * invariant holds. Guests map some of their own page tables, so sequences edit live tables.
 */
class ReferencePropertyTest {
  private static final long[] SLOTS = {
    0x0000_1000L, 0x0000_2000L, 0x0020_3000L, 0x0040_0000L, 0x0040_1000L, 0x00C0_3000L, 0x4000_0000L,
    0x8020_5000L, 0x0000_7FFF_FFFF_F000L
  };
  private static final long WINDOWS = 0x0100_0000L;

  /** One generated guest: a world, its two address spaces, and what ops can aim at. */
  private static final class Guest {
    final World world;
    final PagingMode mode;
    final boolean twoOnTwo;
    final List<Long> roots = new ArrayList<>();
    final List<Long> vas = new ArrayList<>();
    final List<Long> windows = new ArrayList<>();
    final List<Long> liveEntries = new ArrayList<>();
    final List<Long> frames = new ArrayList<>();

    Guest(int seed) {
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

    GuestOp op(int code, Twin twin) {
      Random random = new Random(code);
      int vcpu = random.nextInt(4) == 0 ? 1 : 0;
      boolean user = random.nextInt(3) == 0;
      ControlRegisters regs = twin.oracle.guest().vcpu(vcpu).regs();
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
          byte[] instruction = mode == PagingMode.FOUR_LEVEL ? Stores.STORE_64 : Stores.STORE_32;
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

  @Test
  void referenceEqualsNativeAndAllInvariantsHoldAfterEveryOperation() {
    qt().withExamples(Integer.getInteger("shadowref.examples", 300))
        .forAll(integers().all(), lists().of(integers().all()).ofSizeBetween(1, 40))
        .checkAssert((seed, codes) -> {
          Guest guest = new Guest(seed);
          Twin twin = new Twin(guest.world, ReferenceEngine.Config.DEFAULT.withTwoOnTwo(guest.twoOnTwo));
          for (int code : codes) {
            twin.apply(guest.op(code, twin));
          }
        });
  }

  @Test
  void aCopyTakenMidwayBehavesExactlyLikeTheOriginal() {
    qt().withExamples(60)
        .forAll(integers().all(), lists().of(integers().all()).ofSizeBetween(2, 30))
        .checkAssert((seed, codes) -> {
          Guest guest = new Guest(seed);
          Twin twin = new Twin(guest.world, ReferenceEngine.Config.DEFAULT.withTwoOnTwo(guest.twoOnTwo));
          int half = codes.size() / 2;
          List<GuestOp> ops = new ArrayList<>();
          for (int i = 0; i < codes.size(); i++) {
            GuestOp op = guest.op(codes.get(i), twin);
            ops.add(op);
            twin.apply(op);
          }
          // Replay: a fresh engine, copied halfway; both halves of the fork must stay equal.
          ReferenceEngine engine = new ReferenceEngine(guest.world.machine().copy(),
              ReferenceEngine.Config.DEFAULT.withTwoOnTwo(guest.twoOnTwo), Twin.CPU, Twin.EMULATOR);
          for (int i = 0; i < half; i++) {
            engine.apply(ops.get(i));
          }
          ReferenceEngine fork = engine.copy();
          assertEquals(engine.fingerprint(), fork.fingerprint());
          for (int i = half; i < ops.size(); i++) {
            assertEquals(engine.apply(ops.get(i)), fork.apply(ops.get(i)), ops.get(i).toString());
          }
          assertEquals(engine.fingerprint(), fork.fingerprint());
          assertEquals(twin.engine.fingerprint(), engine.fingerprint(), "same ops from the same world");
        });
  }
}
