package org.shadowref.check.explore;

import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;

/**
 * Runs a harness the way Java PathFinder explores it: {@code main} builds one initial state and
 * takes {@code depth} steps, and every {@link Choices} call is a JPF choice point (through {@link
 * JpfVerify}), so JPF backtracks over all of them with its own state matching. A violation is
 * thrown as an {@link AssertionError}, which JPF reports as {@code error #1}; a skipped step
 * abandons the path with {@code Verify.ignoreIf}.
 *
 * <p>JPF's "no errors detected" alone cannot tell a search that checked everything from one that
 * checked nothing. So the driver counts, in JPF's counters (which survive backtracking), the steps
 * the harness completed and the declared coverage labels reached, and prints them as lines
 * starting {@value #MARK}: a line {@code steps=N labels=R/L} whenever a label is first reached,
 * every {@value #PRINT_EVERY} steps and at the end of a path that did more since the last line,
 * and {@code reached LABEL} for each label. {@code ./shadowref jpf} reads the last counts and fails
 * a run that completed no step or left a label unreached.
 *
 * <p>Outside JPF there are no choice points to backtrack over, so {@code main} has nothing to
 * run this way; {@link #runningInJpf()} tells a harness's {@code main} which to do.
 */
public final class JpfDriver {
  /** How the driver's lines start in JPF's output. */
  public static final String MARK = "shadowref-jpf:";
  /** Counts are printed at least every this many completed steps. */
  static final int PRINT_EVERY = 1000;
  private static final int STEPS = 0;
  private static final int STEPS_PRINTED = 1;
  private static final int LABELS_REACHED = 2;
  /** Counter {@code FIRST_LABEL + i} is 1 once declared label i was reached. */
  private static final int FIRST_LABEL = 3;

  private JpfDriver() {}

  public static boolean runningInJpf() {
    return JpfVerify.runningInJpf();
  }

  /**
   * Explores {@code harness} under JPF, {@code depth} steps deep (-1: until JPF's state matching
   * finds nothing new).
   *
   * @throws IllegalStateException when not running inside JPF
   */
  public static <S> void run(Harness<S> harness, int depth) {
    JpfVerify verify = JpfVerify.ifRunningInJpf();
    if (verify == null) {
      throw new IllegalStateException("not running inside Java PathFinder");
    }
    initializeClasses(harness);
    PathEvents events = new PathEvents(verify, harness.coverageLabels());
    S state = harness.initial(verify, events);
    if (!events.continuePath()) {
      return;
    }
    harness.check(state, events);
    if (!events.continuePath()) {
      return;
    }
    if (depth < 0) {
      // No step counter here: it would be part of JPF's state and defeat its state matching.
      while (stepAndCheck(harness, state, verify, events)) {
        // keep going until JPF matches the state or ignores the path
      }
      return;
    }
    for (int step = 0; step < depth; step++) {
      if (!stepAndCheck(harness, state, verify, events)) {
        return;
      }
    }
    events.printIfNew();
  }

  /**
   * Runs one initial state and one step with fixed answers (the lowest of every choice), outside
   * JPF's choice points and with every event ignored, so that the classes the model uses are
   * initialized before JPF's first choice. Otherwise a static initializer first reached inside a
   * step (the reserved-bit tables, say) runs again on every branch JPF backtracks to: issue 17
   * measured 82% of all instructions of a small run there.
   */
  private static <S> void initializeClasses(Harness<S> harness) {
    Choices lowest = new Choices() {
      @Override
      public int chooseInt(int lowInclusive, int highInclusive) {
        return lowInclusive;
      }

      @Override
      public boolean chooseBoolean() {
        return false;
      }
    };
    Events ignored = new Quiet();
    S state = harness.initial(lowest, ignored);
    harness.check(state, ignored);
    harness.step(state, lowest, ignored);
    harness.check(state, ignored);
  }

  /** One step and the checks of the state it leads to; false when the path ends. */
  private static <S> boolean stepAndCheck(Harness<S> harness, S state, JpfVerify verify, PathEvents events) {
    harness.step(state, verify, events);
    if (!events.continuePath()) {
      return false;
    }
    events.completed();
    harness.check(state, events);
    return events.continuePath();
  }

  /** Events that go nowhere: for the dry run, and the parts of a path's events nobody reads. */
  private static class Quiet implements Events {
    @Override
    public boolean tracing() {
      return false;
    }

    @Override
    public void op(GuestOp op, OpResult result) {}

    @Override
    public void note(String text) {}

    @Override
    public void cover(String label) {}

    @Override
    public void violation(String property, String detail) {}

    @Override
    public void skip() {}
  }

  /** Events on one JPF path: skips and violations end it; steps and labels are counted across paths. */
  private static final class PathEvents extends Quiet {
    private final JpfVerify verify;
    private final String[] labels;
    private boolean skipped;

    PathEvents(JpfVerify verify, String[] labels) {
      this.verify = verify;
      this.labels = labels;
    }

    /** Acts on what the step reported: false when the path ends here. */
    boolean continuePath() {
      if (skipped) {
        skipped = false;
        printIfNew();
        verify.ignorePath();
        return false;
      }
      return true;
    }

    /** One more step completed (not skipped, no violation). */
    void completed() {
      int steps = verify.counter(STEPS) + 1;
      verify.setCounter(STEPS, steps);
      if (steps - verify.counter(STEPS_PRINTED) >= PRINT_EVERY) {
        print();
      }
    }

    void printIfNew() {
      if (verify.counter(STEPS) != verify.counter(STEPS_PRINTED)) {
        print();
      }
    }

    private void print() {
      int steps = verify.counter(STEPS);
      verify.setCounter(STEPS_PRINTED, steps);
      System.out.println(MARK + " steps=" + steps + " labels=" + verify.counter(LABELS_REACHED) + "/" + labels.length);
    }

    @Override
    public void cover(String label) {
      for (int i = 0; i < labels.length; i++) {
        if (labels[i].equals(label) && verify.counter(FIRST_LABEL + i) == 0) {
          verify.setCounter(FIRST_LABEL + i, 1);
          verify.setCounter(LABELS_REACHED, verify.counter(LABELS_REACHED) + 1);
          System.out.println(MARK + " reached " + label);
          print();
        }
      }
    }

    @Override
    public void violation(String property, String detail) {
      throw new AssertionError(property + ": " + detail);
    }

    @Override
    public void skip() {
      skipped = true;
    }
  }
}
