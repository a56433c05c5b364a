package org.shadowref.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.explore.ExplorationReport;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.Harness;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.explore.ModelFile;
import org.shadowref.check.explore.Replay;
import org.shadowref.check.explore.Strategy;
import org.shadowref.check.explore.Trace;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceReader;
import org.shadowref.check.trace.TraceWriter;

/**
 * The three engine models. At the bounds of their {@code .jpf} files each explores the correct
 * engine without a violation, reaches every handler case it declares, and finds at least the
 * states recorded in proofs/models.md (depth-first, which finds the same states as breadth-first
 * under a depth bound with less memory). Each catches a seeded engine fault breadth-first with a
 * shortest trace, written as a trace file that reads back, replays inside the model to the same
 * violation, and runs cleanly on the correct platforms ({@code shadowref replay}).
 */
class EngineModelsTest {
  // Recorded in proofs/models.md (default bounds); the models must not silently shrink.
  private static final long SINGLE_FAULT_STATES = 54_176;
  private static final long SEQUENCES_STATES = 5_959;
  private static final long TWO_VCPUS_STATES = 23_163;

  @TempDir Path temp;

  /** Explores the model file's harness at the file's bounds. */
  private static ExplorationReport exploreFile(String name, Strategy strategy) throws Exception {
    return exploreFile(name, strategy, 1);
  }

  private static ExplorationReport exploreFile(String name, Strategy strategy, int threads) throws Exception {
    ModelFile model = ModelFile.read(Path.of("models", name + ".jpf"));
    ModelArgs args = model.args();
    int depth = args.intValue("depth", -1, -1, 1000);
    Harness<?> harness = ModelFile.instantiate(model.target(), args, name);
    return Explorer.explore(harness, ExplorerOptions.defaults()
        .withStrategy(strategy).withDepthBound(depth).withThreads(threads));
  }

  private static void assertCleanAtDefaultBounds(String name, long minimumStates) throws Exception {
    ExplorationReport report = exploreFile(name, Strategy.DFS);
    assertTrue(report.violations().isEmpty(), () -> String.valueOf(report.firstViolation()));
    assertTrue(report.states() >= minimumStates, name + " states: " + report.states());
    assertTrue(report.coverage().missed().isEmpty(), name + " never reached: " + report.coverage().missed());
  }

  /**
   * The harness, breadth-first, reports {@code property} with a trace of {@code length} steps
   * after the initial state; the trace file replays.
   */
  private <S> void assertCaught(Harness<S> harness, Harness<S> fixed, int depth, String property, int length,
      String model, String args) throws Exception {
    ExplorationReport report = Explorer.explore(harness, ExplorerOptions.defaults().withDepthBound(depth));
    Trace trace = report.firstViolation();
    assertNotNull(trace, "the seeded fault went unnoticed");
    assertEquals(property, trace.property());
    assertEquals(length, trace.length(), () -> "not the shortest trace:\n" + trace.render());
    Trace shared = Explorer.explore(harness, ExplorerOptions.defaults().withDepthBound(depth).withThreads(2)).firstViolation();
    assertNotNull(shared, "two threads missed the seeded fault");
    assertEquals(property, shared.property());
    assertEquals(length, shared.length(), () -> "two threads: not the shortest trace:\n" + shared.render());

    Path path = temp.resolve(model + ".trace.json");
    Files.writeString(path, TraceWriter.toJson(trace.toFile(model, args)));
    TraceFile file = TraceReader.read(path);
    assertNotNull(file.world(), "the trace file carries its world");
    assertFalse(file.ops().isEmpty(), "the trace file holds the operations");
    TraceFile.Origin origin = file.origin();
    assertNotNull(origin);
    assertEquals(property, Replay.run(harness, origin.choices()).property(), "the answers replay the violation");
    assertEquals("", Replay.run(fixed, origin.choices()).property(), "the correct engine passes the same steps");
    assertNull(Differential.check(StandardPlatforms.all(), file.world(), file.ops()),
        "the trace's operations run cleanly on the correct platforms");
  }

  @Test
  void singleFaultExploresCleanlyAtItsDefaultBounds() throws Exception {
    assertCleanAtDefaultBounds("SingleFault", SINGLE_FAULT_STATES);
  }

  /** Two threads share the search and find the same states; breadth-first, the same transitions too. */
  @Test
  void twoThreadsFindTheSameStates() throws Exception {
    for (String name : new String[] {"SingleFault", "Sequences", "TwoVcpus"}) {
      for (Strategy strategy : Strategy.values()) {
        ExplorationReport alone = exploreFile(name, strategy, 1);
        ExplorationReport shared = exploreFile(name, strategy, 2);
        assertTrue(shared.violations().isEmpty(), () -> String.valueOf(shared.firstViolation()));
        assertEquals(alone.states(), shared.states(), name + " " + strategy);
        if (strategy == Strategy.BFS) {
          assertEquals(alone.transitions(), shared.transitions(), name);
        }
      }
    }
  }

  @Test
  void sequencesExploreCleanlyAtTheirDefaultBounds() throws Exception {
    assertCleanAtDefaultBounds("Sequences", SEQUENCES_STATES);
  }

  @Test
  void twoVcpusExploreCleanlyAtTheirDefaultBounds() throws Exception {
    assertCleanAtDefaultBounds("TwoVcpus", TWO_VCPUS_STATES);
  }

  /** Page tables left writable: the first access that builds an L1 shadow maps the table writable. */
  @Test
  void singleFaultCatchesWritablePageTables() throws Exception {
    String args = "bug=skip-write-protect";
    assertCaught(new SingleFault(ModelArgs.parse(args)), new SingleFault(ModelArgs.parse()), 2,
        EngineUniverse.INVARIANTS, 1, "SingleFault", args);
  }

  /** An emulated page-table write not revalidated: the shadow keeps the old translation. */
  @Test
  void sequencesCatchAMissingRevalidation() throws Exception {
    String args = "bug=skip-revalidate";
    assertCaught(new Sequences(ModelArgs.parse(args)), new Sequences(ModelArgs.parse()), 6,
        EngineUniverse.INVARIANTS, SEQUENCES_REVALIDATE_STEPS, "Sequences", args);
  }

  /** A reference kept by an entry that stopped pointing at a shadow, with two vCPUs. */
  @Test
  void twoVcpusCatchALeakedReference() throws Exception {
    String args = "bug=leak-refcount";
    assertCaught(new TwoVcpus(ModelArgs.parse(args)), new TwoVcpus(ModelArgs.parse()), 6,
        EngineUniverse.INVARIANTS, TWO_VCPUS_LEAK_STEPS, "TwoVcpus", args);
  }

  private static final int SEQUENCES_REVALIDATE_STEPS = 2;
  private static final int TWO_VCPUS_LEAK_STEPS = 4;
}
