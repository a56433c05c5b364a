package org.shadowref.check.explore;

import java.io.PrintWriter;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How to explore.
 *
 * @param strategy breadth-first or depth-first
 * @param depthBound states at this many steps from an initial state are not expanded; -1 for no
 *     bound (the search ends when no new state is found)
 * @param maxStates stop (incomplete) after this many distinct states
 * @param maxViolations stop after this many violations; the first is reported with its trace
 * @param progress where to print a progress line every {@code progressSeconds}, or null
 * @param progressSeconds the interval between progress lines
 */
public record ExplorerOptions(
    Strategy strategy,
    int depthBound,
    long maxStates,
    int maxViolations,
    @Nullable PrintWriter progress,
    double progressSeconds) {

  public ExplorerOptions {
    if (depthBound < -1) {
      throw new IllegalArgumentException("depth bound must be -1 (none) or at least 0, got " + depthBound);
    }
    if (maxStates < 1 || maxViolations < 1) {
      throw new IllegalArgumentException("state and violation limits must be positive");
    }
  }

  /** Breadth-first, no bounds, stop at the first violation, silent. */
  public static ExplorerOptions defaults() {
    return new ExplorerOptions(Strategy.BFS, -1, Integer.MAX_VALUE - 1L, 1, null, 5.0);
  }

  public ExplorerOptions withStrategy(Strategy value) {
    return new ExplorerOptions(value, depthBound, maxStates, maxViolations, progress, progressSeconds);
  }

  public ExplorerOptions withDepthBound(int value) {
    return new ExplorerOptions(strategy, value, maxStates, maxViolations, progress, progressSeconds);
  }

  public ExplorerOptions withMaxStates(long value) {
    return new ExplorerOptions(strategy, depthBound, value, maxViolations, progress, progressSeconds);
  }

  public ExplorerOptions withMaxViolations(int value) {
    return new ExplorerOptions(strategy, depthBound, maxStates, value, progress, progressSeconds);
  }

  public ExplorerOptions withProgress(@Nullable PrintWriter out, double seconds) {
    return new ExplorerOptions(strategy, depthBound, maxStates, maxViolations, out, seconds);
  }
}
