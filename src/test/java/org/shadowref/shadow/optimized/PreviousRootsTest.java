package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowType;
import org.shadowref.shadow.invariant.InvariantIds;

/**
 * KVM's cache of previous roots on directed CR3 switches, with pins off so that only the cache
 * keeps tops: which tops survive a switch, which one falls out, what the guest sees, and the
 * exact failure of each seeded bug.
 */
class PreviousRootsTest {
  private static final InstructionExecutor CPU = new SdmExecutor();
  private static final InstructionExecutor EMULATOR = new X86Emulator();
  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long AD = EntryBits.A | EntryBits.D;
  private static final long DATA_VA = 0x0040_2000L;
  /** A page mapped with NX: with EFER.NXE clear, bit 63 is reserved and every access faults with RSVD. */
  private static final long NX_VA = DATA_VA + 0x1000;
  /** A user-writable window onto the second address space's root table, in every address space. */
  private static final long WINDOW = 0x00C0_0000L;
  private static final int SPACES = 5;

  /** The guest-physical roots of the five address spaces, the first one running. */
  private final long[] roots = new long[SPACES];
  private final World world = new World(1, 32, 32);

  /**
   * Five 4-level address spaces sharing every table below their roots (each root's one entry is
   * the first's), EFER.NXE on.
   */
  PreviousRootsTest() {
    PageTableBuilder first = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    first.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU | AD, RWU);
    first.map(Addr.gva(NX_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU | AD | EntryBits.NX, RWU);
    PageTableBuilder[] others = new PageTableBuilder[SPACES - 1];
    for (int i = 0; i < others.length; i++) {
      others[i] = world.pageTables(PagingMode.FOUR_LEVEL);
      roots[i + 1] = others[i].root();
    }
    first.map(Addr.gva(WINDOW), Addr.gpa(roots[1]), 1, RWU | AD, RWU);
    for (PageTableBuilder other : others) {
      other.setEntry(Addr.gva(DATA_VA), 4, first.readEntry(Addr.gva(DATA_VA), 4));
    }
    roots[0] = first.root();
    world.startPaging(first);
    ControlRegisters regs = world.machine().vcpu(0).regs();
    world.setRegs(regs.withEfer(regs.efer() | ControlRegisters.EFER_NXE));
  }

  /** Every technique but pins: only the cache keeps the tops of address spaces the vCPU left. */
  private static OptimizedConfig cache(boolean on) {
    return OptimizedConfig.DEFAULT.toBuilder().pinTops(false).previousRoots(on).build();
  }

  private OptimizedEngine engine(OptimizedConfig config) {
    return new OptimizedEngine(world.machine().copy(), config, CPU, EMULATOR);
  }

  private NativePlatform oracle() {
    return new NativePlatform(world.machine().copy(), CPU);
  }

  private static GuestOp read(long va) {
    return new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.READ, true, 8, 0);
  }

  private GuestOp switchTo(int space) {
    return new GuestOp.LoadCr3(0, roots[space]);
  }

  /** The key of the top of address space {@code space} made under EFER.NXE {@code nxe}. */
  private ShadowKey top(int space, boolean nxe) {
    return new ShadowKey(ShadowType.L4_64, Addr.gfnOf(Addr.gpa(roots[space])), 0, nxe ? ShadowKey.NXE : 0);
  }

  /** Applies {@code op} to both: same result, same guest memory, every invariant kept by the engine. */
  private static OpResult same(NativePlatform oracle, OptimizedEngine engine, GuestOp op) {
    OpResult expected = oracle.apply(op);
    assertEquals(expected, engine.apply(op), op.toString());
    assertNull(oracle.guest().firstGuestDifference(engine.guest()), "guest state after " + op);
    List<String> violations = InvariantRegistry.violations(engine);
    assertTrue(violations.isEmpty(), "after " + op + ": " + violations);
    return expected;
  }

  @Test
  void aSwitchBackRunsOnTheTopItLeft() {
    for (boolean on : new boolean[] {true, false}) {
      NativePlatform oracle = oracle();
      OptimizedEngine engine = engine(cache(on));
      same(oracle, engine, read(DATA_VA));
      same(oracle, engine, switchTo(1));
      assertEquals(on, engine.state().find(top(0, true)) != null,
          on ? "the top left behind is kept" : "without the cache (and pins) the top left behind goes");
      same(oracle, engine, read(DATA_VA));
      same(oracle, engine, switchTo(0));
      same(oracle, engine, read(DATA_VA));
      assertEquals(on ? 1 : 0, engine.counters().reusedRoots());
      assertEquals(on ? 2 : 3, engine.counters().handlerRuns(),
          on ? "the first address space ran on its shadows as it left them" : "its shadows were rebuilt");
    }
  }

  @Test
  void theFourthSwitchAwayLetsTheOldestTopGo() {
    NativePlatform oracle = oracle();
    OptimizedEngine engine = engine(cache(true));
    for (int space = 1; space <= 3; space++) {
      same(oracle, engine, read(DATA_VA));
      same(oracle, engine, switchTo(space));
    }
    assertEquals(3, engine.state().previousRootCount(0));
    assertNotNull(engine.state().find(top(0, true)), "three tops left behind, three kept");
    same(oracle, engine, switchTo(4));
    assertNull(engine.state().find(top(0, true)), "the oldest fell out and dropped its reference");
    for (int space = 1; space <= 3; space++) {
      assertEquals(1, engine.state().find(top(space, true)).refs(), "kept with one reference, the cache's");
    }
    same(oracle, engine, switchTo(0));
    same(oracle, engine, read(DATA_VA));
    assertEquals(0, engine.counters().reusedRoots(), "the first address space's top was built anew");
  }

  /**
   * A top is kept for its whole key. After EFER.NXE is cleared, a CR3 load back to the first
   * address space must not run on its top made under NXE, which maps the NX page: bit 63 is
   * reserved now and native faults with RSVD. Seeded bug {@link SeededBug#CACHED_ROOT_IGNORES_ROLE}
   * matches by the root table alone and lets the read through.
   */
  @Test
  void aKeptTopServesOnlyItsOwnRole() {
    ControlRegisters regs = world.machine().vcpu(0).regs();
    GuestOp clearNxe = new GuestOp.SetControl(0, regs.cr0(), regs.cr4(), regs.efer() & ~ControlRegisters.EFER_NXE,
        regs.rflags());
    NativePlatform oracle = oracle();
    NativePlatform buggyOracle = oracle();
    OptimizedEngine correct = engine(cache(true));
    OptimizedEngine buggy = engine(cache(true).withBug(SeededBug.CACHED_ROOT_IGNORES_ROLE));
    for (GuestOp op : new GuestOp[] {read(NX_VA), switchTo(1), clearNxe, switchTo(0)}) {
      same(oracle, correct, op);
      assertEquals(buggyOracle.apply(op), buggy.apply(op), "the bug shows only on the next access: " + op);
    }
    assertNotNull(correct.state().find(top(0, true)), "the top made under NXE is still kept");
    assertEquals(top(0, false), correct.state().root(0), "but the vCPU runs on one made without");
    assertEquals(0, correct.counters().reusedRoots());

    OpResult expected = oracle.apply(read(NX_VA));
    assertEquals(OpResult.Status.GUEST_FAULT, expected.status());
    assertEquals(PfErrorCode.P | PfErrorCode.U | PfErrorCode.RSVD, expected.errorCode());
    assertEquals(expected, correct.apply(read(NX_VA)));
    assertEquals(top(0, true), buggy.state().root(0), "the buggy cache handed back the top made under NXE");
    assertEquals(expected, buggyOracle.apply(read(NX_VA)));
    OpResult wrong = buggy.apply(read(NX_VA));
    assertEquals(OpResult.Status.OK, wrong.status(), "the read went through the stale role's leaf: " + wrong);
    String violation = InvariantRegistry.forId(InvariantIds.NO_AMPLIFY).violation(buggy);
    assertNotNull(violation);
    assertTrue(violation.contains("the shadows allow it, the guest's tables fault"), violation);
  }

  /** Seeded bug {@link SeededBug#EVICTED_ROOT_KEEPS_REFERENCE}: the top that falls out is referenced by nothing. */
  @Test
  void aTopThatFallsOutWithItsReferenceBreaksShadowStructure() {
    OptimizedEngine correct = engine(cache(true));
    OptimizedEngine buggy = engine(cache(true).withBug(SeededBug.EVICTED_ROOT_KEEPS_REFERENCE));
    for (int space = 1; space <= 4; space++) {
      assertNull(InvariantRegistry.forId(InvariantIds.SHADOW_STRUCTURE).violation(buggy), "before it falls out");
      correct.apply(switchTo(space));
      buggy.apply(switchTo(space));
    }
    assertNull(InvariantRegistry.forId(InvariantIds.SHADOW_STRUCTURE).violation(correct));
    String violation = InvariantRegistry.forId(InvariantIds.SHADOW_STRUCTURE).violation(buggy);
    assertNotNull(violation);
    assertTrue(violation.startsWith(top(0, true) + " frames"), violation);
    assertTrue(violation.endsWith("refs 1 has 0 references"), violation);
  }

  /**
   * A user store into a page table unshadows it: a kept top of it is let go, and the top the vCPU
   * runs on, which stays for its CR3, is obsolete and not kept when the vCPU leaves it.
   */
  @Test
  void anUnshadowedTopIsNeitherKeptNorReused() {
    NativePlatform oracle = oracle();
    OptimizedEngine engine = engine(cache(true));
    long secondRootMfn = engine.guest().p2m().mfn(Addr.gfnOf(Addr.gpa(roots[1])));
    GuestOp userStore = new GuestOp.MemoryAccess(0, Addr.gva(WINDOW + 300 * 8), AccessKind.WRITE, true, 8, 0);
    same(oracle, engine, switchTo(1));
    same(oracle, engine, switchTo(0));
    assertTrue(engine.isShadowedPageTable(Addr.mfn(secondRootMfn)), "the kept top keeps its table shadowed");
    same(oracle, engine, userStore);
    assertFalse(engine.isShadowedPageTable(Addr.mfn(secondRootMfn)), "unshadowed, kept top and all");
    assertEquals(0, engine.state().previousRootCount(0));
    same(oracle, engine, switchTo(1));
    assertEquals(1, engine.counters().reusedRoots(), "only the switch back before the store reused a top");

    // Now the vCPU runs on the second address space's top when its table is unshadowed.
    same(oracle, engine, new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, true, 8, 0));
    same(oracle, engine, userStore);
    assertNotNull(engine.state().find(top(1, true)), "the running top stays for its CR3");
    same(oracle, engine, switchTo(0));
    assertNull(engine.state().find(top(1, true)), "obsolete: dropped when left, not kept");
    assertFalse(engine.isShadowedPageTable(Addr.mfn(secondRootMfn)));
  }

  /** With the pool held to a few frames, kept tops are let go, oldest first, and the guest sees nothing of it. */
  @Test
  void aSmallPoolLetsKeptTopsGo() {
    NativePlatform oracle = oracle();
    OptimizedEngine roomy = engine(cache(true));
    OptimizedEngine small = engine(cache(true).withPoolFrames(10));
    NativePlatform roomyOracle = oracle();
    for (int round = 0; round < 3; round++) {
      for (int space = 0; space < 4; space++) { // the running top and three kept: all fit a roomy pool
        for (GuestOp op : new GuestOp[] {switchTo(space), read(DATA_VA), read(NX_VA)}) {
          same(oracle, small, op);
          same(roomyOracle, roomy, op);
        }
      }
    }
    assertEquals(3, roomy.state().previousRootCount(0));
    assertTrue(small.state().previousRootCount(0) < 3, "the small pool let kept tops go");
    assertTrue(small.counters().reusedRoots() < roomy.counters().reusedRoots(),
        small.counters().reusedRoots() + " reused with 10 frames, " + roomy.counters().reusedRoots() + " roomy");
  }
}
