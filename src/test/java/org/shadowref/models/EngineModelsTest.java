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
import org.shadowref.check.explore.HeldLevelsSearch;
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
  // Recorded in proofs/models.md (default bounds: every paging mode); the models must not silently
  // shrink. Each mode's labels are declared apart, so a mode that explored nothing fails the
  // coverage assertion below even where the total would hide it.
  private static final long SINGLE_FAULT_STATES = 157_988;
  private static final long SEQUENCES_STATES = 210_901;
  private static final long TWO_VCPUS_STATES = 83_720;
  /** TwoVcpus on the optimized engine, every mode, depth 4 (proofs/models.md). */
  private static final long TWO_VCPUS_OPTIMIZED_DEPTH_4_STATES = 16_934;

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

  private static ExplorationReport explore(String name, String args, int depth, Strategy strategy, int threads)
      throws Exception {
    Harness<?> harness = ModelFile.instantiate("org.shadowref.models." + name, ModelArgs.parse(args.split(",")), name);
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
  private <S> Trace assertCaught(Harness<S> harness, Harness<S> fixed, int depth, String property, int length,
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
    return trace;
  }

  @Test
  void singleFaultExploresCleanlyAtItsDefaultBounds() throws Exception {
    assertCleanAtDefaultBounds("SingleFault", SINGLE_FAULT_STATES);
  }

  /**
   * Two threads share the search and find the same states; breadth-first, the same transitions
   * too. Every mode at once (states of one mode overwrite discarded states of another), at bounds
   * below the files' to keep the four searches per model short.
   */
  @Test
  void twoThreadsFindTheSameStates() throws Exception {
    String[][] runs = {{"SingleFault", "mode=all,controls=none", "2"}, {"Sequences", "mode=all", "4"},
      {"TwoVcpus", "mode=all", "6"}};
    for (String[] run : runs) {
      String name = run[0];
      for (Strategy strategy : Strategy.values()) {
        ExplorationReport alone = explore(name, run[1], Integer.parseInt(run[2]), strategy, 1);
        ExplorationReport shared = explore(name, run[1], Integer.parseInt(run[2]), strategy, 2);
        assertTrue(shared.violations().isEmpty(), () -> String.valueOf(shared.firstViolation()));
        assertEquals(alone.states(), shared.states(), name + " " + strategy);
        if (strategy == Strategy.BFS) {
          assertEquals(alone.transitions(), shared.transitions(), name);
        }
      }
    }
  }

  /**
   * Breadth-first, the explorer rebuilds each state it expands by replaying recorded answers
   * (its levels keep no states): on the engine models it finds the same states and runs the same
   * transitions as a search that holds every state of its levels, with one thread or two.
   */
  @Test
  void levelsRebuiltByReplayFindWhatLevelsHoldingStatesFind() throws Exception {
    String[][] runs = {{"SingleFault", "mode=all,controls=none", "2"}, {"Sequences", "mode=all", "3"}};
    for (String[] run : runs) {
      String name = run[0];
      int depth = Integer.parseInt(run[2]);
      HeldLevelsSearch.Counts held = HeldLevelsSearch.search(
          ModelFile.instantiate("org.shadowref.models." + name, ModelArgs.parse(run[1].split(",")), name), depth);
      assertEquals(0, held.violations(), name);
      for (int threads : new int[] {1, 2}) {
        ExplorationReport report = explore(name, run[1], depth, Strategy.BFS, threads);
        assertTrue(report.violations().isEmpty(), () -> String.valueOf(report.firstViolation()));
        assertEquals(held.states(), report.states(), name + " threads " + threads);
        assertEquals(held.transitions(), report.transitions(), name + " threads " + threads);
        assertEquals(held.maxDepth(), report.maxDepth(), name + " threads " + threads);
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

  /**
   * Log-dirty mode missing the A bit the guest walk sets in a page table: log on, one access, and
   * the table frame changed unlogged.
   */
  @Test
  void sequencesCatchAnUnloggedAccessedBit() throws Exception {
    String args = "bug=walk-ad-not-logged";
    assertCaught(new Sequences(ModelArgs.parse(args)), new Sequences(ModelArgs.parse()), 3,
        EngineUniverse.INVARIANTS, 2, "Sequences", args);
  }

  /** A reference kept by an entry that stopped pointing at a shadow, with two vCPUs. */
  @Test
  void twoVcpusCatchALeakedReference() throws Exception {
    String args = "bug=leak-refcount";
    assertCaught(new TwoVcpus(ModelArgs.parse(args)), new TwoVcpus(ModelArgs.parse()), 6,
        EngineUniverse.INVARIANTS, TWO_VCPUS_LEAK_STEPS, "TwoVcpus", args);
  }

  /**
   * Raced walks, on the optimized engine: its handler run walks before the lock, and the other
   * vCPU steps in that window; every mode is clean at depth 4 and the window is reached in each.
   */
  @Test
  void twoVcpusOnTheOptimizedEngineExploreTheRaceWindowCleanly() throws Exception {
    ExplorationReport report = explore("TwoVcpus", "engine=optimized,mode=all", 4, Strategy.DFS, 1);
    assertTrue(report.violations().isEmpty(), () -> String.valueOf(report.firstViolation()));
    assertTrue(report.states() >= TWO_VCPUS_OPTIMIZED_DEPTH_4_STATES, "states: " + report.states());
    assertTrue(report.coverage().missed().isEmpty(), "never reached: " + report.coverage().missed());
  }

  /**
   * A walk made before the lock used unchecked: vCPU 0 faults on a load, vCPU 1 on a store to the
   * data page; vCPU 0 walks, and in its window vCPU 1's handler builds the shadows for the store
   * and sets the guest's D bit; vCPU 0's handler writes back its stale walk's A bit over it. No
   * operation has completed yet (the trace file would hold none): the guest already differs.
   */
  @Test
  void twoVcpusOnTheOptimizedEngineCatchARacedWalkNotRechecked() throws Exception {
    TwoVcpus buggy = new TwoVcpus(parse("engine=optimized,bug=raced-walk-not-rechecked"));
    Trace trace = Explorer.explore(buggy, ExplorerOptions.defaults().withDepthBound(4)).firstViolation();
    assertNotNull(trace, "the seeded fault went unnoticed");
    assertEquals(TwoVcpus.SAME_GUEST, trace.property());
    assertEquals(3, trace.length(), trace::render);
    assertTrue(trace.render().contains("before it takes the lock"), trace::render);
    TraceFile.Origin origin = trace.toFile("TwoVcpus", "engine=optimized,bug=raced-walk-not-rechecked").origin();
    assertNotNull(origin);
    assertEquals(TwoVcpus.SAME_GUEST, Replay.run(buggy, origin.choices()).property(), "the answers replay the violation");
    assertEquals("", Replay.run(new TwoVcpus(parse("engine=optimized")), origin.choices()).property(),
        "the correct engine passes the same steps");
  }

  /**
   * A walk checked by the version alone: a store to a table with no shadow reaches memory on the
   * hardware, in the window, and bumps nothing.
   */
  @Test
  void twoVcpusOnTheOptimizedEngineCatchARacedWalkTrustingTheVersion() throws Exception {
    String args = "engine=optimized,bug=raced-walk-trusts-version";
    assertCaught(new TwoVcpus(parse(args)), new TwoVcpus(parse("engine=optimized")), 4, TwoVcpus.SAME_GUEST, 3,
        "TwoVcpus", args);
  }

  /**
   * 2-on-3: a write of the data page's L1 entry (index 516, in the second frame of the L1's
   * shadow) revalidates only the first frame. Two steps in the 2on3 world: read the data page,
   * then {@code mov [edi], eax} unmapping it; the stale shadow still maps it. The 4-level world
   * alone cannot show it (one frame per shadow): its whole search passes with the bug on, which
   * is what the 32-bit modes add.
   */
  @Test
  void sequencesCatchAnUpperHalfLeftUnrevalidatedOnlyIn2on3() throws Exception {
    assertCaughtIn2on3Only(Sequences::new, "Sequences", "upper-half-not-revalidated", "", "", 5, 2);
  }

  /**
   * 2-on-3: the second PAE l1 of a 4 MiB page's splinter maps the first 2 MiB again. The data
   * page's directory entry made a 4 MiB page (PS, CR4.PSE on): the data page lies in its upper
   * 2 MiB, and two accesses reach the stale piece. 4-level large pages are never split in two
   * halves, and its search at the same bounds passes with the bug on.
   */
  @Test
  void singleFaultCatchesASplinterMappingItsFirstHalfTwiceIn2on3() throws Exception {
    assertCaughtIn2on3Only(SingleFault::new, "SingleFault", "splinter-second-half-maps-first", ",level=2,controls=none",
        ",level=2", 2, 2);
  }

  /**
   * 2-on-3: revalidation indexes the guest's 32-bit table with the shadow's 8-byte width, so the
   * write of entry 516 revalidates entry 258. Two vCPUs: four steps. 2-on-2 shadows have the
   * guest's width, and the 4-level world's search passes with the bug on.
   */
  @Test
  void twoVcpusCatchGuestEntriesIndexedWithTheShadowsWidthIn2on3() throws Exception {
    assertCaughtIn2on3Only(TwoVcpus::new, "TwoVcpus", "shadow-width-for-guest-entries", "", "", 7, 4);
  }

  /**
   * 3-on-3: the hardware's CR3 drops bits 11:5, so it walks the PDPT at offset 0 of the frame
   * (empty) instead of the guest's at 0x20. No result differs: the engine sees the retry would
   * fail and emulates every access. What shows is vacuity: the PAE world never completes an
   * access on the shadows, and since the labels are per mode the run names exactly that, while
   * the 4-level world's labels (which would otherwise have covered the same handler cases) stay
   * reached. The models claim of {@code shadowref check} fails on it.
   */
  @Test
  void aPaeCr3BugShowsAsPaeLabelsNeverReached() throws Exception {
    ExplorationReport report = Explorer.explore(new Sequences(parse("bug=pae-cr3-low-bits-dropped,mode=all")),
        ExplorerOptions.defaults().withStrategy(Strategy.DFS).withDepthBound(3));
    assertTrue(report.violations().isEmpty(), () -> String.valueOf(report.firstViolation()));
    java.util.List<String> missed = report.coverage().missed();
    assertTrue(missed.contains("pae: " + ObservedEngine.HARDWARE_DONE), missed::toString);
    for (String label : missed) {
      assertTrue(label.startsWith("pae: "), "only the PAE world misses labels: " + missed);
    }
    ExplorationReport fixed = Explorer.explore(new Sequences(parse("mode=pae")),
        ExplorerOptions.defaults().withStrategy(Strategy.DFS).withDepthBound(3));
    assertTrue(fixed.coverage().count("pae: " + ObservedEngine.HARDWARE_DONE) > 0,
        "without the bug the PAE world completes accesses on the shadows");
  }

  /**
   * With {@code bug} on, the model in every mode finds a violation of {@code length} steps in the
   * 2on3 world within {@code depth}, its trace replays, and the 4-level world alone at the same
   * bound passes: what the 32-bit modes add. {@code extra} narrows the model (",name=value..."),
   * {@code extraIn4Level} the 4-level run (which must still explore enough states to mean something).
   */
  private <S> void assertCaughtIn2on3Only(java.util.function.Function<ModelArgs, ? extends Harness<S>> model,
      String name, String bug, String extra, String extraIn4Level, int depth, int length) throws Exception {
    String args = "bug=" + bug + ",mode=all" + extra;
    Trace trace = assertCaught(model.apply(parse(args)), model.apply(parse("mode=all" + extra)), depth,
        EngineUniverse.INVARIANTS, length, name, args);
    assertTrue(trace.render().contains("world: 2on3"), trace::render);
    assertCleanIn4Level(model.apply(parse("bug=" + bug + ",mode=4level" + extraIn4Level)), depth);
  }

  private static ModelArgs parse(String args) {
    return ModelArgs.parse(args.split(","));
  }

  /** The harness's whole search at {@code depth}, depth-first, finds no violation. */
  private static void assertCleanIn4Level(Harness<?> harness, int depth) {
    ExplorationReport report = Explorer.explore(harness,
        ExplorerOptions.defaults().withStrategy(Strategy.DFS).withDepthBound(depth));
    assertTrue(report.violations().isEmpty(), () -> "4-level alone caught it: " + report.firstViolation());
    assertTrue(report.states() > 1000, "the 4-level search ran: " + report.states());
  }

  private static final int SEQUENCES_REVALIDATE_STEPS = 2;
  private static final int TWO_VCPUS_LEAK_STEPS = 4;
}
