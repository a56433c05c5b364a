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

  @Test
  void aNondeterministicHarnessIsReported() {
    assertThrows(
        NondeterministicHarnessException.class,
        () -> explore(new ToyModels.Forgetful(), Strategy.BFS, 3));
  }
}
