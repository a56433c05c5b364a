package org.shadowref.check.explore;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What one exploration did and found.
 *
 * @param states distinct states reached (by fingerprint)
 * @param transitions steps executed, including those that led to states already seen
 * @param completedSteps steps the harness completed: not skipped (no operation enabled) and not
 *     ended by a violation. Zero means the search checked nothing: a vacuous run, which callers
 *     treat as a failure, never as "no errors"
 * @param maxDepth the largest number of steps from an initial state to a reached state, along
 *     the path the search recorded: the shortest path under breadth-first search and under any
 *     depth bound, the search path under unbounded depth-first search
 * @param unexpandedAtBound states at the depth bound whose successors were not explored
 * @param exhausted true when every state within the bound was expanded (no limit stopped the
 *     search early)
 * @param elapsedNanos wall-clock time of the search
 * @param peakHeapBytes the largest heap use sampled during the search
 * @param tableBytes the memory held by the table of seen states
 * @param levelBytes the most memory the breadth-first levels held at once (records of the
 *     states to expand and of their ancestors; no states)
 * @param coverage how often each coverage label was reached
 * @param violations violations found, each with a trace (shortest under breadth-first search)
 */
public record ExplorationReport(
    Strategy strategy,
    int depthBound,
    long states,
    long transitions,
    long completedSteps,
    int maxDepth,
    long unexpandedAtBound,
    boolean exhausted,
    long elapsedNanos,
    long peakHeapBytes,
    long tableBytes,
    long levelBytes,
    Coverage coverage,
    List<Trace> violations) {

  public ExplorationReport {
    violations = List.copyOf(violations);
  }

  /** True when the search completed no step at all: it checked nothing, whatever else it says. */
  public boolean vacuous() {
    return completedSteps == 0;
  }

  /**
   * What the search kept per state it visited: the table of seen states and the breadth-first
   * levels at their largest. The harness's own states on the paths being searched, and garbage,
   * are not in it (the peak heap is).
   */
  public long keptBytesPerState() {
    return states == 0 ? 0 : (tableBytes + levelBytes) / states;
  }

  public long statesPerSecond() {
    return elapsedNanos <= 0 ? states : (long) (states * 1e9 / elapsedNanos);
  }

  /** A short account: the counts on one line, then the first violation's trace if any. */
  public String describe() {
    String counts = "states=" + states + " transitions=" + transitions + " completed=" + completedSteps
        + " depth=" + maxDepth
        + " violations=" + violations.size() + " states_per_s=" + statesPerSecond()
        + " complete=" + (exhausted && unexpandedAtBound == 0)
        + " coverage=" + coverage.reached() + "/" + coverage.labels().size();
    Trace first = firstViolation();
    return first == null ? counts : counts + "\n" + first.render();
  }

  public @Nullable Trace firstViolation() {
    return violations.isEmpty() ? null : violations.get(0);
  }
}
