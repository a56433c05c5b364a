package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.check.trace.Scenario;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.core.SeededBug;

/**
 * An example scenario run on native, on DEFAULT and on DEFAULT with a seeded bug: DEFAULT must give
 * native's result at every step and keep every invariant; the buggy engine's first different
 * result is what a test of the bug judges.
 *
 * @param step the first step where the buggy engine's result differs from native's (-1: none)
 * @param result the buggy engine's result there (null if none)
 */
record ExampleDivergence(int step, @Nullable OpResult result) {
  private static final SdmExecutor CPU = new SdmExecutor();
  private static final X86Emulator EMULATOR = new X86Emulator();

  static ExampleDivergence of(Scenario scenario, SeededBug bug) {
    NativePlatform reference = new NativePlatform(scenario.world().build(), CPU);
    OptimizedEngine correct = new OptimizedEngine(scenario.world().build(), OptimizedConfig.DEFAULT, CPU, EMULATOR);
    OptimizedEngine buggy = new OptimizedEngine(scenario.world().build(), OptimizedConfig.DEFAULT.withBug(bug), CPU, EMULATOR);
    List<GuestOp> ops = scenario.ops();
    ExampleDivergence first = new ExampleDivergence(-1, null);
    for (int i = 0; i < ops.size(); i++) {
      OpResult expected = reference.apply(ops.get(i));
      assertEquals(expected, correct.apply(ops.get(i)), "without the bug, step " + i);
      assertEquals(List.of(), InvariantRegistry.violations(correct), "without the bug, after step " + i);
      OpResult got = buggy.apply(ops.get(i));
      if (first.step < 0 && !got.equals(expected)) {
        first = new ExampleDivergence(i, got);
      }
    }
    return first;
  }
}
