package org.shadowref.check.invariants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * Propagation bugs that a predicate judging with the engine's own derivation cannot see: the
 * buggy entry is exactly what the buggy engine derives, so it is coherent with itself. INV-COHERENT
 * judges against the specification of propagation ({@code check.spec}) and catches each.
 */
class PropagationBugTest {
  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long ALL = RWU | EntryBits.A | EntryBits.D;
  private static final long DATA_VA = 0x0040_2000L;
  private static final long LARGE_VA = 0x0060_0000L;

  /** A 4-level guest with NXE on, one 4 KiB data page and one 2 MiB page over guest frame 0. */
  private static World world(long leafFlags, long directoryFlags, long largeFlags) {
    World world = new World(1, 32, 32);
    PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, leafFlags, directoryFlags);
    tables.map(Addr.gva(LARGE_VA), Addr.gpa(0), 2, largeFlags | EntryBits.PS, RWU);
    world.startPaging(tables);
    ControlRegisters regs = world.machine().vcpu(0).regs();
    world.setRegs(regs.withEfer(regs.efer() | ControlRegisters.EFER_NXE));
    return world;
  }

  private static ReferenceEngine engine(World world, ReferenceEngine.Config config) {
    return new ReferenceEngine(world.machine().copy(), config, new SdmExecutor(), new X86Emulator());
  }

  private static GuestOp read(long va) {
    return new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.READ, false, 8, 0);
  }

  /**
   * Runs {@code op} on the engine with and without {@code bug}: INV-COHERENT holds without it
   * and fails with it, while every present entry of the buggy engine is what its own derivation
   * gives (the old predicate's verdict: no violation).
   */
  private static void caughtOnlyBySpec(SeededBug bug, World world, GuestOp op) {
    caughtOnlyBySpec(bug, world, op, false);
  }

  /** {@code visible}: the guest sees the bug too (a wrong frame), so only the invariant verdicts are compared. */
  private static void caughtOnlyBySpec(SeededBug bug, World world, GuestOp op, boolean visible) {
    InvariantPredicate coherent = InvariantRegistry.forId(InvariantIds.COHERENT);
    assertNotNull(coherent);
    ReferenceEngine correct = engine(world, ReferenceEngine.Config.DEFAULT);
    ReferenceEngine buggy = engine(world, ReferenceEngine.Config.DEFAULT.withBug(bug));
    OpResult right = correct.apply(op);
    OpResult seen = buggy.apply(op);
    if (!visible) {
      assertEquals(right, seen, "the guest sees the same result");
    }
    assertNull(coherent.violation(correct), "without " + bug);
    String violation = coherent.violation(buggy);
    assertNotNull(violation, bug + " must break " + InvariantIds.COHERENT);
    int present = 0;
    ShadowScan scan = ShadowScan.of(buggy);
    for (ShadowTable table : scan.tables()) {
      for (ShadowScan.Entries at = scan.entries(table); at.next(); present++) {
        assertEquals(buggy.derivedEntry(table, at.part(), at.index()), at.entry(),
            "the buggy entry is the buggy derivation's: " + at.where());
      }
    }
    assertTrue(present > 3, "the step built a chain of shadow entries");
  }

  @Test
  void directoryEntriesWithoutNxAreCaught() {
    World world = world(ALL, RWU | EntryBits.NX, ALL);
    caughtOnlyBySpec(SeededBug.DIRECTORY_DROPS_NX, world, read(DATA_VA));
  }

  @Test
  void leavesWithoutTheirCacheBitsAreCaught() {
    World world = world(ALL | EntryBits.PWT | EntryBits.PCD, RWU, ALL);
    caughtOnlyBySpec(SeededBug.DROP_CACHE_BITS, world, read(DATA_VA));
  }

  @Test
  void aSplinterMappingTheNextPieceIsCaught() {
    World world = world(ALL, RWU, ALL);
    caughtOnlyBySpec(SeededBug.SPLINTER_OFF_BY_ONE, world, read(LARGE_VA + 0x3000), true);
  }

  @Test
  void aSplinterKeepingPsAsItsPatBitIsCaught() {
    World world = world(ALL, RWU, ALL);
    caughtOnlyBySpec(SeededBug.PAT_BIT_NOT_MOVED, world, read(LARGE_VA + 0x3000));
  }

  @Test
  void aSplinterCarriesTheLargePatBitAtBitSeven() {
    // The correct engine moves PAT from bit 12 of the large leaf to bit 7 of each piece; the
    // specification agrees, and a piece without it would be a violation.
    World world = world(ALL, RWU, ALL | EntryBits.PAT_LARGE);
    ReferenceEngine correct = engine(world, ReferenceEngine.Config.DEFAULT);
    correct.apply(read(LARGE_VA + 0x3000));
    InvariantPredicate coherent = InvariantRegistry.forId(InvariantIds.COHERENT);
    assertNotNull(coherent);
    assertNull(coherent.violation(correct));
    ShadowScan scan = ShadowScan.of(correct);
    boolean seen = false;
    for (ShadowTable table : scan.tables()) {
      if (!table.type().equals("FL1_64")) {
        continue;
      }
      for (ShadowScan.Entries at = scan.entries(table); at.next(); ) {
        assertEquals(EntryBits.PAT_4K, at.entry() & EntryBits.PAT_4K, at.where());
        assertNull(scan.spec().violation(table, at.part(), at.index(), at.entry()));
        assertNotNull(scan.spec().violation(table, at.part(), at.index(), at.entry() & ~EntryBits.PAT_4K));
        seen = true;
      }
    }
    assertTrue(seen, "the large page was splintered");
  }
}
