package org.shadowref.check.explore;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.trace.GuestSnapshot;

/**
 * Explicit-state search over a {@link Harness}: every state reachable through the harness's
 * choices (within a depth bound) is visited once, matched on its 128-bit {@link Fingerprint}, and
 * checked. One transition is one run of {@link Harness#step} on a copy of the source state, with
 * one sequence of answers from a {@link ChoiceOdometer}. The table of seen states keeps 50 to 90
 * bytes per state (keys, ids, parent, transition and depth, with the hash table's slack) and no
 * state. A violation's trace is rebuilt after the search by replaying the recorded transition
 * indices from an initial state.
 *
 * <p>Depth-first search holds the states on its current paths only. Breadth-first search holds
 * no state either: a {@link Level} keeps, per state to expand, its id, its parent's place in the
 * level before and the answers of the transition from that parent (about 15 bytes), and a worker
 * rebuilds the state by replaying those answers from the nearest ancestor it has at hand. Each
 * worker keeps the last state it rebuilt at every depth; since a level lists the children of one
 * parent together, and parents in their level's order, the parent is nearly always at hand, and
 * a state to expand costs one extra step (and a copy) on top of its ten or so transitions.
 *
 * <p>With a depth bound, depth-first search re-expands a state it reaches again by a shorter
 * path, so both strategies find exactly the states within the bound.
 *
 * <p>Several threads ({@link ExplorerOptions#threads}) share the table and nothing else: each
 * has its own states, choices, events and coverage. Breadth-first search expands each level in
 * parallel, level by level, so its traces stay shortest. Depth-first search goes breadth-first
 * until a level holds {@link #ROOTS_PER_THREAD} states per thread (one thread: the initial states
 * only), then gives each thread whole subtrees below that level's states. The states found are
 * the same for any number of threads; under depth-first search with a bound, the transitions
 * are not, since re-expansions depend on which path reaches a state first.
 *
 * @param <S> the harness's state
 */
public final class Explorer<S> {
  /** Depth-first search with several threads splits the work at a level this many states wide per thread. */
  static final int ROOTS_PER_THREAD = 64;
  /** A level narrower than this per thread is expanded by one thread: starting threads would cost more. */
  private static final int SHARED_LEVEL_PER_THREAD = 8;
  /**
   * Workers take a level's entries this many at a time, so that siblings (which share the parent
   * a worker must rebuild) mostly go to the same worker.
   */
  private static final int ENTRIES_PER_TAKE = 32;
  private static final int PROGRESS_CHECK_MASK = 0xFFF;
  /** How often the thread waiting for the workers samples the heap. */
  private static final long HEAP_SAMPLE_MILLIS = 20;

  private final Harness<S> harness;
  private final ExplorerOptions options;
  /** Guarded by itself: the only structure the workers share. */
  private final StateTable table = new StateTable();
  /** Violations as found, traces not yet rebuilt; guarded by itself. */
  private final List<Found> found = new ArrayList<>();
  private final List<Worker> workers = new ArrayList<>();
  private final LongAdder transitions = new LongAdder();
  /** Transitions the harness completed (not skipped, not stopped by a violation): the search's proof of work. */
  private final LongAdder completed = new LongAdder();
  /** The deepest state reached so far, for progress lines. */
  private final AtomicInteger deepest = new AtomicInteger();
  /** Enumerates the initial states, one at a time on demand; guarded by itself. */
  private final ChoiceOdometer rootOdometer = new ChoiceOdometer();
  private boolean rootsExhausted;
  private volatile boolean stopped;
  /** The first exception a worker threw, rethrown to the caller once the workers are done. */
  private volatile @Nullable Throwable failure;
  /** The thread that called {@link #explore}: the only one that prints progress. */
  private final Thread caller = Thread.currentThread();
  private long startNanos;
  private long nextProgressNanos;
  private long peakHeap;
  /** The most bytes the breadth-first levels held at once (the current ones and the ancestors they replay from). */
  private long peakLevelBytes;

  private Explorer(Harness<S> harness, ExplorerOptions options) {
    this.harness = harness;
    this.options = options;
    for (int i = 0; i < options.threads(); i++) {
      workers.add(new Worker());
    }
  }

  /** Explores {@code harness} as {@code options} say. */
  public static <S> ExplorationReport explore(Harness<S> harness, ExplorerOptions options) {
    return new Explorer<>(harness, options).run();
  }

  private ExplorationReport run() {
    startNanos = System.nanoTime();
    nextProgressNanos = startNanos + (long) (options.progressSeconds() * 1e9);
    rootOdometer.reset();
    Worker first = workers.get(0);
    Level level = new Level(null, 0);
    if (options.strategy() == Strategy.BFS) {
      for (Root<S> root = first.nextRoot(); root != null; root = first.nextRoot()) {
        level.add(root.id(), Level.ROOT, root.offsets());
        first.spare = root.state();
      }
      noteLevelBytes(level);
      while (!stopped && !level.isEmpty()) {
        Level next = expandLevel(level);
        level.expanded();
        noteLevelBytes(next);
        level = next;
      }
    } else {
      // Initial states are made as the threads need them, so the search never holds them all;
      // when there are too few to share out, the top levels are expanded breadth-first first.
      // The first ones are listed before any is searched, as they always were, so that the
      // order in which states are first met (and with a bound, the re-expansions) stays the same.
      int wide = ROOTS_PER_THREAD * workers.size();
      while (level.size() < wide) {
        Root<S> root = first.nextRoot();
        if (root == null) {
          break;
        }
        level.add(root.id(), Level.ROOT, root.offsets());
        first.spare = root.state();
      }
      while (workers.size() > 1 && rootsExhausted() && !stopped && !level.isEmpty() && level.size() < wide) {
        Level next = expandLevel(level);
        level.expanded();
        level = next;
      }
      searchBelow(level);
    }
    long elapsed = System.nanoTime() - startNanos;
    sampleHeap();
    // Depths are final only now: depth-first search may have found shorter paths late.
    int maxDepth = 0;
    long unexpandedAtBound = 0;
    for (int id = 0; id < table.size(); id++) {
      maxDepth = Math.max(maxDepth, table.depth(id));
      if (!expandable(table.depth(id))) {
        unexpandedAtBound++;
      }
    }
    Coverage coverage = new Coverage(harness.coverageLabels());
    for (Worker worker : workers) {
      coverage.add(worker.coverage);
    }
    return new ExplorationReport(
        options.strategy(),
        options.depthBound(),
        table.size(),
        transitions.sum(),
        completed.sum(),
        maxDepth,
        unexpandedAtBound,
        !stopped,
        elapsed,
        peakHeap,
        table.footprintBytes(),
        peakLevelBytes,
        coverage,
        traces());
  }

  /** An initial state to expand, with its id and the answers that built it (as offsets above their lows). */
  private record Root<S>(S state, int id, int[] offsets) {}

  private void noteLevelBytes(Level newest) {
    long bytes = 0;
    for (Level level = newest; level != null; level = level.previous) {
      bytes += level.footprintBytes();
    }
    peakLevelBytes = Math.max(peakLevelBytes, bytes);
  }

  private boolean rootsExhausted() {
    synchronized (rootOdometer) {
      return rootsExhausted;
    }
  }

  /**
   * Expands every state of {@code level}; returns the next level. A level too narrow to be worth
   * handing to threads is expanded by the calling thread alone.
   */
  private Level expandLevel(Level level) {
    int depth = level.depth + 1;
    if (level.size() < SHARED_LEVEL_PER_THREAD * workers.size()) {
      Worker worker = workers.get(0);
      Level next = new Level(level, depth);
      for (int i = 0; i < level.size() && !stopped; i++) {
        worker.expand(level, i, next);
      }
      return next;
    }
    AtomicInteger next = new AtomicInteger();
    runWorkers(worker -> {
      Level part = new Level(level, depth);
      worker.nextLevel = part;
      for (int from = next.getAndAdd(ENTRIES_PER_TAKE); from < level.size() && !stopped;
          from = next.getAndAdd(ENTRIES_PER_TAKE)) {
        int to = Math.min(level.size(), from + ENTRIES_PER_TAKE);
        for (int i = from; i < to && !stopped; i++) {
          worker.expand(level, i, part);
        }
      }
    });
    List<Level> parts = new ArrayList<>();
    for (Worker worker : workers) {
      parts.add(worker.nextLevel);
    }
    return Level.concat(level, depth, parts);
  }

  /**
   * Depth-first search below every state of {@code level} and then below each initial state not
   * yet made, a subtree per task.
   */
  private void searchBelow(Level level) {
    AtomicInteger next = new AtomicInteger();
    runWorkers(worker -> {
      for (int i = next.getAndIncrement(); i < level.size() && !stopped; i = next.getAndIncrement()) {
        // The search path overwrites and recycles its states: it gets its own copy of the rebuilt one.
        worker.depthFirst(worker.copyOf(worker.rebuild(level, i)), level.id(i), level.depth);
      }
      for (Root<S> root = worker.nextRoot(); root != null && !stopped; root = worker.nextRoot()) {
        worker.depthFirst(root.state(), root.id(), 0);
      }
    });
  }

  /**
   * Runs {@code task} on every worker, each in a thread of its own when there are several, and
   * waits for them, printing progress meanwhile; rethrows the first exception a worker threw.
   */
  private void runWorkers(Consumer<Worker> task) {
    if (workers.size() == 1) {
      task.accept(workers.get(0));
    } else {
      CountDownLatch done = new CountDownLatch(workers.size());
      for (Worker worker : workers) {
        Thread thread = new Thread(() -> {
          try {
            task.accept(worker);
          } catch (RuntimeException | Error e) {
            fail(e);
          } finally {
            done.countDown();
          }
        }, "explorer-" + workers.indexOf(worker));
        thread.setDaemon(true);
        thread.start();
      }
      awaitPrintingProgress(done);
    }
    Throwable thrown = failure;
    if (thrown instanceof RuntimeException unchecked) {
      throw unchecked;
    }
    if (thrown instanceof Error error) {
      throw error;
    }
  }

  private void fail(Throwable e) {
    stopped = true;
    synchronized (found) {
      if (failure == null) {
        failure = e;
      }
    }
  }

  private void awaitPrintingProgress(CountDownLatch done) {
    boolean interrupted = false;
    while (done.getCount() > 0) {
      try {
        done.await(HEAP_SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        // Finish the search first: the workers stop only at its end or at a limit.
        interrupted = true;
      }
      sampleHeap();
      printProgressIfDue();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The state a search path is at and where its enumeration of transitions stands. */
  private static final class Frame<S> {
    @Nullable S state;
    int id;
    int depth;
    boolean started;
    final ChoiceOdometer odometer = new ChoiceOdometer();
  }

  /** One thread's share of the search: its own choices, events, coverage and spare state. */
  private final class Worker {
    final Coverage coverage = new Coverage(harness.coverageLabels());
    final SearchEvents events = new SearchEvents(coverage, false);
    final Fingerprint fingerprint = new Fingerprint();
    final ChoiceOdometer odometer = new ChoiceOdometer();
    /** Depth-first frames, reused by path position. */
    final List<Frame<S>> frames = new ArrayList<>();
    /** The part of the next breadth-first level this worker found. */
    Level nextLevel = new Level(null, 0);
    /** Events of steps replayed to rebuild a state: they were counted when the state was found. */
    final SearchEvents replayEvents = new SearchEvents(null, false);
    final RecordedChoices recorded = new RecordedChoices();
    /** Per depth, the last state rebuilt there and which level entry it is: a level's siblings share their parent. */
    final List<@Nullable S> builtStates = new ArrayList<>();
    final List<@Nullable Level> builtLevels = new ArrayList<>();
    int[] builtIndices = new int[16];
    /** The entries {@link #rebuild} has still to replay, deepest first. */
    final List<Level> chainLevels = new ArrayList<>();
    int[] chainIndices = new int[16];
    /** Calls of {@link #tick}: the clock is read only every few thousand. */
    long ticks;
    /** A state no longer needed, to be overwritten by the next copy. */
    @Nullable S spare;

    /**
     * The next initial state that is new and to be expanded, arrived at and checked; null when
     * every initial state has been made or the search stopped.
     */
    @Nullable Root<S> nextRoot() {
      while (!stopped) {
        S state;
        int sequence;
        int[] offsets;
        synchronized (rootOdometer) {
          if (rootsExhausted) {
            return null;
          }
          rootOdometer.beginRun();
          events.reset();
          state = harness.initial(rootOdometer, events);
          sequence = rootOdometer.sequence();
          offsets = rootOdometer.offsets();
          rootsExhausted = !rootOdometer.advance();
        }
        int id = arrive(state, StateTable.NO_PARENT, sequence, 0);
        tick();
        if (id >= 0 && expandable(0)) {
          return new Root<>(state, id, offsets);
        }
        spare = state;
      }
      return null;
    }

    /**
     * Every transition out of entry {@code index} of {@code level}; successors to expand go to
     * {@code into}, as the answers that lead to them from this entry.
     */
    void expand(Level level, int index, Level into) {
      S state = rebuild(level, index);
      int id = level.id(index);
      int depth = level.depth + 1;
      odometer.reset();
      do {
        S next = stepped(state, odometer);
        int nextId = arrive(next, id, odometer.sequence(), depth);
        if (nextId >= 0 && expandable(depth)) {
          into.add(nextId, index, odometer);
        }
        spare = next;
        tick();
      } while (!stopped && odometer.advance());
    }

    /**
     * The state of entry {@code index} of {@code level}, rebuilt by replaying the recorded answers
     * from the nearest ancestor this worker last rebuilt (or from the initial choices). The state
     * stays this worker's until it rebuilds another at the same depth: callers must not change it.
     */
    S rebuild(Level level, int index) {
      int chain = 0;
      Level at = level;
      int atIndex = index;
      S state = null;
      while (true) {
        if (at.depth < builtLevels.size() && builtLevels.get(at.depth) == at && builtIndices[at.depth] == atIndex) {
          state = builtStates.get(at.depth);
          break;
        }
        if (chain == chainIndices.length) {
          chainIndices = java.util.Arrays.copyOf(chainIndices, chain * 2);
        }
        chainLevels.add(at);
        chainIndices[chain] = atIndex;
        chain++;
        Level up = at.previous;
        if (up == null) {
          break;
        }
        atIndex = at.parent(atIndex);
        at = up;
      }
      while (chain > 0) {
        chain--;
        Level entryLevel = chainLevels.remove(chain);
        int entry = chainIndices[chain];
        replayEvents.reset();
        entryLevel.answersOf(entry, recorded);
        S made;
        int depth = entryLevel.depth;
        while (builtStates.size() <= depth) {
          builtStates.add(null);
          builtLevels.add(null);
        }
        if (depth >= builtIndices.length) {
          builtIndices = java.util.Arrays.copyOf(builtIndices, Math.max(depth + 1, builtIndices.length * 2));
        }
        if (state == null) {
          made = harness.initial(recorded, replayEvents);
        } else {
          S old = builtStates.get(depth);
          made = old == null ? harness.copy(state) : harness.copyInto(state, old);
          harness.step(made, recorded, replayEvents);
        }
        recorded.finish();
        if (replayEvents.skipped || replayEvents.violatedProperty != null) {
          throw new NondeterministicHarnessException("rebuilding a state at depth " + depth + ", the recorded step "
              + (replayEvents.skipped ? "was skipped" : "reported '" + replayEvents.violatedProperty + "'")
              + " where it completed when the state was found: the harness is not deterministic");
        }
        builtStates.set(depth, made);
        builtLevels.set(depth, entryLevel);
        builtIndices[depth] = entry;
        state = made;
      }
      if (state == null) {
        throw new IllegalStateException("rebuilt no state for entry " + index + " at depth " + level.depth);
      }
      return state;
    }

    /** A copy of {@code source} of this worker's own, made in the spare state when there is one. */
    S copyOf(S source) {
      S target = spare;
      spare = null;
      return target == null || target == source ? harness.copy(source) : harness.copyInto(source, target);
    }

    /** Depth-first search of everything below {@code root}, a state at {@code depth} to expand. */
    void depthFirst(S root, int rootId, int depth) {
      int top = 0;
      Frame<S> rootFrame = frame(0);
      rootFrame.state = root;
      rootFrame.id = rootId;
      rootFrame.depth = depth;
      rootFrame.started = false;
      while (top >= 0 && !stopped) {
        Frame<S> frame = frames.get(top);
        S parentState = frame.state;
        if (parentState == null) {
          throw new IllegalStateException("search path frame " + top + " has no state");
        }
        if (!frame.started) {
          frame.odometer.reset();
          frame.started = true;
        } else if (!frame.odometer.advance()) {
          spare = parentState;
          frame.state = null;
          top--;
          continue;
        }
        S next = stepped(parentState, frame.odometer);
        int childDepth = frame.depth + 1;
        int id = arrive(next, frame.id, frame.odometer.sequence(), childDepth);
        if (id >= 0 && expandable(childDepth)) {
          top++;
          Frame<S> child = frame(top);
          child.state = next;
          child.id = id;
          child.depth = childDepth;
          child.started = false;
        } else {
          spare = next;
        }
        tick();
      }
    }

    private Frame<S> frame(int position) {
      while (frames.size() <= position) {
        frames.add(new Frame<>());
      }
      return frames.get(position);
    }

    /**
     * Handles the state a transition produced: records a violation reported while stepping,
     * matches the state against those seen, checks it when new. Returns the state's id when it
     * should be expanded (new, or reached by a shorter path under a depth bound), else -1.
     */
    int arrive(S state, int parentId, int transition, int depth) {
      if (events.skipped) {
        return -1;
      }
      if (events.violatedProperty != null) {
        recordViolation(parentId, transition, depth);
        return -1;
      }
      harness.fingerprint(state, fingerprint.reset());
      int id;
      synchronized (table) {
        int before = table.size();
        id = table.findOrAdd(fingerprint.high(), fingerprint.low(), parentId, transition, depth);
        if (id < before) {
          if (options.depthBound() >= 0 && depth < table.depth(id)) {
            table.reroute(id, parentId, transition, depth);
            return id;
          }
          return -1;
        }
        if (table.size() >= options.maxStates()) {
          stopped = true;
        }
      }
      deepest.accumulateAndGet(depth, Math::max);
      harness.check(state, events);
      if (events.violatedProperty != null) {
        recordViolation(parentId, transition, depth);
        return -1;
      }
      return id;
    }

    private void recordViolation(int parentId, int transition, int depth) {
      synchronized (found) {
        found.add(new Found(parentId, transition, depth, String.valueOf(events.violatedProperty), events.violationDetail));
        if (found.size() >= options.maxViolations()) {
          stopped = true;
        }
      }
    }

    /**
     * A copy of {@code parent} (made in the spare state when there is one) after the transition
     * {@code odometer}'s next answers choose.
     */
    private S stepped(S parent, ChoiceOdometer odometer) {
      S next = copyOf(parent);
      odometer.beginRun();
      events.reset();
      harness.step(next, odometer, events);
      transitions.increment();
      if (!events.skipped && events.violatedProperty == null) {
        completed.increment();
      }
      return next;
    }

    /** Work done in the calling thread prints progress itself; other threads leave it to the caller. */
    void tick() {
      if ((++ticks & PROGRESS_CHECK_MASK) != 0 || Thread.currentThread() != caller) {
        return;
      }
      sampleHeap();
      printProgressIfDue();
    }
  }

  /** A violation as the search met it: the transition from {@code parentId} that showed it. */
  private record Found(int parentId, int transition, int depth, String property, String detail) {}

  private boolean expandable(int depth) {
    return options.depthBound() < 0 || depth < options.depthBound();
  }

  /** The violations' traces, shallowest first (all at one depth under breadth-first search), at most the limit. */
  private List<Trace> traces() {
    List<Found> ordered = new ArrayList<>(found);
    if (options.strategy() == Strategy.BFS) {
      ordered.sort((a, b) -> Integer.compare(a.depth(), b.depth()));
    }
    List<Trace> traces = new ArrayList<>();
    for (int i = 0; i < ordered.size() && i < options.maxViolations(); i++) {
      Found violation = ordered.get(i);
      traces.add(rebuild(violation.parentId(), violation.transition(), violation.property(), violation.detail()));
    }
    return traces;
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
    GuestSnapshot world = null;
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

  private void printProgressIfDue() {
    PrintWriter out = options.progress();
    long now = System.nanoTime();
    if (out == null || now < nextProgressNanos) {
      return;
    }
    nextProgressNanos = now + (long) (options.progressSeconds() * 1e9);
    double seconds = (now - startNanos) / 1e9;
    int states;
    synchronized (table) {
      states = table.size();
    }
    out.printf(
        "explore: ... %.0fs states=%d transitions=%d depth=%d states_per_s=%d heap_mb=%d threads=%d%n",
        seconds, states, transitions.sum(), deepest.get(),
        (long) (states / Math.max(seconds, 1e-9)), peakHeap >> 20, workers.size());
    out.flush();
  }

  private void sampleHeap() {
    Runtime runtime = Runtime.getRuntime();
    long used = runtime.totalMemory() - runtime.freeMemory();
    if (used > peakHeap) {
      peakHeap = used;
    }
  }
}
