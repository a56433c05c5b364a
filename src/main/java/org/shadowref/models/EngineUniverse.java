package org.shadowref.models;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
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
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The small guest the engine models share, in one of four paging modes ({@link Mode}). Every mode
 * has the same roles: a chain of tables whose page table maps itself (the alias through which
 * the models write page-table entries), a data page, an MMIO page and a page with nothing behind
 * it, a second address space B over the same lower tables with read-only directory entries, and
 * a second page table that maps the data page again and is itself mapped user-writable. That
 * last table is on no path to its own alias, so a user write there is the one way the handler's
 * unshadowing takes effect (the first L1 table maps itself: unshadowed, it is shadowed again at
 * once to translate the very write).
 *
 * <p>4-level (the original world, unchanged):
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
 * <p>PAE (3-on-3), linear addresses from 0x80000000 (PDPT slot 2): the PDPTs sit at 32-byte
 * offsets 0x20 (A) and 0xfe0 (B) of gfn 2, so CR3 keeps bits 11:5; PD[0] = gfn 0, PD[1] = gfn 6
 * (VA 0x80200000), PD[2] = a 2 MiB page at guest-physical 0 (VA 0x80400000); B's PDPTE points at
 * gfn 5, a copy of the PD without RW (a PDPTE has no RW bit). L1 as in 4-level.
 *
 * <p>2-level (the same guest for 2-on-3 and 2-on-2 shadows, CR4.PSE on), linear addresses from
 * 0x80000000 (L2 index 512): the data page is gfn 0x204 (L1 index 516), the MMIO page 0x207, the
 * absent one 0x208, so the data page's entries lie in the upper halves of the 32-bit L1 and L2
 * tables (on 2-on-3 shadows, in the second frame of the L1's two-frame shadow). L2[512] = gfn 0,
 * L2[513] = gfn 6 (whose entry 516 maps the data page: VA 0x80604000), L2[514] = a 4 MiB page at
 * guest-physical 0 (VA 0x80800000; the data page lies in its upper 2 MiB, which 2-on-3 shadows
 * splinter into a second PAE l1); root B (gfn 5) is the L2 without RW.
 *
 * <p>In every mode the tables of level L below the top sit at gfn L-1 and the linear addresses
 * within a large page's span are their own guest-physical offsets, so a large page (PS) set on
 * the data page's chain maps guest-physical 0 up without reserved address bits, and every
 * address the models use reaches the same guest frame through it as through the 4 KiB chain:
 * the models' accesses mean the same page either way.
 */
final class EngineUniverse {
  /** The paging mode of the guest and of the shadows, as {@code mode=} names it. */
  enum Mode {
    FOUR_LEVEL("4level", PagingMode.FOUR_LEVEL, false),
    PAE("pae", PagingMode.PAE, false),
    TWO_ON_THREE("2on3", PagingMode.TWO_LEVEL, false),
    TWO_ON_TWO("2on2", PagingMode.TWO_LEVEL, true);

    final String cliName;
    final PagingMode paging;
    final boolean twoOnTwo;

    Mode(String cliName, PagingMode paging, boolean twoOnTwo) {
      this.cliName = cliName;
      this.paging = paging;
      this.twoOnTwo = twoOnTwo;
    }
  }

  static final int RAM_FRAMES = 7;
  /**
   * Machine frames for shadows: both address spaces' chains, with room for the handler's reserve
   * (2-on-3 shadows a 32-bit table with two frames and splinters a 4 MiB page into two l1s). The
   * same in every mode, so that the explorer may overwrite a state of one mode with another's.
   */
  static final int SHADOW_FRAMES = 24;

  static final long L1_GFN = 0;
  static final long ROOT_B_GFN = 5;
  static final long SECOND_L1_GFN = 6;

  static final long DIRECTORY = EntryBits.P | EntryBits.RW | EntryBits.US;
  static final long LEAF = EntryBits.P | EntryBits.RW | EntryBits.US;

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

  private static final EngineUniverse[] UNIVERSES = new EngineUniverse[Mode.values().length];

  static {
    for (Mode mode : Mode.values()) {
      UNIVERSES[mode.ordinal()] = new EngineUniverse(mode);
    }
  }

  final Mode mode;
  final PagingMode paging;
  final int entryBytes;
  /** Guest frames the P2M knows: room for the 2-level world's frames at 0x204 and up. */
  final int gfnCount;

  final long dataGfn;
  final long mmioGfn;
  final long absentGfn;
  final long rootA;
  final long rootB;
  /** Guest-physical address of the chain's table at each level (index 1..levels; the top is root A). */
  private final long[] table;

  /** The data page, the MMIO page and the page with nothing behind it, through the first L1 table. */
  final long vaData;
  final long vaMmio;
  final long vaAbsent;
  /** The L1 table through its alias: entry i is at {@code vaL1Alias + entryBytes * i}. */
  final long vaL1Alias;
  /** The guest's entry mapping {@code vaData}, seen through the alias. */
  final long vaDataL1e;
  /**
   * An unused L1 entry, seen through the alias: writes there change no translation (an 8-byte
   * write into a 32-bit table covers two entries: 2 and 3 there, both unused).
   */
  final long vaSpareL1e;
  /** The data page through the second page table. */
  final long vaSecond;
  /** The second page table's entry that maps {@link #vaSecond}, through its alias (user-writable). */
  final long vaSecondL1e;
  /** The data page through the large page (2 MiB in PAE, 4 MiB in 2-level); -1 in 4-level. */
  final long vaLarge;

  private final Map<String, String> labels = new HashMap<>();

  private EngineUniverse(Mode mode) {
    this.mode = mode;
    this.paging = mode.paging;
    this.entryBytes = paging.entryBytes();
    boolean twoLevel = paging == PagingMode.TWO_LEVEL;
    long base = mode == Mode.FOUR_LEVEL ? 0 : 0x8000_0000L;
    dataGfn = twoLevel ? 0x204 : 4;
    mmioGfn = twoLevel ? 0x207 : 7;
    absentGfn = twoLevel ? 0x208 : 8;
    gfnCount = twoLevel ? 0x210 : RAM_FRAMES + World.SPARE_GFNS;
    table = new long[paging.levels() + 1];
    for (int level = 1; level < paging.levels(); level++) {
      table[level] = (long) (level - 1) << 12;
    }
    if (mode == Mode.FOUR_LEVEL) {
      table[4] = 3L << 12;
      rootB = ROOT_B_GFN << 12;
    } else if (mode == Mode.PAE) {
      table[3] = (2L << 12) + 0x20;
      rootB = (2L << 12) + 0xFE0;
    } else {
      table[2] = 1L << 12;
      rootB = ROOT_B_GFN << 12;
    }
    rootA = table[paging.levels()];
    vaData = base | dataGfn << 12;
    vaMmio = base | mmioGfn << 12;
    vaAbsent = base | absentGfn << 12;
    vaL1Alias = base | L1_GFN << 12;
    vaDataL1e = vaL1Alias + (long) entryBytes * paging.index(vaData, 1);
    vaSpareL1e = vaL1Alias + (twoLevel ? 4L * 2 : 8L * 5);
    long largeSpan = paging.pageSize(2);
    vaSecond = twoLevel ? base + largeSpan + (vaData & (largeSpan - 1)) : base + largeSpan;
    vaSecondL1e = (base | SECOND_L1_GFN << 12) + (long) entryBytes * paging.index(vaSecond, 1);
    vaLarge = mode == Mode.FOUR_LEVEL ? -1 : base + 2 * largeSpan + (vaData & (largeSpan - 1));
  }

  static EngineUniverse of(Mode mode) {
    return UNIVERSES[mode.ordinal()];
  }

  /**
   * {@code mode=4level|pae|2on3|2on2|all}: the worlds a model explores, the initial state choosing
   * among them; {@code fallback} when the argument is absent.
   */
  static Mode[] modes(ModelArgs args, String fallback) {
    String[] names = new String[Mode.values().length + 1];
    for (Mode mode : Mode.values()) {
      names[mode.ordinal()] = mode.cliName;
    }
    names[names.length - 1] = "all";
    String chosen = args.choice("mode", fallback, names);
    if (chosen.equals("all")) {
      return Mode.values();
    }
    for (Mode mode : Mode.values()) {
      if (mode.cliName.equals(chosen)) {
        return new Mode[] {mode};
      }
    }
    throw new IllegalStateException("unreachable: " + chosen);
  }

  /** The guest's paging mode, number of levels. */
  int levels() {
    return paging.levels();
  }

  /** The guest-physical address of the chain's entry at {@code level} for {@link #vaData}. */
  long dataEntryAddress(int level) {
    return table[level] + (long) entryBytes * paging.index(vaData, level);
  }

  /** What the chain's entry at {@code level} points at: the data page or the table one below. */
  long entryTarget(int level) {
    return level == 1 ? dataGfn << 12 : table[level - 1];
  }

  /** The bits whose combinations {@link SingleFault} gives the entry under test (NativeWalk's). */
  long[] testedBits() {
    return NativeWalk.testedBits(paging);
  }

  /** {@code base} as this mode's coverage label ({@code "pae: " + base}), made once. */
  String label(String base) {
    synchronized (labels) {
      String label = labels.get(base);
      if (label == null) {
        label = mode.cliName + ": " + base;
        labels.put(base, label);
      }
      return label;
    }
  }

  /** Every mode's label for each of {@code bases}, mode by mode. */
  static String[] labels(Mode[] modes, String... bases) {
    String[] out = new String[modes.length * bases.length];
    for (int m = 0; m < modes.length; m++) {
      for (int b = 0; b < bases.length; b++) {
        out[m * bases.length + b] = of(modes[m]).label(bases[b]);
      }
    }
    return out;
  }

  /** The guest with paging on in address space A, CR0.WP set (and CR4.PSE in 2-level), on {@code vcpus} vCPUs. */
  World build(int vcpus) {
    World world = new World(vcpus, RAM_FRAMES, SHADOW_FRAMES, CpuModel.DEFAULT, gfnCount);
    for (int gfn = 0; gfn < RAM_FRAMES; gfn++) {
      world.reserve(Addr.gfn(gfn));
    }
    if (dataGfn >= RAM_FRAMES) {
      world.relocate(Addr.gfn(4), Addr.gfn(dataGfn));
    }
    world.mapMmio(Addr.gfn(mmioGfn));
    GuestMachine guest = world.machine();
    // The builder allocates the chain top-down (the top table, then one per level below it),
    // then the second page table: frames handed out in this order.
    long top = mode == Mode.FOUR_LEVEL ? 3 : paging.levels() - 1;
    long[] order = mode == Mode.FOUR_LEVEL
        ? new long[] {top, 2, 1, 0, SECOND_L1_GFN}
        : mode == Mode.PAE ? new long[] {top, 1, 0, SECOND_L1_GFN} : new long[] {top, 0, SECOND_L1_GFN};
    PageTableBuilder tables = new PageTableBuilder(guest.physical(), paging, new PageTableBuilder.FrameAllocator() {
      private int next;

      @Override
      public @Gfn long allocate() {
        return Addr.gfn(order[next++]);
      }
    });
    long[] mapped = {L1_GFN, dataGfn, SECOND_L1_GFN, mmioGfn, absentGfn};
    for (long gfn : mapped) {
      tables.map(Addr.gva(vaL1Alias + (gfn << 12)), Addr.gpaOf(Addr.gfn(gfn), 0), 1, LEAF, DIRECTORY);
    }
    tables.map(Addr.gva(vaSecond), Addr.gpaOf(Addr.gfn(dataGfn), 0), 1, LEAF, DIRECTORY);
    if (vaLarge >= 0) {
      tables.map(Addr.gva(vaLarge), Addr.gpa(0), 2, LEAF | EntryBits.PS, DIRECTORY);
    }
    // Address space B: the same lower tables under read-only entries one level below CR3's
    // table in PAE (a PDPTE has no RW bit), in CR3's table itself otherwise.
    long directory = mode == Mode.PAE ? read(guest, tables.root() + 8L * paging.index(vaData, 3)) & EntryBits.ADDR_MASK_64
        : tables.root();
    long readOnlyCopy = ROOT_B_GFN << 12;
    for (int i = 0; i < paging.entriesPerTable(paging.levels() == 3 ? 2 : paging.levels()); i++) {
      long entry = read(guest, directory + (long) entryBytes * i);
      if ((entry & EntryBits.P) != 0) {
        write(guest, readOnlyCopy + (long) entryBytes * i, entry & ~EntryBits.RW);
      }
    }
    if (mode == Mode.PAE) {
      // The PDPTs at non-zero 32-byte offsets: CR3 bits 11:5 select them.
      for (int i = 0; i < 4; i++) {
        long entry = read(guest, tables.root() + 8L * i);
        write(guest, tables.root() + 8L * i, 0);
        write(guest, rootA + 8L * i, entry);
        write(guest, rootB + 8L * i, entry == 0 ? 0 : readOnlyCopy | EntryBits.P);
      }
    }
    ControlRegisters regs = ControlRegisters.forMode(paging, rootA);
    regs = regs.withCr0(regs.cr0() | ControlRegisters.CR0_WP);
    if (paging == PagingMode.TWO_LEVEL) {
      regs = regs.withCr4(regs.cr4() | ControlRegisters.CR4_PSE);
    }
    world.setRegs(regs);
    return world;
  }

  /** Writes one entry of this mode's width. */
  void write(GuestMachine guest, long gpa, long value) {
    @Gpa long address = Addr.gpa(gpa);
    guest.physical().write(address, entryBytes, value);
  }

  long read(GuestMachine guest, long gpa) {
    return guest.physical().read(Addr.gpa(gpa), entryBytes);
  }

  /** {@code bug=NAME}: the seeded fault to switch on (see {@link SeededBug}), or none. */
  static ReferenceEngine.Config config(ModelArgs args) {
    List<SeededBug> bugs = SeededBug.ofReference();
    String[] names = new String[bugs.size() + 1];
    names[0] = "none";
    for (int i = 0; i < bugs.size(); i++) {
      names[i + 1] = bugs.get(i).cliName();
    }
    String chosen = args.choice("bug", "none", names);
    for (SeededBug bug : bugs) {
      if (bug.cliName().equals(chosen)) {
        return ReferenceEngine.Config.DEFAULT.withBug(bug);
      }
    }
    return ReferenceEngine.Config.DEFAULT;
  }

  /** {@code config} with this mode's choice of shadows for a 32-bit guest. */
  ReferenceEngine.Config config(ReferenceEngine.Config config) {
    return config.withTwoOnTwo(mode.twoOnTwo);
  }

  static final String INVARIANTS = "the engine's invariants hold";

  /** Reports every invariant the engine breaks. */
  static void checkInvariants(ShadowEngine<?> engine, Events events) {
    for (String violation : InvariantRegistry.violations(engine)) {
      events.violation(INVARIANTS, violation);
    }
  }

  @Override
  public String toString() {
    return mode.cliName;
  }
}
