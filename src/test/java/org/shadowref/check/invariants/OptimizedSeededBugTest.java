package org.shadowref.check.invariants;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.MovExecutor;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.World;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.optimized.Mutant;
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

  private static OptimizedEngine run(World world, Mutant mutant) {
    MovExecutor executor = new MovExecutor();
    OptimizedEngine engine = new OptimizedEngine(world.machine().copy(),
        OptimizedEngine.Config.DEFAULT.withMutant(mutant), executor, executor);
    engine.apply(new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0));
    return engine;
  }

  @Test
  void anMmioMarkerForReadOnlyRamBreaksMagic() {
    InvariantPredicate predicate = InvariantRegistry.forId(InvariantIds.MAGIC);
    assertNotNull(predicate);
    World world = world();
    OptimizedEngine correct = run(world, null);
    OptimizedEngine buggy = run(world, Mutant.MMIO_MAGIC_FOR_RAM);
    assertTrue(correct.counters().prefetched() > 0, "the neighbour was prefetched");
    assertNull(predicate.violation(correct), "without the bug");
    String violation = predicate.violation(buggy);
    assertNotNull(violation, "MMIO_MAGIC_FOR_RAM must break INV-MAGIC");
    assertTrue(violation.contains("RAM_RO"), violation);
  }
}
