package org.shadowref.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Addr;
import org.shadowref.check.invariants.InvariantPredicate;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * P2M changes under a running guest (issue 21 §1): every engine keeps every invariant through the
 * P2M examples, each seeded repair bug breaks INV-P2M-COHERENT right after the change, and the
 * changes the hypervisor refuses are refused alike everywhere.
 */
class P2mChangeTest {
  private static final SdmExecutor CPU = new SdmExecutor();
  private static final X86Emulator EMULATOR = new X86Emulator();
  private static final List<String> EXAMPLES =
      List.of("25-p2m-migrate.yaml", "26-p2m-balloon.yaml", "27-p2m-device-to-ram.yaml");

  private static Scenario scenario(String name) throws Exception {
    return ScenarioReader.read(Path.of("examples", name));
  }

  private static List<ShadowEngine<?>> everyEngine(GuestMachineSource world) {
    List<ShadowEngine<?>> engines = new ArrayList<>();
    engines.add(new ReferenceEngine(world.build(), ReferenceEngine.Config.DEFAULT, CPU, EMULATOR));
    engines.add(new ReferenceEngine(world.build(), ReferenceEngine.Config.DEFAULT.withTwoOnTwo(true), CPU, EMULATOR));
    for (OptimizedConfig config : List.of(OptimizedConfig.PLAIN, OptimizedConfig.DEFAULT, OptimizedConfig.PRODUCTION)) {
      engines.add(new OptimizedEngine(world.build(), config, CPU, EMULATOR));
    }
    return engines;
  }

  /** Builds a fresh guest each time. */
  private interface GuestMachineSource {
    GuestMachine build();
  }

  @Test
  void everyEngineKeepsEveryInvariantThroughEveryP2mExample() throws Exception {
    int changes = 0;
    for (String name : EXAMPLES) {
      Scenario scenario = scenario(name);
      for (ShadowEngine<?> engine : everyEngine(() -> scenario.world().build())) {
        NativePlatform reference = new NativePlatform(scenario.world().build(), CPU);
        for (GuestOp op : scenario.ops()) {
          OpResult expected = reference.apply(op);
          assertEquals(expected, engine.apply(op), name + " " + engine.name() + ": " + op);
          assertEquals(List.of(), InvariantRegistry.violations(engine), name + " " + engine.name() + " after " + op);
          assertNull(reference.guest().firstGuestDifference(engine.guest()), name + " after " + op);
          changes += op instanceof GuestOp.SetP2m ? 1 : 0;
        }
      }
    }
    assertTrue(changes >= 5 * 9, "the examples change the P2M on every engine: " + changes);
  }

  @Test
  void aLeafLeftInASecondShadowBreaksP2mCoherence() throws Exception {
    assertTheBugBreaksAtTheChange("25-p2m-migrate.yaml", SeededBug.P2M_MAPPING_LEFT_IN_SECOND_SHADOW,
        "which the P2M puts at 0x3f");
  }

  @Test
  void aMissedSplinterBreaksP2mCoherence() throws Exception {
    assertTheBugBreaksAtTheChange("25-p2m-migrate.yaml", SeededBug.P2M_SPLINTER_MISSED, "FL1");
  }

  @Test
  void aKeptMmioMarkerBreaksP2mCoherence() throws Exception {
    assertTheBugBreaksAtTheChange("27-p2m-device-to-ram.yaml", SeededBug.P2M_MMIO_MARKER_KEPT, "as MMIO, the P2M has RAM");
  }

  /** Runs the scenario to its first P2M change with and without {@code bug}: only the bug breaks the invariant. */
  private static void assertTheBugBreaksAtTheChange(String name, SeededBug bug, String fragment) throws Exception {
    Scenario scenario = scenario(name);
    InvariantPredicate predicate = InvariantRegistry.forId(InvariantIds.P2M_COHERENT);
    assertNotNull(predicate);
    OptimizedEngine correct = new OptimizedEngine(scenario.world().build(), OptimizedConfig.DEFAULT, CPU, EMULATOR);
    OptimizedEngine buggy = new OptimizedEngine(scenario.world().build(), OptimizedConfig.DEFAULT.withBug(bug), CPU, EMULATOR);
    for (GuestOp op : scenario.ops()) {
      correct.apply(op);
      buggy.apply(op);
      if (op instanceof GuestOp.SetP2m) {
        assertNull(predicate.violation(correct), "without the bug, after " + op);
        String violation = predicate.violation(buggy);
        assertNotNull(violation, bug + " must break " + InvariantIds.P2M_COHERENT + " at " + op);
        assertTrue(violation.contains(fragment), violation);
        return;
      }
      assertNull(predicate.violation(buggy), "before the change the bug is silent: " + op);
    }
    throw new AssertionError(name + " changes no P2M entry");
  }

  @Test
  void theHypervisorRefusesChangesItCannotMakeOnEveryPlatform() throws Exception {
    Scenario scenario = scenario("26-p2m-balloon.yaml");
    GuestMachine probe = scenario.world().build();
    @Nullable String[] expected = {
      "is not one of the guest's",
      "only RAM is copied",
      "is outside the P2M's",
      "has no machine frame",
    };
    GuestOp[] refused = {
      new GuestOp.SetP2m(0, Addr.gfn(0x10), P2mType.RAM, Addr.mfn(probe.guestFrameLimit()), false),
      new GuestOp.SetP2m(0, Addr.gfn(0x10), P2mType.MMIO, Addr.mfn(P2m.INVALID_MFN), true),
      new GuestOp.SetP2m(0, Addr.gfn(probe.p2m().gfnCount()), P2mType.ABSENT, Addr.mfn(P2m.INVALID_MFN), false),
      new GuestOp.SetP2m(0, Addr.gfn(0x10), P2mType.ABSENT, Addr.mfn(0x10), false),
    };
    List<Platform> platforms = new ArrayList<>(everyEngine(() -> scenario.world().build()));
    platforms.add(new NativePlatform(scenario.world().build(), CPU));
    for (Platform platform : platforms) {
      long before = platform.guest().guestFingerprint();
      for (int i = 0; i < refused.length; i++) {
        OpResult result = platform.apply(refused[i]);
        assertEquals(OpResult.Status.INVALID, result.status(), platform.name() + ": " + refused[i]);
        assertTrue(result.detail().contains(String.valueOf(expected[i])), result.detail());
      }
      assertEquals(before, platform.guest().guestFingerprint(), platform.name() + ": a refused change changes nothing");
    }
  }
}
