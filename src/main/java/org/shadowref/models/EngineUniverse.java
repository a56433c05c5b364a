package org.shadowref.models;

import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.check.explore.Events;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.LinearMemory;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.World;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The small guest the engine models share: one 4-level chain of tables whose page table maps
 * itself, a data page, an MMIO page and a page with nothing behind it, a second top-level table
 * (address space B) over the same lower tables with a read-only top entry, and a second page
 * table that maps the data page again at 2 MiB and is itself mapped user-writable. That last
 * table is on no path to its own alias, so a user write there is the one way the handler's
 * unshadowing takes effect (the first L1 table maps itself: unshadowed, it is shadowed again at
 * once to translate the very write).
 *
 * <pre>
 *   gfn 0  L1 table   L1[0] = gfn 0 (its own alias), L1[4] = data, L1[6] = gfn 6, L1[7] = MMIO, L1[8] = absent
 *   gfn 1  L2 table   L2[0] = gfn 0, L2[1] = gfn 6
 *   gfn 2  L3 table   L3[0] = gfn 1
 *   gfn 3  L4 table   L4[0] = gfn 2           (address space A: the initial CR3)
 *   gfn 4  data
 *   gfn 5  L4 table   L4[0] = gfn 2, not RW   (address space B)
 *   gfn 6  L1 table   [0] = data              (the second page table: VA 2 MiB)
 *   gfn 7  MMIO, gfn 8 absent
 * </pre>
 *
 * Every table of level L sits at gfn L-1, so a large page (PS) in an L2 or L3 entry maps guest
 * physical 0 up without reserved address bits, and every linear address below 2 MiB reaches the
 * same guest frame through a large page as through the 4 KiB chain: the models' accesses mean the
 * same page either way.
 */
final class EngineUniverse {
  static final PagingMode MODE = PagingMode.FOUR_LEVEL;
  static final int RAM_FRAMES = 7;
  /** Machine frames for shadows: both address spaces' chains, with room for the handler's reserve. */
  static final int SHADOW_FRAMES = 14;

  static final long L1_GFN = 0;
  static final long L4_GFN = 3;
  static final long DATA_GFN = 4;
  static final long ROOT_B_GFN = 5;
  static final long SECOND_L1_GFN = 6;
  static final long MMIO_GFN = 7;
  static final long ABSENT_GFN = 8;

  static final long ROOT_A = L4_GFN << 12;
  static final long ROOT_B = ROOT_B_GFN << 12;

  /** Linear addresses: each is its own guest-physical address (L1 index = gfn). */
  static final long VA_DATA = DATA_GFN << 12;
  static final long VA_MMIO = MMIO_GFN << 12;
  static final long VA_ABSENT = ABSENT_GFN << 12;
  /** The L1 table through its alias: entry i is at {@code VA_L1_ALIAS + 8 * i}. */
  static final long VA_L1_ALIAS = L1_GFN << 12;
  /** The guest's entry mapping {@code VA_DATA}, seen through the alias. */
  static final long VA_DATA_L1E = VA_L1_ALIAS + 8 * DATA_GFN;
  /** The data page through the second page table. */
  static final long VA_SECOND = 1L << 21;
  /** The second page table through its alias (user-writable): entry 0 maps {@link #VA_SECOND}. */
  static final long VA_SECOND_L1 = SECOND_L1_GFN << 12;
  /** An unused L1 entry, seen through the alias: writes there change no translation. */
  static final long VA_SPARE_L1E = VA_L1_ALIAS + 8 * 5;

  static final long DIRECTORY = EntryBits.P | EntryBits.RW | EntryBits.US;
  static final long LEAF = EntryBits.P | EntryBits.RW | EntryBits.US;

  /** A bit above the guest's MAXPHYADDR: reserved in every entry that holds an address. */
  static final long RESERVED = 1L << org.shadowref.arch.CpuModel.DEFAULT.maxPhysAddr();

  /** The bits whose combinations {@link SingleFault} gives the entry under test. */
  static final long[] TESTED_BITS = {
    EntryBits.P, EntryBits.RW, EntryBits.US, EntryBits.A, EntryBits.D, EntryBits.NX, EntryBits.PS, RESERVED
  };

  /** Models that issue only plain accesses use this; an instruction would be a harness bug. */
  static final InstructionExecutor NO_INSTRUCTIONS = new InstructionExecutor() {
    @Override
    public EmulationResult execute(CpuState state, byte[] code, LinearMemory memory, boolean user) {
      throw new IllegalStateException("this engine model issues no instructions");
    }
  };

  /**
   * The CPU for instructions on both platforms (the independent SDM executor) and the engine's
   * own emulator for the writes it must emulate, as {@code check.diff.StandardPlatforms} pairs them.
   */
  static final InstructionExecutor CPU = new SdmExecutor();
  static final InstructionExecutor EMULATOR = new X86Emulator();

  private EngineUniverse() {}

  /** The table of level {@code level} on the chain (and what its entries point at, one below). */
  static long tableAddress(int level) {
    return (long) (level - 1) << 12;
  }

  /** The guest with paging on in address space A, CR0.WP set, on {@code vcpus} vCPUs. */
  static World build(int vcpus) {
    World world = new World(vcpus, RAM_FRAMES, SHADOW_FRAMES);
    for (int gfn = 0; gfn < RAM_FRAMES; gfn++) {
      world.reserve(Addr.gfn(gfn));
    }
    world.mapMmio(Addr.gfn(MMIO_GFN));
    GuestMachine guest = world.machine();
    for (int level = 4; level >= 2; level--) {
      write(guest, tableAddress(level), tableAddress(level - 1) | DIRECTORY);
    }
    write(guest, ROOT_B, tableAddress(3) | EntryBits.P | EntryBits.US);
    write(guest, tableAddress(2) + 8, (SECOND_L1_GFN << 12) | DIRECTORY);
    write(guest, SECOND_L1_GFN << 12, (DATA_GFN << 12) | LEAF);
    long[] mapped = {L1_GFN, DATA_GFN, SECOND_L1_GFN, MMIO_GFN, ABSENT_GFN};
    for (long gfn : mapped) {
      write(guest, l1eAddress(gfn), (gfn << 12) | LEAF);
    }
    ControlRegisters regs = ControlRegisters.forMode(MODE, ROOT_A);
    world.setRegs(regs.withCr0(regs.cr0() | ControlRegisters.CR0_WP));
    return world;
  }

  /** The guest-physical address of the L1 entry for page {@code index}. */
  static long l1eAddress(long index) {
    return tableAddress(1) + 8 * index;
  }

  /** The guest-physical address of the chain's entry at {@code level} for {@link #VA_DATA}. */
  static long dataEntryAddress(int level) {
    return level == 1 ? l1eAddress(DATA_GFN) : tableAddress(level);
  }

  static void write(GuestMachine guest, long gpa, long value) {
    @Gpa long address = Addr.gpa(gpa);
    guest.physical().write(address, 8, value);
  }

  static long read(GuestMachine guest, long gpa) {
    return guest.physical().read(Addr.gpa(gpa), 8);
  }

  /** {@code bug=NAME}: the seeded fault to switch on (see {@link ReferenceEngine.Bug}), or none. */
  static ReferenceEngine.Config config(ModelArgs args) {
    ReferenceEngine.Bug[] bugs = ReferenceEngine.Bug.values();
    String[] names = new String[bugs.length + 1];
    names[0] = "none";
    for (int i = 0; i < bugs.length; i++) {
      names[i + 1] = cliName(bugs[i]);
    }
    String chosen = args.choice("bug", "none", names);
    for (ReferenceEngine.Bug bug : bugs) {
      if (cliName(bug).equals(chosen)) {
        return ReferenceEngine.Config.DEFAULT.withBug(bug);
      }
    }
    return ReferenceEngine.Config.DEFAULT;
  }

  /** {@code SKIP_WRITE_PROTECT} becomes {@code skip-write-protect}. */
  static String cliName(ReferenceEngine.Bug bug) {
    return bug.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  static final String INVARIANTS = "the engine's invariants hold";

  /** Reports every invariant the engine breaks. */
  static void checkInvariants(ReferenceEngine engine, Events events) {
    for (String violation : InvariantRegistry.violations(engine)) {
      events.violation(INVARIANTS, violation);
    }
  }
}
