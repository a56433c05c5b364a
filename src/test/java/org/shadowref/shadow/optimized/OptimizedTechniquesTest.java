package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.mmu.MachineTables;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.FaultResolution;

/**
 * Directed runs of the optimized engine's techniques: each is shown to act (its counter moves, or
 * the shadows hold what it made) and the guest sees exactly what native shows it.
 */
class OptimizedTechniquesTest {
  private static final InstructionExecutor CPU = new SdmExecutor();
  private static final InstructionExecutor EMULATOR = new X86Emulator();
  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long AD = EntryBits.A | EntryBits.D;
  /** A data page; the next page of the same l1 table is left unmapped. */
  private static final long DATA_VA = 0x0040_2000L;
  private static final long HOLE_VA = DATA_VA + 0x1000;
  private static final long DEVICE_VA = DATA_VA + 0x2000;
  private static final long ACCESSED_VA = DATA_VA + 0x3000;
  private static final long UNACCESSED_VA = DATA_VA + 0x4000;
  /** A device page under a supervisor-only directory entry. */
  private static final long KERNEL_DEVICE_VA = 0x0080_0000L;
  /** A window onto the l1 table that maps DATA_VA. */
  private static final long WINDOW = 0x00C0_0000L;

  private World world;
  private long l1Gpa;

  OptimizedTechniquesTest() {
    world = build(PagingMode.FOUR_LEVEL);
  }

  /** The guest in {@code mode}: the pages above, then paging on. */
  private World build(PagingMode mode) {
    world = new World(1, 32, 32);
    PageTableBuilder tables = world.pageTables(mode);
    long data = world.allocateFrame();
    long device = world.ramFrames();
    world.mapMmio(Addr.gfn(device));
    tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
    tables.map(Addr.gva(DEVICE_VA), Addr.gpaOf(Addr.gfn(device), 0), 1, RWU | AD, RWU);
    tables.map(Addr.gva(ACCESSED_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU | EntryBits.A, RWU);
    tables.map(Addr.gva(UNACCESSED_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
    tables.map(Addr.gva(KERNEL_DEVICE_VA), Addr.gpaOf(Addr.gfn(device), 0), 1, RWU | AD,
        EntryBits.P | EntryBits.RW);
    l1Gpa = tables.entryAddressFor(Addr.gva(DATA_VA), 1) & ~0xFFFL;
    tables.map(Addr.gva(WINDOW), Addr.gpa(l1Gpa), 1, RWU, RWU);
    world.startPaging(tables);
    return world;
  }

  private OptimizedEngine engine(OptimizedConfig config) {
    return new OptimizedEngine(world.machine().copy(), config, CPU, EMULATOR);
  }

  private NativePlatform oracle() {
    return new NativePlatform(world.machine().copy(), CPU);
  }

  private static GuestOp.MemoryAccess access(long va, AccessKind kind, boolean user) {
    return new GuestOp.MemoryAccess(0, Addr.gva(va), kind, user, 4, 0x1234);
  }

  /** Applies {@code op} to both; they must agree on the result and on all guest memory. */
  private static OpResult same(NativePlatform oracle, OptimizedEngine engine, GuestOp op) {
    OpResult expected = oracle.apply(op);
    assertEquals(expected, engine.apply(op), op.toString());
    assertEquals(null, oracle.guest().firstGuestDifference(engine.guest()), "guest state after " + op);
    return expected;
  }

  private static boolean hardwareAllows(OptimizedEngine engine, long va) {
    return Walker.walk(new MachineTables(engine.guest().machine()), engine.hardwareRegs(0), engine.hostCpu(),
        Addr.gva(va), Access.SUPERVISOR_READ, false).ok();
  }

  @Test
  void notPresentFaultsAreAnsweredByTheFastPathWithTheNativeErrorCodeInEveryLongShadowMode() {
    for (PagingMode mode : PagingMode.values()) {
      OptimizedTechniquesTest guest = new OptimizedTechniquesTest();
      guest.build(mode);
      NativePlatform oracle = guest.oracle();
      OptimizedEngine engine = guest.engine(OptimizedConfig.DEFAULT);
      same(oracle, engine, access(DATA_VA, AccessKind.READ, false)); // builds the l1 shadow and its markers
      int faults = 0;
      for (AccessKind kind : AccessKind.values()) {
        for (boolean user : new boolean[] {false, true}) {
          OpResult result = same(oracle, engine, access(HOLE_VA, kind, user));
          assertEquals(OpResult.Status.GUEST_FAULT, result.status(), mode + " " + kind);
          assertEquals(0, result.errorCode() & (PfErrorCode.P | PfErrorCode.RSVD), mode + " " + kind);
          faults++;
        }
      }
      assertEquals(faults, engine.counters().fastNotPresent(), mode + ": every not-present fault took the fast path");
    }
  }

  @Test
  void withoutMagicEntriesEveryFaultTakesTheFullHandler() {
    NativePlatform oracle = oracle();
    OptimizedEngine engine = engine(OptimizedConfig.DEFAULT.withMagicEntries(false));
    same(oracle, engine, access(DATA_VA, AccessKind.READ, false));
    same(oracle, engine, access(HOLE_VA, AccessKind.WRITE, true));
    same(oracle, engine, access(DEVICE_VA, AccessKind.READ, false));
    assertEquals(0, engine.counters().fastNotPresent() + engine.counters().fastMmio());
  }

  @Test
  void mmioAccessesExitWithTheirGuestPhysicalAddressThroughTheFastPath() {
    NativePlatform oracle = oracle();
    OptimizedEngine engine = engine(OptimizedConfig.DEFAULT);
    same(oracle, engine, access(DEVICE_VA + 0x10, AccessKind.READ, false)); // full handler; makes the marker
    OpResult read = same(oracle, engine, access(DEVICE_VA + 0x24, AccessKind.READ, true));
    OpResult write = same(oracle, engine, access(DEVICE_VA + 0xFF0, AccessKind.WRITE, false));
    assertEquals(OpResult.Status.MMIO, read.status());
    assertEquals(Addr.gpaOf(Addr.gfn(world.ramFrames()), 0xFF0), write.address());
    assertEquals(2, engine.counters().fastMmio());
  }

  @Test
  void anMmioAccessAnUpperLevelForbidsIsLeftToTheFullHandler() {
    NativePlatform oracle = oracle();
    OptimizedEngine engine = engine(OptimizedConfig.DEFAULT);
    same(oracle, engine, access(KERNEL_DEVICE_VA, AccessKind.READ, false));
    OpResult user = same(oracle, engine, access(KERNEL_DEVICE_VA, AccessKind.READ, true));
    assertEquals(OpResult.Status.GUEST_FAULT, user.status());
    same(oracle, engine, access(KERNEL_DEVICE_VA, AccessKind.WRITE, false));
    assertEquals(1, engine.counters().fastMmio(), "only the supervisor write exits by the fast path");
  }

  @Test
  void aMarkerFixedSinceTheHardwareFaultedIsAFalseAlarmAndTheAccessRetries() {
    NativePlatform oracle = oracle();
    OptimizedEngine engine = engine(OptimizedConfig.DEFAULT);
    same(oracle, engine, access(DATA_VA, AccessKind.READ, false));
    // The guest maps the hole (an emulated store to its l1, which revalidates the marker away)...
    long holeEntry = WINDOW + 8 * ((HOLE_VA >>> 12) & 511);
    long dataGpa = world.machine().physical().read(Addr.gpa(l1Gpa + 8 * ((DATA_VA >>> 12) & 511)), 8) & ~0xFFFL;
    same(oracle, engine, new GuestOp.MemoryAccess(0, Addr.gva(holeEntry), AccessKind.WRITE, false, 8, dataGpa | RWU));
    // ...after the hardware raised its reserved-bit fault on the marker (another vCPU's view).
    GuestOp.MemoryAccess read = access(HOLE_VA, AccessKind.READ, false);
    FaultResolution resolution = engine.pageFault(0, Addr.gva(HOLE_VA), PfErrorCode.P | PfErrorCode.RSVD, read);
    assertEquals(FaultResolution.Kind.FIXED, resolution.kind());
    assertEquals(1, engine.counters().falseAlarms());
    assertEquals(OpResult.Status.OK, same(oracle, engine, read).status());
  }

  @Test
  void prefetchPropagatesNeighboursButNeverOnesWhoseAccessedBitIsClear() {
    OptimizedEngine engine = engine(OptimizedConfig.DEFAULT);
    engine.apply(access(DATA_VA, AccessKind.READ, false));
    assertTrue(hardwareAllows(engine, ACCESSED_VA), "the accessed neighbour was prefetched");
    assertFalse(hardwareAllows(engine, UNACCESSED_VA), "an entry without A stays not present");
    long guestEntry = world.machine().physical().read(Addr.gpa(l1Gpa + 8 * ((UNACCESSED_VA >>> 12) & 511)), 8);
    assertEquals(0, engine.guest().physical().read(Addr.gpa(l1Gpa + 8 * ((UNACCESSED_VA >>> 12) & 511)), 8)
        & EntryBits.A, "prefetch set no guest A bit");
    assertEquals(guestEntry, engine.guest().physical().read(Addr.gpa(l1Gpa + 8 * ((UNACCESSED_VA >>> 12) & 511)), 8));
    assertTrue(engine.counters().prefetched() > 0);

    OptimizedEngine plain = engine(OptimizedConfig.DEFAULT.withPrefetch(0));
    plain.apply(access(DATA_VA, AccessKind.READ, false));
    assertFalse(hardwareAllows(plain, ACCESSED_VA), "without prefetch only the faulting entry is filled");
  }

  @Test
  void aPrefetchedNeighbourWithAccessedAndDirtySetTakesItsFirstWriteWithoutAFault() {
    for (PagingMode mode : PagingMode.values()) {
      World guest = new World(1, 32, 32);
      PageTableBuilder tables = guest.pageTables(mode);
      for (int page = 0; page < 4; page++) {
        tables.map(Addr.gva(DATA_VA + page * Addr.PAGE_SIZE), Addr.gpaOf(Addr.gfn(guest.allocateFrame()), 0), 1,
            RWU | AD, RWU);
      }
      guest.startPaging(tables);
      for (AccessKind first : new AccessKind[] {AccessKind.READ, AccessKind.WRITE}) {
        OptimizedEngine engine = new OptimizedEngine(guest.machine().copy(), OptimizedConfig.DEFAULT, CPU, EMULATOR);
        NativePlatform oracle = new NativePlatform(guest.machine().copy(), CPU);
        same(oracle, engine, new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), first, true, 8, 1));
        assertEquals(1, engine.counters().handlerRuns(), mode.cliName() + ": the first touch faults once");
        same(oracle, engine, new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA + Addr.PAGE_SIZE), AccessKind.WRITE, true, 8, 2));
        same(oracle, engine, new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA + 2 * Addr.PAGE_SIZE), AccessKind.READ, true, 8, 0));
        assertEquals(1, engine.counters().handlerRuns(),
            mode.cliName() + " after a " + first + ": prefetch made the dirty neighbours writable, so no more faults");
      }
    }
  }

  /**
   * Bytes a fault may allocate in steady state: its answer, the three small immutable objects the
   * {@code Platform} API hands back (an {@code AccessOutcome}, the {@code OpResult} and the
   * handler's {@code FaultResolution}, about 32 bytes each with compressed pointers). Walk results,
   * register sets and accesses are reused, so nothing else may be allocated.
   */
  private static final long RESULT_BYTES = 128;

  @Test
  void steadyStateFaultsAllocateNothingButTheirAnswers() {
    OptimizedEngine engine = engine(OptimizedConfig.DEFAULT);
    GuestOp.MemoryAccess[] faults = {
      access(HOLE_VA, AccessKind.READ, false), // not present: the fast path
      access(DEVICE_VA, AccessKind.WRITE, false), // MMIO: the fast path
      access(KERNEL_DEVICE_VA, AccessKind.READ, true), // the guest's own protection fault: full handler
    };
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    int rounds = 20_000;
    for (int warm = 0; warm < 3; warm++) { // the first rounds build the shadows and let the JIT settle
      for (int i = 0; i < rounds; i++) {
        for (GuestOp.MemoryAccess fault : faults) {
          engine.apply(fault);
        }
      }
    }
    long runs = engine.counters().handlerRuns();
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < rounds; i++) {
      for (GuestOp.MemoryAccess fault : faults) {
        engine.apply(fault);
      }
    }
    long allocated = threads.getThreadAllocatedBytes(thread) - before;
    long handled = engine.counters().handlerRuns() - runs;
    assertEquals((long) rounds * faults.length, handled, "each access is one fault");
    long perFault = allocated / handled;
    System.out.println("optimized engine: " + allocated + " bytes over " + handled + " steady-state faults, "
        + perFault + " per fault");
    assertTrue(perFault <= RESULT_BYTES, perFault + " bytes per fault");
  }

  @Test
  void everyTechniqueSwitchedOffStillAgreesWithNative() {
    NativePlatform oracle = oracle();
    OptimizedEngine engine = engine(OptimizedConfig.PLAIN);
    for (long va : new long[] {DATA_VA, HOLE_VA, DEVICE_VA, ACCESSED_VA, UNACCESSED_VA, KERNEL_DEVICE_VA, WINDOW}) {
      for (AccessKind kind : AccessKind.values()) {
        same(oracle, engine, access(va, kind, kind == AccessKind.READ));
      }
    }
    assertEquals(0, engine.counters().fastNotPresent() + engine.counters().fastMmio() + engine.counters().prefetched());
  }

  /**
   * Two 4-level address spaces mapping {@code DATA_VA}; the first also maps a window onto the
   * second's root table at {@link #WINDOW}. Returns the second's root.
   */
  private long buildTwoAddressSpaces() {
    world = new World(1, 32, 32);
    PageTableBuilder first = world.pageTables(PagingMode.FOUR_LEVEL);
    PageTableBuilder second = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    first.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU | AD, RWU);
    second.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU | AD, RWU);
    first.map(Addr.gva(WINDOW), second.root(), 1, RWU | AD, RWU);
    world.startPaging(first);
    return second.root();
  }

  @Test
  void aPinnedTopKeepsAnAddressSpacesShadowsForTheSwitchBack() {
    for (boolean pins : new boolean[] {true, false}) {
      long secondRoot = buildTwoAddressSpaces();
      long firstRoot = world.machine().vcpu(0).regs().cr3();
      NativePlatform oracle = oracle();
      // Previous roots off: they too would keep the first address space's top for the switch back.
      OptimizedEngine engine = engine(OptimizedConfig.DEFAULT.toBuilder().pinTops(pins).previousRoots(false).build());
      same(oracle, engine, access(DATA_VA, AccessKind.READ, false));
      same(oracle, engine, new GuestOp.LoadCr3(0, secondRoot));
      same(oracle, engine, access(DATA_VA, AccessKind.READ, false));
      assertEquals(2, engine.counters().handlerRuns(), "each address space faults once to build its shadows");
      same(oracle, engine, new GuestOp.LoadCr3(0, firstRoot));
      same(oracle, engine, access(DATA_VA, AccessKind.READ, false));
      assertEquals(pins ? 2 : 3, engine.counters().handlerRuns(),
          pins ? "the first address space's shadows were kept" : "without pins its shadows were torn down");
      assertEquals(pins ? 2 : 0, engine.state().pinnedCount());
    }
  }

  @Test
  void aUserWriteToAPinnedTopsTableUnshadowsAndUnpinsIt() {
    long secondRoot = buildTwoAddressSpaces();
    long firstRoot = world.machine().vcpu(0).regs().cr3();
    NativePlatform oracle = oracle();
    OptimizedEngine engine = engine(OptimizedConfig.DEFAULT);
    same(oracle, engine, new GuestOp.LoadCr3(0, secondRoot));
    same(oracle, engine, new GuestOp.LoadCr3(0, firstRoot));
    long secondRootMfn = engine.guest().p2m().mfn(Addr.gfnOf(Addr.gpa(secondRoot)));
    assertTrue(engine.isShadowedPageTable(Addr.mfn(secondRootMfn)), "the pin keeps the table shadowed");
    // A user store into the table: the hint that it is no page table any more (sh_remove_shadows).
    same(oracle, engine, new GuestOp.MemoryAccess(0, Addr.gva(WINDOW + 300 * 8), AccessKind.WRITE, true, 8, 0));
    assertFalse(engine.isShadowedPageTable(Addr.mfn(secondRootMfn)), "unshadowed, pin and all");
    assertEquals(1, engine.state().pinnedCount(), "only the running address space's top is pinned");
  }
}
