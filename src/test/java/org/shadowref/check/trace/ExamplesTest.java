package org.shadowref.check.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.SideBySide;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/** Every scenario in examples/ parses, and native meets every expectation it states. */
class ExamplesTest {
  private static final Path EXAMPLES = Path.of("examples");

  /** Native runs instructions on the independent oracle; the engine on the hypervisor's emulator. */
  private static final InstructionExecutor CPU = new SdmExecutor();
  private static final InstructionExecutor EMULATOR = new X86Emulator();

  static List<Path> exampleFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> listing = Files.list(EXAMPLES)) {
      listing.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(files::add);
    }
    return files;
  }

  @TestFactory
  Stream<DynamicTest> shadowEnginesAgreeWithNativeOnEveryExample() throws IOException {
    PlatformSet platforms = PlatformSet.nativeOnly(CPU)
        .with("reference",
            world -> new ReferenceEngine(world.build(), ReferenceEngine.Config.DEFAULT, CPU, EMULATOR))
        .with("optimized",
            world -> new OptimizedEngine(world.build(), OptimizedConfig.DEFAULT, CPU, EMULATOR));
    return exampleFiles().stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
      Scenario scenario = ScenarioReader.read(file);
      SideBySide.Run run = SideBySide.run(platforms, scenario.world(), scenario.ops(), scenario.expectations());
      for (SideBySide.Step step : run.steps()) {
        assertEquals(null, step.disagreement(), file + " step " + step.index() + " (" + step.op() + ")");
      }
    }));
  }

  @TestFactory
  Stream<DynamicTest> everyExampleMeetsItsExpectationsOnNative() throws IOException {
    return exampleFiles().stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
      Scenario scenario = ScenarioReader.read(file);
      SideBySide.Run run = SideBySide.run(PlatformSet.nativeOnly(CPU), scenario.world(),
          scenario.ops(), scenario.expectations());
      for (SideBySide.Step step : run.steps()) {
        assertTrue(step.expectationMet(), file + " step " + step.index() + " (" + step.op() + "): expected "
            + step.expectation() + ", native gave " + step.results().get(0));
      }
    }));
  }

  @Test
  void examplesCoverDistinctHandlerCases() throws Exception {
    Set<String> cases = new HashSet<>();
    for (Path file : exampleFiles()) {
      Scenario scenario = ScenarioReader.read(file);
      assertTrue(cases.add(scenario.handlerCase()), "two examples claim case " + scenario.handlerCase());
      assertTrue(file.getFileName().toString().contains(scenario.name()), file + " is named after its scenario");
    }
    assertTrue(cases.size() >= 17, "cases: " + cases);
  }

  @Test
  void badFilesAreRejectedNamingFileLineAndField() {
    String yaml = String.join("\n",
        "format: shadowref-scenario",
        "version: 1",
        "name: broken",
        "case: broken",
        "guest:",
        "  mode: 4level",
        "  mappings:",
        "    - {va: 0x1000, gpa: 0x2000, flags: [P, RW, XX]}",
        "steps: []");
    TraceFormatException e = org.junit.jupiter.api.Assertions.assertThrows(TraceFormatException.class,
        () -> ScenarioReader.read(yaml, "broken.yaml", true));
    assertEquals("broken.yaml:8:48: guest.mappings[0].flags[2]: unknown flags flag \"XX\" "
        + "(expected P, RW, US, PWT, PCD, A, D, PS, G, PAT or NX)", e.getMessage());

    String badStep = yaml.replace("XX", "US").replace("steps: []", "steps:\n  - {op: access, vcpu: 0, va: 1, kind: peek, user: true}");
    e = org.junit.jupiter.api.Assertions.assertThrows(TraceFormatException.class,
        () -> ScenarioReader.read(badStep, "s.yaml", true));
    assertTrue(e.getMessage().startsWith("s.yaml:10:"), e.getMessage());
    assertTrue(e.getMessage().contains("steps[0].kind: unknown access kind \"peek\""), e.getMessage());

    e = org.junit.jupiter.api.Assertions.assertThrows(TraceFormatException.class,
        () -> ScenarioReader.read("format: [unclosed", "x.yaml", true));
    assertTrue(e.getMessage().startsWith("x.yaml:"), e.getMessage());
  }

  /** The optimized engine's fast paths are really exercised by the examples that document them. */
  @Test
  void theFastPathAndPrefetchExamplesExerciseTheOptimizedEngine() throws Exception {
    OptimizedEngine fast = runOptimized("20-magic-fast-path.yaml");
    assertTrue(fast.counters().fastNotPresent() >= 2, "repeated not-present faults answered by magic entries");
    assertTrue(fast.counters().fastMmio() >= 1, "a repeated device access answered by an MMIO magic entry");
    OptimizedEngine prefetching = runOptimized("21-prefetch.yaml");
    assertTrue(prefetching.counters().prefetched() >= 1, "neighbouring entries propagated on the first fault");
    assertTrue(prefetching.counters().handlerRuns() < 4, "fewer handler runs than first touches: " + prefetching.counters().handlerRuns() + " runs, " + prefetching.counters().prefetched() + " prefetched");
  }

  /** Xen's early unshadow acts on the teardown example, and the table it unshadows is the live top. */
  @Test
  void theTeardownExampleUnshadowsEarly() throws Exception {
    OptimizedEngine engine = runOptimized("29-early-unshadow.yaml");
    assertTrue(engine.counters().earlyUnshadows() >= 1, "a table torn down was unshadowed early");
    Scenario scenario = ScenarioReader.read(EXAMPLES.resolve("29-early-unshadow.yaml"));
    OptimizedEngine without = new OptimizedEngine(scenario.world().build(),
        OptimizedConfig.PRODUCTION.toBuilder().earlyUnshadow(false).build(), CPU, EMULATOR);
    for (org.shadowref.shadow.GuestOp op : scenario.ops()) {
      without.apply(op);
    }
    assertEquals(0, without.counters().earlyUnshadows(), "switched off, it never acts");
  }

  /**
   * KVM's write-flooding detection acts on the flooding example, and only when switched on. In
   * DEFAULT: with out-of-sync shadows (PRODUCTION) the table goes out of sync at its second store
   * and the third runs on the hardware, so nothing floods.
   */
  @Test
  void theFloodingExampleGivesUpTheTable() throws Exception {
    Scenario scenario = ScenarioReader.read(EXAMPLES.resolve("30-write-flooding.yaml"));
    OptimizedEngine with = new OptimizedEngine(scenario.world().build(), OptimizedConfig.DEFAULT, CPU, EMULATOR);
    OptimizedEngine without = new OptimizedEngine(scenario.world().build(),
        OptimizedConfig.DEFAULT.toBuilder().writeFlooding(false).build(), CPU, EMULATOR);
    for (org.shadowref.shadow.GuestOp op : scenario.ops()) {
      with.apply(op);
      without.apply(op);
    }
    assertTrue(with.counters().floodedTables() >= 1, "the table written three times was given up");
    assertEquals(0, without.counters().floodedTables(), "switched off, it never acts");
  }

  /**
   * KVM's cache of previous roots acts on the address-space example, and only when switched on:
   * with pins off (which would keep the tops too), the two switches back run on the tops left
   * behind, and their first accesses take no fault.
   */
  @Test
  void theAddressSpaceExampleRunsOnPreviousRoots() throws Exception {
    Scenario scenario = ScenarioReader.read(EXAMPLES.resolve("32-previous-roots.yaml"));
    OptimizedConfig noPins = OptimizedConfig.PRODUCTION.toBuilder().pinTops(false).build();
    OptimizedEngine with = new OptimizedEngine(scenario.world().build(), noPins, CPU, EMULATOR);
    OptimizedEngine without = new OptimizedEngine(scenario.world().build(),
        noPins.toBuilder().previousRoots(false).build(), CPU, EMULATOR);
    for (org.shadowref.shadow.GuestOp op : scenario.ops()) {
      with.apply(op);
      without.apply(op);
    }
    assertEquals(2, with.counters().reusedRoots(), "the two switches back ran on kept tops");
    assertEquals(without.counters().handlerRuns() - 2, with.counters().handlerRuns(), "and took no fault to rebuild them");
    assertEquals(0, without.counters().reusedRoots(), "switched off, it never acts");
  }

  private static OptimizedEngine runOptimized(String name) throws Exception {
    Scenario scenario = ScenarioReader.read(EXAMPLES.resolve(name));
    OptimizedEngine engine = new OptimizedEngine(scenario.world().build(), OptimizedConfig.PRODUCTION, CPU, EMULATOR);
    for (org.shadowref.shadow.GuestOp op : scenario.ops()) {
      engine.apply(op);
    }
    return engine;
  }
}
