package org.shadowref.check.diff;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.check.trace.Scenario.Expectation;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * Runs operations on several platforms in lock step and records, step by step, what each one
 * returned, whether it agreed with native, whether native met the expectation, and the first
 * guest-visible state difference. Scenario runs and trace replays are both this.
 */
public final class SideBySide {
  /** One step: the operation, each platform's result (native first), and the verdicts. */
  public record Step(
      int index,
      GuestOp op,
      List<OpResult> results,
      Expectation expectation,
      @Nullable String disagreement,
      boolean expectationMet) {

    /** True when every platform agreed with native and native met the expectation. */
    public boolean ok() {
      return disagreement == null && expectationMet;
    }
  }

  /** All steps, the platforms' names, and where (if anywhere) they first parted. */
  public record Run(List<String> platforms, List<Step> steps) {
    /** The steps that are not {@link Step#ok()}. */
    public int failedSteps() {
      int failed = 0;
      for (Step step : steps) {
        if (!step.ok()) {
          failed++;
        }
      }
      return failed;
    }

    /** The first step whose results or guest state differ between platforms, or -1. */
    public int firstDivergence() {
      for (Step step : steps) {
        if (step.disagreement() != null) {
          return step.index();
        }
      }
      return -1;
    }
  }

  private SideBySide() {}

  /**
   * Builds every platform of {@code set} from {@code world} and runs {@code ops} on them in lock
   * step, judging step i against {@code expectations} (missing ones expect anything).
   */
  public static Run run(PlatformSet set, GuestSnapshot world, List<GuestOp> ops, List<Expectation> expectations) {
    return run(set, world, ops, expectations, StepObserver.NONE);
  }

  /** {@link #run} with {@code observer} watching every step (input-space coverage). */
  public static Run run(PlatformSet set, GuestSnapshot world, List<GuestOp> ops, List<Expectation> expectations,
      StepObserver observer) {
    List<Step> steps = new ArrayList<>();
    stream(set, world, ops, expectations, observer, steps::add);
    return new Run(set.names(), steps);
  }

  /**
   * {@link #run} for runs too long to keep: each step goes to {@code each} as it is judged and is
   * then dropped, so a run of a million steps holds one step at a time.
   */
  public static void stream(PlatformSet set, GuestSnapshot world, List<GuestOp> ops, List<Expectation> expectations,
      StepObserver observer, Consumer<Step> each) {
    List<Platform> platforms = set.build(world);
    observer.started(platforms);
    for (int i = 0; i < ops.size(); i++) {
      GuestOp op = ops.get(i);
      List<OpResult> results = new ArrayList<>(platforms.size());
      observer.before(op);
      for (Platform platform : platforms) {
        results.add(platform.apply(op));
      }
      observer.after(op, results.get(0));
      Expectation expectation = i < expectations.size() ? expectations.get(i) : Expectation.ANYTHING;
      each.accept(new Step(i, op, results, expectation, disagreement(set.names(), platforms, results),
          expectation.matches(results.get(0))));
    }
  }

  private static @Nullable String disagreement(List<String> names, List<Platform> platforms, List<OpResult> results) {
    for (int p = 1; p < platforms.size(); p++) {
      if (!results.get(p).equals(results.get(0))) {
        return names.get(p) + " returned " + results.get(p) + " where native returned " + results.get(0);
      }
      String state = platforms.get(p).guest().firstGuestDifference(platforms.get(0).guest());
      if (state != null) {
        return "after the step, " + names.get(p) + " vs native: " + state;
      }
      // What the guest cannot see is judged too: a dirty log that misses a write, a stale shadow
      // entry no step has used yet.
      if (platforms.get(p) instanceof ShadowView engine) {
        List<String> broken = InvariantRegistry.violations(engine);
        if (!broken.isEmpty()) {
          return "after the step, " + names.get(p) + " breaks " + broken.get(0);
        }
      }
    }
    return null;
  }
}
