package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.Forks;
import org.shadowref.shadow.GeneratedGuest;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * Generated small guests in every shadow mode (2-on-2, 2-on-3, 3-on-3, 4-on-4; paging switched
 * off and on gives unpaged shadows): after every operation the optimized engine agrees with the
 * native machine and with the reference engine (result and all guest memory, A/D bits included),
 * and every invariant holds on it.
 */
class OptimizedPropertyTest {
  private static final InstructionExecutor CPU = new SdmExecutor();
  private static final InstructionExecutor EMULATOR = new X86Emulator();

  @Test
  void optimizedEqualsNativeAndReferenceAndAllInvariantsHoldAfterEveryOperation() {
    qt().withExamples(Integer.getInteger("shadowref.examples", 300))
        .forAll(integers().all(), lists().of(integers().all()).ofSizeBetween(1, 40))
        .checkAssert((seed, codes) -> {
          GeneratedGuest guest = new GeneratedGuest(seed);
          NativePlatform oracle = new NativePlatform(guest.world.machine().copy(), CPU);
          ReferenceEngine reference = new ReferenceEngine(guest.world.machine().copy(),
              ReferenceEngine.Config.DEFAULT.withTwoOnTwo(guest.twoOnTwo), CPU, EMULATOR);
          OptimizedEngine engine = new OptimizedEngine(guest.world.machine().copy(),
              OptimizedConfig.DEFAULT.withTwoOnTwo(guest.twoOnTwo), CPU, EMULATOR);
          assertNoViolations(engine, "start");
          for (int code : codes) {
            GuestOp op = guest.op(code, oracle.guest());
            OpResult expected = oracle.apply(op);
            assertEquals(expected, engine.apply(op), "result of " + op);
            assertEquals(reference.apply(op), expected, "reference result of " + op);
            assertNull(oracle.guest().firstGuestDifference(engine.guest()), "guest state after " + op);
            assertNoViolations(engine, "after " + op);
          }
        });
  }

  /** Frames for two vCPUs' largest tops (2-on-3: five each) and one fault's chain of new shadows. */
  private static final int SMALLEST_POOL = 18;

  /**
   * Every technique on or off, prefetch near or far, the pool roomy or at its smallest, drawn per
   * case: each combination equals native and the reference and keeps every invariant.
   */
  @Test
  void everyCombinationOfTechniquesEqualsNativeAndReference() {
    long[] reclaims = {0};
    qt().withExamples(Integer.getInteger("shadowref.examples", 150))
        .forAll(integers().all(), integers().all(), lists().of(integers().all()).ofSizeBetween(1, 40))
        .checkAssert((seed, switches, codes) -> {
          GeneratedGuest guest = new GeneratedGuest(seed);
          int[] distances = {0, 1, 8, 511};
          OptimizedConfig config = OptimizedConfig.builder()
              .twoOnTwo(guest.twoOnTwo)
              .hashIndex((switches & 1) != 0)
              .magicEntries((switches & 2) != 0)
              .prefetch(distances[(switches >>> 2) & 3])
              .reverseMaps((switches & 16) != 0)
              .poolFrames((switches & 32) != 0 ? SMALLEST_POOL : 0)
              .pinTops((switches & 64) != 0)
              .earlyUnshadow((switches & 256) != 0)
              .writeFlooding((switches & 512) != 0)
              .fastEmulation((switches & 1024) != 0)
              .previousRoots((switches & 2048) != 0)
              .unpinReusedTops((switches & 4096) != 0)
              .racedWalks((switches & 16384) != 0)
              .build();
          reclaims[0] += runAgainstNativeAndReference(guest, config, codes).counters().poolReclaims();
        });
    assertTrue(reclaims[0] > 0, "some cases ran the pool short");
  }

  /**
   * At its smallest the pool lets pinned tops go and tears down and rebuilds shadows all the
   * time, invisibly to the guest.
   */
  @Test
  void aTinyPoolTearsDownAndRebuildsShadowsWithNoGuestVisibleChange() {
    long[] reclaims = {0};
    long[] unpinned = {0};
    qt().withExamples(Integer.getInteger("shadowref.examples", 80))
        .forAll(integers().all(), lists().of(integers().all()).ofSizeBetween(20, 60))
        .checkAssert((seed, codes) -> {
          GeneratedGuest guest = new GeneratedGuest(seed);
          OptimizedConfig config =
              OptimizedConfig.DEFAULT.withTwoOnTwo(guest.twoOnTwo).withPoolFrames(SMALLEST_POOL);
          OptimizedEngine engine = runAgainstNativeAndReference(guest, config, codes);
          assertTrue(engine.state().totalFrames() <= SMALLEST_POOL);
          reclaims[0] += engine.counters().poolReclaims();
          unpinned[0] += engine.counters().unpinned();
        });
    assertTrue(reclaims[0] > 0, "the pool never ran short: " + reclaims[0] + " times");
    assertTrue(unpinned[0] > 0, "no pinned top was let go to make room");
  }

  private static OptimizedEngine runAgainstNativeAndReference(
      GeneratedGuest guest, OptimizedConfig config, List<Integer> codes) {
    NativePlatform oracle = new NativePlatform(guest.world.machine().copy(), CPU);
    ReferenceEngine reference = new ReferenceEngine(guest.world.machine().copy(),
        ReferenceEngine.Config.DEFAULT.withTwoOnTwo(guest.twoOnTwo), CPU, EMULATOR);
    OptimizedEngine engine = new OptimizedEngine(guest.world.machine().copy(), config, CPU, EMULATOR);
    assertNoViolations(engine, "start");
    for (int code : codes) {
      GuestOp op = guest.op(code, oracle.guest());
      OpResult expected = oracle.apply(op);
      assertEquals(expected, engine.apply(op), config + ": result of " + op);
      assertEquals(expected, reference.apply(op), "reference result of " + op);
      assertNull(oracle.guest().firstGuestDifference(engine.guest()), config + ": guest state after " + op);
      assertNoViolations(engine, config + " after " + op);
    }
    return engine;
  }

  @Test
  void aCopyTakenMidwayBehavesExactlyLikeTheOriginal() {
    qt().withExamples(60)
        .forAll(integers().all(), lists().of(integers().all()).ofSizeBetween(2, 30))
        .checkAssert((seed, codes) -> {
          GeneratedGuest guest = new GeneratedGuest(seed);
          NativePlatform oracle = new NativePlatform(guest.world.machine().copy(), CPU);
          OptimizedEngine engine = new OptimizedEngine(guest.world.machine().copy(),
              OptimizedConfig.DEFAULT.withTwoOnTwo(guest.twoOnTwo), CPU, EMULATOR);
          List<GuestOp> ops = new ArrayList<>();
          for (int code : codes) {
            GuestOp op = guest.op(code, oracle.guest());
            ops.add(op);
            oracle.apply(op);
          }
          Forks.assertCopyMidwayBehavesAlike(engine, ops);
          assertNull(oracle.guest().firstGuestDifference(engine.guest()), "guest state at the end");
        });
  }

  private static void assertNoViolations(OptimizedEngine engine, String when) {
    List<String> violations = InvariantRegistry.violations(engine);
    assertTrue(violations.isEmpty(), when + ": " + violations);
  }
}
