package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.World;

/**
 * A guest whose MAXPHYADDR is 52 may point an entry at any frame below 2^40, far past what the
 * shadow index packs. Found by the swarm generator: revalidating such an l4e (after an emulated
 * store into the shadowed l4 table) looked up an l3 shadow by a key the index refused, and the
 * engine threw where native simply stores the entry.
 */
class LargeGfnTest {
  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long DATA_VA = 0x0040_0000L;
  private static final long WINDOW = 0x0080_0000L;

  @Test
  void anEntryPointingPastTheIndexRangeIsRevalidatedWithoutAShadow() {
    World world = new World(1, 16, 32, new CpuModel(52));
    PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
    tables.map(Addr.gva(WINDOW), Addr.gpa(tables.root()), 1, RWU, RWU);
    world.startPaging(tables);
    long farGfn = 1L << 37;
    GuestOp[] ops = {
      new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0), // shadows the l4
      new GuestOp.MemoryAccess(0, Addr.gva(WINDOW + 8), AccessKind.WRITE, false, 8, (farGfn << 12) | RWU),
      new GuestOp.MemoryAccess(0, Addr.gva(0x0080_0000_0000L), AccessKind.READ, false, 8, 0),
    };
    NativePlatform oracle = new NativePlatform(world.machine().copy(), new SdmExecutor());
    OptimizedEngine engine = new OptimizedEngine(world.machine().copy(), OptimizedConfig.DEFAULT,
        new SdmExecutor(), new X86Emulator());
    for (GuestOp op : ops) {
      OpResult expected = oracle.apply(op);
      assertEquals(expected, engine.apply(op), op.toString());
      assertNull(engine.guest().firstGuestDifference(oracle.guest()), op.toString());
    }
  }
}
