package org.shadowref.check.invariants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;

/** The optimized engine's own invariants, each broken by a seeded bug and kept without it. */
class OptimizedSeededBugTest {
  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long DATA_VA = 0x0040_2000L;
  private static final long DEVICE_VA = DATA_VA + 0x1000;

  /** A 4-level guest with a data page and, beside it, a page of read-only RAM mapped with every right. */
  private static World world() {
    World world = new World(1, 32, 32);
    PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    long readOnly = world.allocateFrame();
    world.makeReadOnly(Addr.gfn(readOnly));
    tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
    tables.map(Addr.gva(DEVICE_VA), Addr.gpaOf(Addr.gfn(readOnly), 0), 1, RWU | EntryBits.A | EntryBits.D, RWU);
    world.startPaging(tables);
    return world;
  }

  /** One read of the data page on a fresh engine, every technique but out-of-sync shadows on. */
  private static OptimizedEngine run(World world, @Nullable SeededBug mutant) {
    return run(world, OptimizedConfig.DEFAULT.withBug(mutant),
        new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0));
  }

  /** {@code ops} on a fresh engine over {@code world} with out-of-sync shadows on and {@code mutant} seeded. */
  private static OptimizedEngine runWithOutOfSync(World world, @Nullable SeededBug mutant, GuestOp... ops) {
    return run(world, OptimizedConfig.PRODUCTION.withBug(mutant), ops);
  }

  private static OptimizedEngine run(World world, OptimizedConfig config, GuestOp... ops) {
    OptimizedEngine engine = new OptimizedEngine(world.machine().copy(), config, new SdmExecutor(), new X86Emulator());
    for (GuestOp op : ops) {
      engine.apply(op);
    }
    return engine;
  }

  /** The predicate of {@code id} holds on {@code correct} and names {@code fragment} on {@code buggy}. */
  private static void assertOnlyTheBugBreaks(String id, OptimizedEngine correct, OptimizedEngine buggy, String fragment) {
    InvariantPredicate predicate = InvariantRegistry.forId(id);
    assertNotNull(predicate, id);
    assertNull(predicate.violation(correct), "without the bug");
    String violation = predicate.violation(buggy);
    assertNotNull(violation, buggy.config().bugs() + " must break " + id);
    assertTrue(violation.contains(fragment), violation);
  }

  @Test
  void anMmioMarkerForReadOnlyRamBreaksMagic() {
    World world = world();
    OptimizedEngine correct = run(world, null);
    OptimizedEngine buggy = run(world, SeededBug.MMIO_MAGIC_FOR_RAM);
    assertTrue(correct.counters().prefetched() > 0, "the neighbour was prefetched");
    assertOnlyTheBugBreaks(InvariantIds.MAGIC, correct, buggy, "RAM_RO");
  }

  @Test
  void aPinWithoutItsReferenceBreaksShadowStructure() {
    World world = world();
    OptimizedEngine correct = run(world, null);
    OptimizedEngine buggy = run(world, SeededBug.PIN_WITHOUT_REFERENCE);
    assertEquals(1, correct.state().pinnedCount(), "the running top is pinned");
    assertOnlyTheBugBreaks(InvariantIds.SHADOW_STRUCTURE, correct, buggy, "pinned has 2 references");
  }

  @Test
  void unsyncingATableAlsoShadowedAtAHigherLevelBreaksOutOfSync() {
    World world = new World(1, 32, 32);
    PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
    long l1 = tables.entryAddressFor(Addr.gva(DATA_VA), 1) & ~0xFFFL;
    long window = 0x00C0_0000L;
    tables.map(Addr.gva(window), Addr.gpa(l1), 1, RWU, RWU);
    // The same table serves as an l2 for the second GiB: its entry 100 points at an l1 table
    // (for DATA_VA's region it maps that table's frame as data) whose entry 0 maps the data page.
    long alias = 0x4000_0000L;
    long l1ForAlias = world.allocateFrame();
    world.machine().physical().write(Addr.gpaOf(Addr.gfn(l1ForAlias), 0), 8,
        Addr.gpaOf(Addr.gfn(data), 0) | RWU | EntryBits.A);
    world.machine().physical().write(Addr.gpa(l1 + 8 * 100), 8, Addr.gpaOf(Addr.gfn(l1ForAlias), 0) | RWU | EntryBits.A);
    tables.setEntry(Addr.gva(alias), 3, l1 | RWU | EntryBits.A);
    world.startPaging(tables);
    GuestOp[] ops = {
      new GuestOp.MemoryAccess(0, Addr.gva(alias + 100 * 0x20_0000L), AccessKind.READ, false, 8, 0),
      new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0),
      new GuestOp.MemoryAccess(0, Addr.gva(window + 0x800), AccessKind.WRITE, false, 8, 0),
      new GuestOp.MemoryAccess(0, Addr.gva(window + 0x808), AccessKind.WRITE, false, 8, 0),
    };
    OptimizedEngine correct = runWithOutOfSync(world, null, ops);
    OptimizedEngine buggy = runWithOutOfSync(world, SeededBug.UNSYNC_ANY_LEVEL, ops);
    assertOnlyTheBugBreaks(InvariantIds.OUT_OF_SYNC, correct, buggy, "is out of sync but is no l1 shadow");
  }

  @Test
  void aRefreshedEntryWhoseWriteGoesUnnotedBreaksOutOfSync() {
    World world = new World(1, 32, 32);
    PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    long other = world.allocateFrame();
    long leaf = Addr.gpaOf(Addr.gfn(data), 0) | RWU | EntryBits.A;
    tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU | EntryBits.A, RWU);
    long l1 = tables.entryAddressFor(Addr.gva(DATA_VA), 1) & ~0xFFFL;
    long window = 0x00C0_0000L;
    tables.map(Addr.gva(window), Addr.gpa(l1), 1, RWU | EntryBits.A | EntryBits.D, RWU);
    world.startPaging(tables);
    long dataEntry = window + 8 * ((DATA_VA >>> 12) & 511);
    GuestOp[] ops = {
      new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0),
      new GuestOp.MemoryAccess(0, Addr.gva(window + 0x800), AccessKind.WRITE, false, 8, 0),
      new GuestOp.MemoryAccess(0, Addr.gva(window + 0x808), AccessKind.WRITE, false, 8, 0), // out of sync now
      // Remap the page directly, let INVLPG refresh its l1e, then put the snapshot's word back.
      new GuestOp.MemoryAccess(0, Addr.gva(dataEntry), AccessKind.WRITE, false, 8,
          Addr.gpaOf(Addr.gfn(other), 0) | RWU | EntryBits.A),
      new GuestOp.Invlpg(0, Addr.gva(DATA_VA)),
      new GuestOp.MemoryAccess(0, Addr.gva(dataEntry), AccessKind.WRITE, false, 8, leaf),
    };
    OptimizedEngine correct = runWithOutOfSync(world, null, ops);
    OptimizedEngine buggy = runWithOutOfSync(world, SeededBug.SNAPSHOT_MISSES_REWRITES, ops);
    assertEquals(1, correct.state().outOfSyncCount(), "the l1 is out of sync");
    assertOnlyTheBugBreaks(InvariantIds.OUT_OF_SYNC, correct, buggy, "would be skipped by a resync");
  }
}
