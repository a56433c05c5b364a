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
 * <p>Outside JPF there are no choice points to backtrack over, so {@code main} has nothing to
 * run this way; {@link #runningInJpf()} tells a harness's {@code main} which to do.
 */
public final class JpfDriver {
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
    PathEvents events = new PathEvents();
    S state = harness.initial(verify, events);
    if (!events.continuePath(verify)) {
      return;
    }
    harness.check(state, events);
    if (!events.continuePath(verify)) {
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
  }

  /** One step and the checks of the state it leads to; false when the path ends. */
  private static <S> boolean stepAndCheck(Harness<S> harness, S state, JpfVerify verify, PathEvents events) {
    harness.step(state, verify, events);
    if (!events.continuePath(verify)) {
      return false;
    }
    harness.check(state, events);
    return events.continuePath(verify);
  }

  /** Events on one JPF path: only skips and violations matter. */
  private static final class PathEvents implements Events {
    private boolean skipped;

    /** Acts on what the step reported: false when the path ends here. */
    boolean continuePath(JpfVerify verify) {
      if (skipped) {
        skipped = false;
        verify.ignorePath();
        return false;
      }
      return true;
    }

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
    public void violation(String property, String detail) {
      throw new AssertionError(property + ": " + detail);
    }

    @Override
    public void skip() {
      skipped = true;
    }
  }
}
