package org.shadowref.check.explore;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.trace.World;

/**
 * Explicit-state search over a {@link Harness}: every state reachable through the harness's
 * choices (within a depth bound) is visited once, matched on its 128-bit {@link Fingerprint}, and
 * checked. One transition is one run of {@link Harness#step} on a copy of the source state, with
 * one sequence of answers from a {@link ChoiceOdometer}; the states themselves are kept only on
 * the frontier (breadth-first) or the current path (depth-first), while the table of seen states
 * keeps 28 bytes per state. A violation's trace is rebuilt afterwards by replaying the recorded
 * transition indices from an initial state.
 *
 * <p>With a depth bound, depth-first search re-expands a state it reaches again by a shorter
 * path, so both strategies find exactly the states within the bound.
 *
 * @param <S> the harness's state
 */
public final class Explorer<S> {
  private static final int PROGRESS_CHECK_MASK = 0xFFF;

  private final Harness<S> harness;
  private final ExplorerOptions options;
  private final StateTable table = new StateTable();
  private final Fingerprint fingerprint = new Fingerprint();
  private final Coverage coverage;
  private final SearchEvents events;
  private final List<Trace> violations = new ArrayList<>();

  private long transitions;
  private int maxDepth;
  private long unexpandedAtBound;
  private boolean stopped;
  private long startNanos;
  private long nextProgressNanos;
  private long peakHeap;
  /** A state no longer needed, to be overwritten by the next copy. */
  private @Nullable S spare;

  private Explorer(Harness<S> harness, ExplorerOptions options) {
    this.harness = harness;
    this.options = options;
    this.coverage = new Coverage(harness.coverageLabels());
    this.events = new SearchEvents(coverage, false);
  }

  /** Explores {@code harness} as {@code options} say. */
  public static <S> ExplorationReport explore(Harness<S> harness, ExplorerOptions options) {
    return new Explorer<>(harness, options).run();
  }

  private ExplorationReport run() {
    startNanos = System.nanoTime();
    nextProgressNanos = startNanos + (long) (options.progressSeconds() * 1e9);
    if (options.strategy() == Strategy.BFS) {
      breadthFirst();
    } else {
      depthFirst();
    }
    long elapsed = System.nanoTime() - startNanos;
    sampleHeap();
    // Depths are final only now: depth-first search may have found shorter paths late.
    for (int id = 0; id < table.size(); id++) {
      maxDepth = Math.max(maxDepth, table.depth(id));
      if (!expandable(table.depth(id))) {
        unexpandedAtBound++;
      }
    }
    return new ExplorationReport(
        options.strategy(),
        options.depthBound(),
        table.size(),
        transitions,
        maxDepth,
        unexpandedAtBound,
        !stopped,
        elapsed,
        peakHeap,
        table.footprintBytes(),
        coverage,
        violations);
  }

  // ---- breadth-first ----

  private void breadthFirst() {
    Frontier<S> frontier = new Frontier<>();
    ChoiceOdometer odometer = new ChoiceOdometer();
    odometer.reset();
    do {
      odometer.beginRun();
      events.reset();
      S state = harness.initial(odometer, events);
      int id = arrive(state, StateTable.NO_PARENT, odometer.sequence(), 0);
      if (id >= 0 && expandable(0)) {
        frontier.add(state, id);
      }
    } while (!stopped && odometer.advance());

    while (!stopped && !frontier.isEmpty()) {
      int id = frontier.peekId();
      S state = frontier.poll();
      int depth = table.depth(id);
      odometer.reset();
      do {
        S next = copyOf(state);
        odometer.beginRun();
        events.reset();
        harness.step(next, odometer, events);
        transitions++;
        int nextId = arrive(next, id, odometer.sequence(), depth + 1);
        if (nextId >= 0 && expandable(depth + 1)) {
          frontier.add(next, nextId);
        } else {
          spare = next;
        }
        tick(frontier.size());
      } while (!stopped && odometer.advance());
      spare = state;
    }
  }

  // ---- depth-first ----

  /** One state on the current path and where its enumeration of transitions stands. */
  private static final class Frame<S> {
    @Nullable S state;
    int id;
    int depth;
    boolean started;
    final ChoiceOdometer odometer = new ChoiceOdometer();
  }

  private void depthFirst() {
    // Frames are reused by path position; frame 0 is a virtual root whose "step" is initial().
    List<Frame<S>> frames = new ArrayList<>();
    frames.add(new Frame<>());
    int top = 0;
    Frame<S> root = frames.get(0);
    root.state = null;
    root.id = StateTable.NO_PARENT;
    root.depth = -1;
    root.started = false;
    while (top >= 0 && !stopped) {
      Frame<S> frame = frames.get(top);
      if (!frame.started) {
        frame.odometer.reset();
        frame.started = true;
      } else if (!frame.odometer.advance()) {
        if (frame.state != null) {
          spare = frame.state;
        }
        frame.state = null;
        top--;
        continue;
      }
      S parentState = frame.state;
      S next;
      frame.odometer.beginRun();
      events.reset();
      if (parentState == null) {
        next = harness.initial(frame.odometer, events);
      } else {
        next = copyOf(parentState);
        harness.step(next, frame.odometer, events);
        transitions++;
      }
      int childDepth = frame.depth + 1;
      int id = arrive(next, frame.id, frame.odometer.sequence(), childDepth);
      if (id >= 0 && expandable(childDepth)) {
        top++;
        if (top == frames.size()) {
          frames.add(new Frame<>());
        }
        Frame<S> child = frames.get(top);
        child.state = next;
        child.id = id;
        child.depth = childDepth;
        child.started = false;
      } else {
        spare = next;
      }
      tick(top);
    }
  }

  // ---- shared ----

  /**
   * Handles the state a transition produced: records a violation reported while stepping,
   * matches the state against those seen, checks it when new. Returns the state's id when it
   * should be expanded (new, or reached by a shorter path under a depth bound), else -1.
   */
  private int arrive(S state, int parentId, int transition, int depth) {
    if (events.skipped) {
      return -1;
    }
    if (events.violatedProperty != null) {
      recordViolation(parentId, transition);
      return -1;
    }
    harness.fingerprint(state, fingerprint.reset());
    int before = table.size();
    int id = table.findOrAdd(fingerprint.high(), fingerprint.low(), parentId, transition, depth);
    if (id < before) {
      if (options.depthBound() >= 0 && depth < table.depth(id)) {
        table.reroute(id, parentId, transition, depth);
        return id;
      }
      return -1;
    }
    if (depth > maxDepth) {
      maxDepth = depth;
    }
    harness.check(state, events);
    if (events.violatedProperty != null) {
      recordViolation(parentId, transition);
      return -1;
    }
    if (table.size() >= options.maxStates()) {
      stopped = true;
    }
    return id;
  }

  private boolean expandable(int depth) {
    return options.depthBound() < 0 || depth < options.depthBound();
  }

  private S copyOf(S source) {
    S target = spare;
    spare = null;
    return target == null || target == source ? harness.copy(source) : harness.copyInto(source, target);
  }

  private void recordViolation(int parentId, int transition) {
    String property = String.valueOf(events.violatedProperty);
    violations.add(rebuild(parentId, transition, property, events.violationDetail));
    if (violations.size() >= options.maxViolations()) {
      stopped = true;
    }
  }

  /** Replays the path to {@code parentId}, then {@code transition} from it, recording every step. */
  private Trace rebuild(int parentId, int transition, String property, String detail) {
    List<Integer> path = new ArrayList<>();
    path.add(transition);
    for (int id = parentId; id != StateTable.NO_PARENT; id = table.parent(id)) {
      path.add(table.transition(id));
    }
    SearchEvents recording = new SearchEvents(null, true);
    ChoiceOdometer odometer = new ChoiceOdometer();
    List<Trace.Step> steps = new ArrayList<>();
    S state = null;
    World world = null;
    for (int i = path.size() - 1; i >= 0; i--) {
      int target = path.get(i);
      odometer.reset();
      while (true) {
        odometer.beginRun();
        recording.reset();
        S next;
        if (state == null) {
          next = harness.initial(odometer, recording);
        } else {
          next = harness.copy(state);
          harness.step(next, odometer, recording);
        }
        if (odometer.sequence() == target) {
          odometer.endRun();
          if (state == null) {
            world = harness.world(harness.copy(next));
          }
          if (i == 0 && recording.violatedProperty == null && !recording.skipped) {
            harness.check(next, recording);
          }
          steps.add(new Trace.Step(odometer.answers(), recording.notes, recording.ops, recording.results));
          state = next;
          break;
        }
        if (!odometer.advance()) {
          throw new NondeterministicHarnessException(
              "replaying a trace, step " + (path.size() - 1 - i) + " has fewer transitions than during the search");
        }
      }
    }
    if (!property.equals(recording.violatedProperty)) {
      throw new NondeterministicHarnessException(
          "replaying the trace to '" + property + "' reported " + (recording.violatedProperty == null
              ? "no violation" : "'" + recording.violatedProperty + "'") + ": the harness is not deterministic");
    }
    return new Trace(steps, world, property, detail);
  }

  private void tick(int pending) {
    if ((transitions & PROGRESS_CHECK_MASK) != 0) {
      return;
    }
    sampleHeap();
    PrintWriter out = options.progress();
    long now = System.nanoTime();
    if (out != null && now >= nextProgressNanos) {
      nextProgressNanos = now + (long) (options.progressSeconds() * 1e9);
      double seconds = (now - startNanos) / 1e9;
      out.printf(
          "explore: ... %.0fs states=%d transitions=%d depth=%d %s=%d states_per_s=%d heap_mb=%d%n",
          seconds, table.size(), transitions, maxDepth,
          options.strategy() == Strategy.BFS ? "frontier" : "path", pending,
          (long) (table.size() / Math.max(seconds, 1e-9)), peakHeap >> 20);
      out.flush();
    }
  }

  private void sampleHeap() {
    Runtime runtime = Runtime.getRuntime();
    long used = runtime.totalMemory() - runtime.freeMemory();
    if (used > peakHeap) {
      peakHeap = used;
    }
  }
}
