package org.shadowref.check.invariants;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

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
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * For each invariant, a seeded engine bug and a short run after which that invariant's predicate
 * reports a violation; the same run without the bug satisfies it.
 */
class SeededBugTest {
  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long DATA_VA = 0x0040_2000L;
  private static final long WINDOW = 0x00C0_0000L;

  /** A 4-level guest with a data page and a window onto the l1 table that maps it. */
  private static World world(long leafFlags, boolean nxe) {
    World world = new World(1, 32, 32);
    PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, leafFlags, RWU);
    long l1 = tables.entryAddressFor(Addr.gva(DATA_VA), 1) & ~0xFFFL;
    tables.map(Addr.gva(WINDOW), Addr.gpa(l1), 1, RWU, RWU);
    PageTableBuilder other = world.pageTables(PagingMode.FOUR_LEVEL);
    other.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
    world.startPaging(tables);
    if (nxe) {
      ControlRegisters regs = world.machine().vcpu(0).regs();
      world.setRegs(regs.withEfer(regs.efer() | ControlRegisters.EFER_NXE));
    }
    return world;
  }

  private static ReferenceEngine engine(World world, SeededBug bug) {
    ReferenceEngine.Config config = ReferenceEngine.Config.DEFAULT;
    if (bug != null) {
      config = config.withBug(bug);
    }
    return new ReferenceEngine(world.machine().copy(), config, new SdmExecutor(), new X86Emulator());
  }

  private static GuestOp read(long va) {
    return new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.READ, false, 8, 0);
  }

  private static GuestOp write(long va, long value) {
    return new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.WRITE, false, 8, value);
  }

  /** Runs {@code ops} with and without {@code bug}; only the buggy run violates {@code id}. */
  private static void caught(String id, SeededBug bug, World world, GuestOp... ops) {
    InvariantPredicate predicate = InvariantRegistry.forId(id);
    assertNotNull(predicate, id);
    ReferenceEngine correct = engine(world, null);
    ReferenceEngine buggy = engine(world, bug);
    for (GuestOp op : ops) {
      correct.apply(op);
      buggy.apply(op);
    }
    assertNull(predicate.violation(correct), "without " + bug);
    assertNotNull(predicate.violation(buggy), bug + " must break " + id);
  }

  @Test
  void skipWriteProtectBreaksWriteProtect() {
    World world = world(RWU, false);
    caught(InvariantIds.WRITE_PROTECT, SeededBug.SKIP_WRITE_PROTECT, world, read(DATA_VA), write(WINDOW + 0x800, 0));
  }

  @Test
  void dropNxBreaksNoAmplify() {
    World world = world(RWU | EntryBits.NX | EntryBits.A, true);
    caught(InvariantIds.NO_AMPLIFY, SeededBug.DROP_NX, world, read(DATA_VA));
  }

  @Test
  void ignoreDirtyBreaksNoAmplify() {
    caught(InvariantIds.NO_AMPLIFY, SeededBug.IGNORE_DIRTY, world(RWU, false), read(DATA_VA));
  }

  @Test
  void skipRevalidateBreaksCoherence() {
    World world = world(RWU, false);
    long otherLeaf = Addr.gpaOf(Addr.gfn(20), 0) | RWU;
    // Rewrite the live l1e for DATA_VA through the window: the emulated store must revalidate it.
    caught(InvariantIds.COHERENT, SeededBug.SKIP_REVALIDATE, world,
        read(DATA_VA), read(WINDOW), write(WINDOW + 8 * ((DATA_VA >>> 12) & 511), otherLeaf));
  }

  @Test
  void leakRefcountBreaksStructure() {
    World world = world(RWU, false);
    long otherRoot = 0;
    // The second address space's root is the frame allocated after the first space's tables.
    for (int gfn = 0; gfn < 32; gfn++) {
      long entry = world.machine().physical().read(Addr.gpaOf(Addr.gfn(gfn), 0), 8);
      if (entry != 0 && gfn != world.machine().vcpu(0).regs().cr3() >>> 12) {
        otherRoot = gfn;
      }
    }
    caught(InvariantIds.SHADOW_STRUCTURE, SeededBug.LEAK_REFCOUNT, world,
        read(DATA_VA), new GuestOp.LoadCr3(0, otherRoot << 12), read(DATA_VA));
  }

  @Test
  void mapShadowFrameBreaksIsolation() {
    caught(InvariantIds.ISOLATION, SeededBug.MAP_SHADOW_FRAME, world(RWU, false), read(DATA_VA), read(WINDOW));
  }
}
