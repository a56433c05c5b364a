package org.shadowref.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.shadowref.check.explore.ExplorationReport;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.Harness;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.explore.Trace;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceReader;
import org.shadowref.check.trace.TraceWriter;

/**
 * The three engine models: each explores the correct engine cleanly with at least the states
 * recorded in proofs/models.md (at the tests' bounds, smaller than the CLI defaults), and each
 * catches a seeded engine fault with a trace whose file reads back.
 */
class EngineModelsTest {
  private static <S> ExplorationReport explore(Harness<S> harness, int depth) {
    return Explorer.explore(harness, ExplorerOptions.defaults().withDepthBound(depth));
  }

  private static void assertClean(ExplorationReport report, long minimumStates) {
    assertTrue(report.violations().isEmpty(), () -> String.valueOf(report.firstViolation()));
    assertTrue(report.states() >= minimumStates, "states: " + report.states());
    assertTrue(report.coverage().missed().isEmpty(), "never reached: " + report.coverage().missed());
  }

  /** The explorer reports {@code property} with a trace, and the trace file reads back. */
  private static void assertCaught(ExplorationReport report, String property, String model, String args) throws Exception {
    Trace trace = report.firstViolation();
    assertNotNull(trace, "the seeded fault went unnoticed");
    assertEquals(property, trace.property());
    assertTrue(trace.length() >= 1);
    String json = TraceWriter.toJson(trace.toFile(model, args));
    TraceFile file = TraceReader.read(json, "trace");
    assertNotNull(file.world(), "the trace file carries its world");
    assertFalse(file.ops().isEmpty(), "the trace file holds the operations");
    assertEquals(json, TraceWriter.toJson(file), "the trace file round-trips");
  }

  @Test
  void singleFaultExploresCleanly() {
    ExplorationReport report = explore(new SingleFault(ModelArgs.parse("level=1", "controls=none")), 1);
    assertTrue(report.violations().isEmpty(), () -> String.valueOf(report.firstViolation()));
    assertTrue(report.states() >= SINGLE_FAULT_STATES, "states: " + report.states());
    // With CR0.WP always on, only the emulation of what the shadows cannot express stays unreached.
    assertTrue(report.coverage().missed().size() <= 2, "never reached: " + report.coverage().missed());
  }

  @Test
  void singleFaultCatchesWritablePageTables() throws Exception {
    String args = "level=1,controls=none,bug=skip-write-protect";
    ExplorationReport report = explore(new SingleFault(ModelArgs.parse(args.split(","))), 1);
    assertCaught(report, EngineUniverse.INVARIANTS, "SingleFault", args);
  }

  @Test
  void sequencesExploreCleanly() {
    assertClean(explore(new Sequences(ModelArgs.parse()), 4), SEQUENCES_STATES);
  }

  @Test
  void sequencesCatchAMissingRevalidation() throws Exception {
    String args = "bug=skip-revalidate";
    assertCaught(explore(new Sequences(ModelArgs.parse(args)), 3), EngineUniverse.INVARIANTS, "Sequences", args);
  }

  @Test
  void twoVcpusExploreCleanly() {
    ExplorationReport report = explore(new TwoVcpus(ModelArgs.parse()), 4);
    assertTrue(report.violations().isEmpty(), () -> String.valueOf(report.firstViolation()));
    assertTrue(report.states() >= TWO_VCPUS_STATES, "states: " + report.states());
  }

  @Test
  void twoVcpusCatchALeakedReference() throws Exception {
    String args = "bug=leak-refcount";
    assertCaught(explore(new TwoVcpus(ModelArgs.parse(args)), 4), EngineUniverse.INVARIANTS, "TwoVcpus", args);
  }

  // Recorded in proofs/models.md; the models must not silently shrink.
  private static final long SINGLE_FAULT_STATES = 1_808;
  private static final long SEQUENCES_STATES = 99;
  private static final long TWO_VCPUS_STATES = 611;
}
