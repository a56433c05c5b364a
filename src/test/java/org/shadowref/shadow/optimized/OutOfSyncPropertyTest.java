package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.diff.OutOfSyncRuns;
import org.shadowref.check.diff.TlbOracle;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GeneratedGuest;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.SeededBug;

/**
 * Out-of-sync l1 shadows, judged against native paging with an architectural TLB ({@link
 * TlbOracle}): every result the engine gives is the fresh native result or one a TLB may
 * produce (a translation cached since the last invalidation, or a spurious protection fault), and
 * once the engine has used a stale translation native is made to use the same one, so the two stay
 * in step. Instructions are left out: a stale translation inside an instruction cannot be replayed
 * on native here. Invalidations are made rarer than in the other properties so that tables stay
 * out of sync long enough to matter.
 */
class OutOfSyncPropertyTest {
  private static final InstructionExecutor CPU = new SdmExecutor();
  private static final InstructionExecutor EMULATOR = new X86Emulator();

  /**
   * The operations of one case: no instructions, seven in eight invalidations dropped, and one in
   * three operations replaced by a supervisor store of a whole entry into a page table in use, so
   * tables go out of sync and then change under their shadows.
   */
  private static List<GuestOp> ops(GeneratedGuest guest, List<Integer> codes, GuestMachine oracle) {
    List<GuestOp> ops = new ArrayList<>();
    for (int code : codes) {
      GuestOp op = guest.op(code, oracle);
      if (Math.floorMod(code >> 20, 3) == 0 && !guest.liveEntries.isEmpty()) {
        long va = guest.liveEntries.get(Math.floorMod(code >> 8, guest.liveEntries.size()));
        long frame = guest.frames.get(Math.floorMod(code >> 12, guest.frames.size()));
        long flags = EntryBits.P | (code & (EntryBits.RW | EntryBits.US | EntryBits.A | EntryBits.D));
        op = new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.WRITE, false, guest.mode.entryBytes(),
            Addr.gpaOf(Addr.gfn(frame), 0) | flags);
      }
      boolean invalidates = op instanceof GuestOp.LoadCr3 || op instanceof GuestOp.Invlpg
          || op instanceof GuestOp.FlushTlb || op instanceof GuestOp.SetControl;
      if (!(op instanceof GuestOp.Execute) && !(invalidates && (code & 0x7000) != 0)) {
        ops.add(op);
      }
    }
    return ops;
  }

  /** Runs one case; the first complaint, or null. Counts the steps with a table out of sync. */
  static @Nullable String run(int seed, List<Integer> codes, OptimizedConfig config, int[] unsynced) {
    GeneratedGuest guest = new GeneratedGuest(seed);
    TlbOracle oracle = new TlbOracle(guest.world.machine().copy(), CPU);
    OptimizedEngine engine = new OptimizedEngine(guest.world.machine().copy(), config.withTwoOnTwo(guest.twoOnTwo),
        CPU, EMULATOR);
    for (GuestOp op : ops(guest, codes, oracle.guest())) {
      String complaint = oracle.judge(op, engine.apply(op), engine.guest());
      if (complaint != null) {
        return complaint;
      }
      List<String> violations = InvariantRegistry.violations(engine);
      if (!violations.isEmpty()) {
        return "after '" + op + "': " + violations;
      }
      if (engine.state().outOfSyncCount() > 0) {
        unsynced[0]++;
      }
    }
    unsynced[1] += oracle.staleUses();
    return null;
  }

  @Test
  void withOutOfSyncShadowsEveryOutcomeIsOneNativeWithATlbCouldGive() {
    int[] unsynced = {0, 0};
    qt().withExamples(Integer.getInteger("shadowref.examples", 150))
        .forAll(integers().all(), lists().of(integers().all()).ofSizeBetween(10, 60))
        .checkAssert((seed, codes) -> assertNull(run(seed, codes, OptimizedConfig.PRODUCTION, unsynced)));
    System.out.println("out-of-sync property: " + unsynced[0] + " steps ran with a table out of sync, "
        + unsynced[1] + " accesses used a stale translation");
    assertTrue(unsynced[0] > 0, "no table ever went out of sync");
  }

  @Test
  void aBusyTableOutOfSyncShowsOnlyWhatATlbMayShow() {
    OutOfSyncRuns.Exercised exercised = new OutOfSyncRuns.Exercised();
    for (long seed = 0; seed < 150; seed++) {
      assertNull(OutOfSyncRuns.busyTable(seed, null, exercised), "seed " + seed);
    }
    System.out.println("busy table: " + exercised.unsyncedSteps() + " steps with the table out of sync, "
        + exercised.staleUses() + " accesses served from a stale translation");
    assertTrue(exercised.staleUses() > 0, "no access ever used a stale translation");
    for (SeededBug mutant : new SeededBug[] {SeededBug.NO_RESYNC_ON_CR3, SeededBug.NO_RESYNC_ON_INVLPG, SeededBug.NO_REFRESH_ON_FAULT}) {
      String found = null;
      for (long seed = 0; seed < 150 && found == null; seed++) {
        found = OutOfSyncRuns.busyTable(seed, mutant, new OutOfSyncRuns.Exercised());
      }
      assertNotNull(found, mutant + " survived the busy table");
    }
  }

  /**
   * A vCPU holds three tables out of sync; a fourth makes one come back first. Generated guests
   * reach that (the quiet ones take six tables out of sync), and a slot handed on without its
   * table's resync leaves that table writable while the engine takes it for in sync.
   */
  @Test
  void aSlotHandedOnWithoutResyncLeavesItsTableWritable() {
    String found = null;
    for (long seed = 1000; seed < 1600 && found == null; seed++) {
      found = OutOfSyncRuns.generated(seed, 40, SeededBug.OUT_OF_SYNC_SLOT_REUSED_WITHOUT_RESYNC,
          new OutOfSyncRuns.Exercised());
    }
    assertNotNull(found, "OUT_OF_SYNC_SLOT_REUSED_WITHOUT_RESYNC survived 600 generated guests");
    assertTrue(found.contains("INV-WRITE-PROTECT"), found);
  }

  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long DATA_VA = 0x0040_2000L;
  private static final long WINDOW = 0x00C0_0000L;

  /**
   * A 4-level guest with a data page mapped read-write with A set (D clear), a second frame, and a
   * window onto the l1 table that maps the data page. {@code ops} start with the guest reading
   * the page (its translation becomes cacheable) and writing twice into unused entries of its l1
   * (which lets the l1 go out of sync), then the scenario's own operations.
   */
  private static @Nullable String scenario(SeededBug mutant, GuestOp... tail) {
    World world = new World(1, 32, 32);
    PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    long other = world.allocateFrame();
    tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU | EntryBits.A, RWU);
    long l1 = tables.entryAddressFor(Addr.gva(DATA_VA), 1) & ~0xFFFL;
    tables.map(Addr.gva(WINDOW), Addr.gpa(l1), 1, RWU | EntryBits.A | EntryBits.D, RWU);
    world.startPaging(tables);
    long otherLeaf = Addr.gpaOf(Addr.gfn(other), 0) | RWU | EntryBits.A | EntryBits.D;
    List<GuestOp> ops = new ArrayList<>();
    ops.add(read(DATA_VA));
    ops.add(write(WINDOW + 0x800, otherLeaf));
    ops.add(write(WINDOW + 0x808, otherLeaf));
    ops.add(write(WINDOW + 0x810, otherLeaf)); // by now the l1 is out of sync: this one is direct
    for (GuestOp op : tail) {
      // Placeholders: OTHER is a read-only leaf for the second frame, ORIGINAL the data page's
      // leaf as mapped at the start; a CR3 load reloads the guest's own root.
      if (op instanceof GuestOp.MemoryAccess && ((GuestOp.MemoryAccess) op).value() == OTHER) {
        GuestOp.MemoryAccess access = (GuestOp.MemoryAccess) op;
        op = new GuestOp.MemoryAccess(0, access.va(), access.kind(), access.user(), access.size(),
            Addr.gpaOf(Addr.gfn(other), 0) | EntryBits.P | EntryBits.US | EntryBits.A);
      } else if (op instanceof GuestOp.MemoryAccess && ((GuestOp.MemoryAccess) op).value() == ORIGINAL) {
        GuestOp.MemoryAccess access = (GuestOp.MemoryAccess) op;
        op = new GuestOp.MemoryAccess(0, access.va(), access.kind(), access.user(), access.size(),
            Addr.gpaOf(Addr.gfn(data), 0) | RWU | EntryBits.A);
      } else if (op instanceof GuestOp.LoadCr3) {
        op = new GuestOp.LoadCr3(0, tables.root());
      }
      ops.add(op);
    }
    TlbOracle oracle = new TlbOracle(world.machine().copy(), CPU);
    OptimizedEngine engine = new OptimizedEngine(world.machine().copy(),
        OptimizedConfig.PRODUCTION.withBug(mutant), CPU, EMULATOR);
    for (GuestOp op : ops) {
      String complaint = oracle.follow(op, engine.apply(op), engine.guest());
      if (complaint != null) {
        return complaint;
      }
      assertTrue(op != ops.get(3) || engine.state().outOfSyncCount() == 1, "the l1 went out of sync");
    }
    return null;
  }

  /** A placeholder value: the second frame's leaf, read-only. */
  private static final long OTHER = -1;
  /** A placeholder value: the data page's leaf as the guest mapped it (and as the snapshot holds it). */
  private static final long ORIGINAL = -2;

  private static GuestOp read(long va) {
    return new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.READ, false, 8, 0);
  }

  private static GuestOp write(long va, long value) {
    return new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.WRITE, false, 8, value);
  }

  /** The data page's l1e in the window. */
  private static final long DATA_ENTRY = WINDOW + 8 * ((DATA_VA >>> 12) & 511);

  @Test
  void staleTranslationsEndAtCr3LoadsInvlpgAndFaults() {
    // The guest remaps the page directly (its l1 is out of sync), then invalidates and reads.
    GuestOp remap = write(DATA_ENTRY, OTHER);
    GuestOp reload = new GuestOp.LoadCr3(0, 0); // reloads the guest's own root
    assertNull(scenario(null, remap, read(DATA_VA)), "a stale read before any invalidation is a TLB's");
    assertNull(scenario(null, remap, new GuestOp.Invlpg(0, Addr.gva(DATA_VA)), read(DATA_VA)));
    assertNull(scenario(null, remap, new GuestOp.FlushTlb(0), read(DATA_VA)));
    assertNull(scenario(null, remap, reload, read(DATA_VA)));
    // A write the fresh (read-only) entry forbids: the #PF is delivered and ends the staleness.
    assertNull(scenario(null, remap, write(DATA_VA, 1), read(DATA_VA)));
    assertNotNull(scenario(SeededBug.NO_RESYNC_ON_INVLPG, remap, new GuestOp.Invlpg(0, Addr.gva(DATA_VA)), read(DATA_VA)),
        "NO_RESYNC_ON_INVLPG survived");
    assertNotNull(scenario(SeededBug.NO_REFRESH_ON_FAULT, remap, write(DATA_VA, 1), read(DATA_VA)),
        "NO_REFRESH_ON_FAULT survived");
    assertNotNull(scenario(SeededBug.NO_RESYNC_ON_CR3, remap, reload, read(DATA_VA)), "NO_RESYNC_ON_CR3 survived");
  }

  @Test
  void aResyncReDerivesAnEntryRefreshedWhileOutOfSyncEvenWhenTheGuestPutsItsWordBack() {
    // INVLPG refreshes the l1e from the remapped word; the guest then writes the snapshot's word
    // back (directly: the table is out of sync). The two words agree, yet the shadow entry
    // holds the other frame: the CR3 load's resync must re-derive it.
    GuestOp[] ops = {
      write(DATA_ENTRY, OTHER), new GuestOp.Invlpg(0, Addr.gva(DATA_VA)), write(DATA_ENTRY, ORIGINAL),
      new GuestOp.LoadCr3(0, 0), read(DATA_VA)
    };
    assertNull(scenario(null, ops));
    assertNotNull(scenario(SeededBug.SNAPSHOT_MISSES_REWRITES, ops), "SNAPSHOT_MISSES_REWRITES survived");
  }
}
