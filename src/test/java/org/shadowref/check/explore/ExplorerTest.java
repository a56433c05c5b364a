package org.shadowref.check.explore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExplorerTest {
  private static ExplorationReport explore(Harness<int[]> harness, Strategy strategy, int depth) {
    return Explorer.explore(harness, ExplorerOptions.defaults().withStrategy(strategy).withDepthBound(depth));
  }

  @Test
  void breadthFirstFindsEveryCounterValueOnce() {
    ExplorationReport report = explore(new ToyModels.Counter(100, 1), Strategy.BFS, -1);
    assertEquals(100, report.states());
    // Every state is expanded once, with two transitions each.
    assertEquals(200, report.transitions());
    // 99 is 50 steps from 0 (49 times +2, once +1).
    assertEquals(50, report.maxDepth());
    assertTrue(report.exhausted());
    assertTrue(report.violations().isEmpty());
    assertTrue(report.describe().startsWith("states=100 transitions=200 completed=200 depth=50 violations=0 "),
        report.describe());
    assertFalse(report.vacuous());
  }

  /** A model whose steps are all skipped explores one state and checks nothing: the report says it is vacuous. */
  @Test
  void aSearchThatCompletesNoStepIsVacuous() {
    ExplorationReport report = explore(new ToyModels.Stuck(), Strategy.DFS, -1);
    assertEquals(1, report.states());
    assertEquals(2, report.transitions());
    assertEquals(0, report.completedSteps());
    assertTrue(report.vacuous() && report.violations().isEmpty());
  }

  @Test
  void depthFirstFindsTheSameStates() {
    ExplorationReport bfs = explore(new ToyModels.Counter(100, 1), Strategy.BFS, -1);
    ExplorationReport dfs = explore(new ToyModels.Counter(100, 1), Strategy.DFS, -1);
    assertEquals(bfs.states(), dfs.states());
  }

  @Test
  void aDepthBoundLimitsBothStrategiesToTheSameStates() {
    // Within 3 steps of 0 by +1/+2: 0..6. Depth-first reaches 3 first at depth 3 (+1,+1,+1) and
    // must re-expand it when it finds it again at depth 2 (+1,+2), or it would miss 5 and 6.
    for (Strategy strategy : Strategy.values()) {
      ExplorationReport report = explore(new ToyModels.Counter(100, 1), strategy, 3);
      assertEquals(7, report.states(), strategy.name());
      assertEquals(3, report.maxDepth(), strategy.name());
      assertEquals(2, report.unexpandedAtBound(), strategy + ": 5 and 6 lie on the bound");
    }
  }

  @Test
  void everyOutcomeOfTheInitialChoicesIsAnInitialState() {
    ExplorationReport report = explore(new ToyModels.Counter(100, 3), Strategy.BFS, 0);
    assertEquals(3, report.states());
    assertEquals(0, report.transitions());
  }

  @Test
  void dependentChoicesAndSkipsEnumerateExactlyTheQueueStates() {
    // Bit strings of length 0..4: 1 + 2 + 4 + 8 + 16.
    for (Strategy strategy : Strategy.values()) {
      ExplorationReport report = explore(new ToyModels.BitQueue(4, false), strategy, -1);
      assertEquals(31, report.states(), strategy.name());
    }
    assertEquals(4, explore(new ToyModels.BitQueue(4, false), Strategy.BFS, -1).maxDepth());
  }

  @Test
  void coverageCountsEachLabelAndShowsTheOnesNeverReached() {
    ExplorationReport report = explore(new ToyModels.Counter(10, 1), Strategy.BFS, -1);
    assertEquals(List.of("plus1", "plus2", "never"), report.coverage().labels());
    assertEquals(10, report.coverage().count("plus1"));
    assertEquals(10, report.coverage().count("plus2"));
    assertEquals(List.of("never"), report.coverage().missed());
    assertEquals(2, report.coverage().reached());
  }

  @Test
  void breadthFirstReportsTheShortestTrace() {
    ExplorationReport report = explore(new ToyModels.BitQueue(4, true), Strategy.BFS, -1);
    Trace trace = report.firstViolation();
    assertNotNull(trace);
    assertEquals("no three ones", trace.property());
    assertEquals(3, trace.length());
    assertEquals(4, trace.steps().size());
    assertArrayEquals(new int[0], trace.steps().get(0).choices());
    for (int step = 1; step <= 3; step++) {
      assertArrayEquals(new int[] {1, 1}, trace.steps().get(step).choices(), "enqueue a one");
      assertEquals(List.of("enqueue 1"), trace.steps().get(step).notes());
    }
    assertFalse(report.exhausted(), "the search stops at the first violation");
    assertTrue(trace.render().contains("violation: no three ones"));
  }

  @Test
  void depthFirstReportsAViolationToo() {
    ExplorationReport report = explore(new ToyModels.BitQueue(4, true), Strategy.DFS, -1);
    Trace trace = report.firstViolation();
    assertNotNull(trace);
    assertTrue(trace.length() >= 3);
  }

  @Test
  void moreViolationsCanBeCollected() {
    ExplorationReport report =
        Explorer.explore(new ToyModels.BitQueue(4, true), ExplorerOptions.defaults().withMaxViolations(100));
    // 111x (2), x111 (2) and 1111 counted once: 4 + 1 - 1 at length 4, plus 111 itself. Violating
    // states are not expanded, so 111 hides its extensions: 111 and 0111 are the only ones.
    assertEquals(2, report.violations().size());
    assertTrue(report.exhausted());
  }

  @Test
  void aStateLimitStopsTheSearchIncomplete() {
    ExplorationReport report =
        Explorer.explore(new ToyModels.Counter(1000, 1), ExplorerOptions.defaults().withMaxStates(10));
    assertEquals(10, report.states());
    assertFalse(report.exhausted());
  }

  private static ExplorationReport explore(Harness<int[]> harness, Strategy strategy, int depth, int threads) {
    return Explorer.explore(harness, ExplorerOptions.defaults()
        .withStrategy(strategy).withDepthBound(depth).withThreads(threads));
  }

  /**
   * Models that exercise each way the work is shared: many initial states (handed out one by one
   * to depth-first threads), one initial state whose levels widen past the split width (expanded
   * breadth-first, then split), and a narrow one that never widens.
   */
  private static List<Harness<int[]>> sharedWorkModels() {
    return List.of(new ToyModels.Counter(5_000, 500), new ToyModels.BitQueue(9, false), new ToyModels.Counter(100, 1));
  }

  @Test
  void severalThreadsFindExactlyTheStatesOneThreadFinds() {
    for (Harness<int[]> model : sharedWorkModels()) {
      for (Strategy strategy : Strategy.values()) {
        for (int depth : new int[] {-1, 5}) {
          ExplorationReport alone = explore(model, strategy, depth, 1);
          for (int threads : new int[] {2, 3}) {
            String what = model.getClass().getSimpleName() + " " + strategy + " depth " + depth + " threads " + threads;
            ExplorationReport shared = explore(model, strategy, depth, threads);
            assertEquals(alone.states(), shared.states(), what);
            assertEquals(alone.unexpandedAtBound(), shared.unexpandedAtBound(), what);
            if (strategy == Strategy.BFS || depth >= 0) {
              // Unbounded depth-first search reports its search path's depth, which depends on the order.
              assertEquals(alone.maxDepth(), shared.maxDepth(), what);
            }
            assertTrue(shared.exhausted(), what);
            if (strategy == Strategy.BFS) {
              // Each state is expanded exactly once breadth-first, whoever expands it.
              assertEquals(alone.transitions(), shared.transitions(), what);
              for (String label : alone.coverage().labels()) {
                assertEquals(alone.coverage().count(label), shared.coverage().count(label), what + " " + label);
              }
            }
          }
        }
      }
    }
    // 500 starts, each reaching up to 10 more within 5 steps of +1/+2.
    assertEquals(510, explore(new ToyModels.Counter(5_000, 500), Strategy.DFS, 5, 2).states());
    assertEquals(1023, explore(new ToyModels.BitQueue(9, false), Strategy.DFS, -1, 2).states());
  }

  @Test
  void severalThreadsStillReportTheShortestTrace() {
    ExplorationReport report = explore(new ToyModels.BitQueue(4, true), Strategy.BFS, -1, 2);
    Trace trace = report.firstViolation();
    assertNotNull(trace);
    assertEquals("no three ones", trace.property());
    assertEquals(3, trace.length());
    assertFalse(report.exhausted());
    ExplorationReport depthFirst = explore(new ToyModels.BitQueue(9, true), Strategy.DFS, -1, 2);
    assertNotNull(depthFirst.firstViolation());
    assertEquals("no three ones", depthFirst.firstViolation().property());
  }

  @Test
  void aThreadsFailureReachesTheCaller() {
    Harness<int[]> failing = new ToyModels.Counter(5_000, 500) {
      @Override
      public void step(int[] state, Choices choices, Events events) {
        super.step(state, choices, events);
        if (state[0] == 321) {
          throw new IllegalStateException("harness bug at 321");
        }
      }
    };
    for (Strategy strategy : Strategy.values()) {
      IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> explore(failing, strategy, 3, 2));
      assertEquals("harness bug at 321", thrown.getMessage());
    }
  }

  @Test
  void theThreadCountIsChecked() {
    assertThrows(IllegalArgumentException.class, () -> ExplorerOptions.defaults().withThreads(0));
    assertThrows(IllegalArgumentException.class, () -> ExplorerOptions.defaults().withThreads(ExplorerOptions.MAX_THREADS + 1));
  }

  /**
   * Breadth-first levels keep answers, not states, and the explorer rebuilds each state it expands
   * by replaying them: it must find exactly what a search holding whole states finds, the same
   * states, transitions and depth, with one thread or several, bounded or not.
   */
  @Test
  void levelsRebuiltByReplayFindWhatLevelsHoldingStatesFind() {
    List<Harness<int[]>> models = List.of(new ToyModels.Counter(5_000, 500), new ToyModels.BitQueue(9, false),
        new ToyModels.Counter(100, 1), new ToyModels.Counter(3_000, 1));
    for (Harness<int[]> model : models) {
      for (int depth : new int[] {-1, 0, 1, 5}) {
        HeldLevelsSearch.Counts held = HeldLevelsSearch.search(model, depth);
        for (int threads : new int[] {1, 2}) {
          String what = model.getClass().getSimpleName() + " depth " + depth + " threads " + threads;
          ExplorationReport report = explore(model, Strategy.BFS, depth, threads);
          assertEquals(held.states(), report.states(), what);
          assertEquals(held.transitions(), report.transitions(), what);
          assertEquals(held.maxDepth(), report.maxDepth(), what);
          assertTrue(report.violations().isEmpty() && held.violations() == 0, what);
        }
      }
    }
    // Unbounded, the 3,000-counter is 1,500 levels deep, each rebuilt from the one before.
    assertEquals(1_500, explore(new ToyModels.Counter(3_000, 1), Strategy.BFS, -1).maxDepth());
  }

  /** A harness that asks a question more when a state is rebuilt than when it was found is caught at the rebuild. */
  @Test
  void aStateThatDoesNotRebuildAsFoundIsReported() {
    Harness<int[]> amnesiac = new ToyModels.Counter(100, 1) {
      private int steps;

      @Override
      public void step(int[] state, Choices choices, Events events) {
        super.step(state, choices, events);
        // The root's two transitions find 1 and 2; rebuilding 1 is the third step.
        if (++steps > 2) {
          choices.chooseBoolean();
        }
      }
    };
    NondeterministicHarnessException thrown = assertThrows(
        NondeterministicHarnessException.class, () -> explore(amnesiac, Strategy.BFS, 3));
    assertTrue(thrown.getMessage().startsWith("rebuilding a state, the harness asked more choices"), thrown.getMessage());
  }

  @Test
  void aNondeterministicHarnessIsReported() {
    assertThrows(
        NondeterministicHarnessException.class,
        () -> explore(new ToyModels.Forgetful(), Strategy.BFS, 3));
  }
}
