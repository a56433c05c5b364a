package org.shadowref.check.explore;

import java.io.PrintWriter;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How to explore.
 *
 * @param strategy breadth-first or depth-first
 * @param depthBound states at this many steps from an initial state are not expanded; -1 for no
 *     bound (the search ends when no new state is found)
 * @param maxStates stop (incomplete) after this many distinct states, at most {@link #MAX_STATES}
 * @param maxViolations stop after this many violations; the first is reported with its trace
 * @param progress where to print a progress line every {@code progressSeconds}, or null
 * @param progressSeconds the interval between progress lines
 * @param threads how many threads search at once (see {@link Explorer}); the harness is then
 *     called from all of them, on distinct states
 */
public record ExplorerOptions(
    Strategy strategy,
    int depthBound,
    long maxStates,
    int maxViolations,
    @Nullable PrintWriter progress,
    double progressSeconds,
    int threads) {

  /** The most states one search can hold: state ids are ints and the table doubles as it grows. */
  public static final long MAX_STATES = 1L << 28;

  /** More threads than this would only contend for the table. */
  public static final int MAX_THREADS = 256;

  public ExplorerOptions {
    if (depthBound < -1) {
      throw new IllegalArgumentException("depth bound must be -1 (none) or at least 0, got " + depthBound);
    }
    if (maxStates < 1 || maxStates > MAX_STATES || maxViolations < 1) {
      throw new IllegalArgumentException(
          "the state limit must be within 1.." + MAX_STATES + " and the violation limit positive");
    }
    if (threads < 1 || threads > MAX_THREADS) {
      throw new IllegalArgumentException("the thread count must be within 1.." + MAX_THREADS + ", got " + threads);
    }
  }

  /** Breadth-first, no bounds, stop at the first violation, silent, one thread. */
  public static ExplorerOptions defaults() {
    return new ExplorerOptions(Strategy.BFS, -1, MAX_STATES, 1, null, 5.0, 1);
  }

  public ExplorerOptions withStrategy(Strategy value) {
    return new ExplorerOptions(value, depthBound, maxStates, maxViolations, progress, progressSeconds, threads);
  }

  public ExplorerOptions withDepthBound(int value) {
    return new ExplorerOptions(strategy, value, maxStates, maxViolations, progress, progressSeconds, threads);
  }

  public ExplorerOptions withMaxStates(long value) {
    return new ExplorerOptions(strategy, depthBound, value, maxViolations, progress, progressSeconds, threads);
  }

  public ExplorerOptions withMaxViolations(int value) {
    return new ExplorerOptions(strategy, depthBound, maxStates, value, progress, progressSeconds, threads);
  }

  public ExplorerOptions withThreads(int value) {
    return new ExplorerOptions(strategy, depthBound, maxStates, maxViolations, progress, progressSeconds, value);
  }

  public ExplorerOptions withProgress(@Nullable PrintWriter out, double seconds) {
    return new ExplorerOptions(strategy, depthBound, maxStates, maxViolations, out, seconds, threads);
  }
}
