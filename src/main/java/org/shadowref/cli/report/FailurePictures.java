package org.shadowref.cli.report;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.SideBySide;
import org.shadowref.check.diff.StepObserver;
import org.shadowref.check.suite.ClaimResult;
import org.shadowref.check.trace.Scenario;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.invariant.ShadowView;

/** Turns the points where a claim failed into report figures: outcomes, trace, guest tree beside shadow tree. */
public final class FailurePictures {
  private FailurePictures() {}

  /**
   * Re-runs the scenario up to the failing step on every platform: native's outcome is the expected
   * one, the engine that parted from it (or, when the outcomes agree, the first shadowing engine)
   * is drawn after the step.
   */
  public static Report.Failure draw(ClaimResult.FailurePoint point, String claim) {
    Scenario scenario = point.scenario();
    int step = point.step();
    GuestOp op = scenario.ops().get(step);
    String title = scenario.name() + ", step " + step + ": " + op;
    try {
      return draw(point, claim, title, op);
    } catch (RuntimeException e) {
      // The report must not lose the failure because re-running it for the drawing went wrong.
      return new Report.Failure(title, claim, "no drawing: re-running the step failed: " + e.getMessage(), "", "",
          point.replay(), "", "");
    }
  }

  private static Report.Failure draw(ClaimResult.FailurePoint point, String claim, String title, GuestOp op) {
    Scenario scenario = point.scenario();
    int step = point.step();
    // The run's own platforms are kept (an observer sees them built), so the engine drawn is the
    // one that ran, not a second replay of the same steps.
    List<Platform> ran = new ArrayList<>();
    SideBySide.Run run = SideBySide.run(point.platforms(), scenario.world(), scenario.ops().subList(0, step + 1),
        scenario.expectations().subList(0, step + 1), new StepObserver() {
          @Override
          public void started(List<Platform> platforms) {
            ran.addAll(platforms);
          }
        });
    SideBySide.Step failing = run.steps().get(step);
    OpResult nativeResult = failing.results().get(0);
    String expected = "native: " + nativeResult
        + (failing.expectation().isAnything() ? "" : "; the scenario expects " + failing.expectation());
    StringBuilder actual = new StringBuilder();
    int parted = -1;
    for (int p = 1; p < failing.results().size(); p++) {
      if (!failing.results().get(p).equals(nativeResult)) {
        actual.append(actual.length() == 0 ? "" : "; ").append(run.platforms().get(p)).append(": ")
            .append(failing.results().get(p));
        parted = parted < 0 ? p : parted;
      }
    }
    if (actual.length() == 0) {
      // Same results: the platforms parted in guest state, or an invariant or expectation failed.
      actual.append(failing.disagreement() != null ? failing.disagreement()
          : !failing.expectationMet() ? "native itself did not meet the expectation" : scenario.description());
    }
    Platform engine = shadowing(ran, parted);
    if (engine == null) {
      return new Report.Failure(title, claim, "no shadowing engine in this run to draw", expected, actual.toString(),
          point.replay(), "", "");
    }
    TreePicture.Pair pair = TreePicture.pair((ShadowView) engine, op.vcpu(), focus(op));
    return new Report.Failure(title, claim, "the guest's tables and the shadows of " + engine.name() + " after the step",
        expected, actual.toString(), point.replay(), pair.guest(), pair.shadow());
  }

  /** Guest tree beside shadow tree of {@code engine} (a {@link ShadowView}) as it stands after {@code op}. */
  public static Report.Failure figure(Platform engine, GuestOp op, String title) {
    TreePicture.Pair pair = TreePicture.pair((ShadowView) engine, op.vcpu(), focus(op));
    return new Report.Failure(title, "", "the guest's tables and the shadows of " + engine.name() + " after the step", "", "", "",
        pair.guest(), pair.shadow());
  }

  /**
   * The first platform of {@code platforms} that shadows (a {@link ShadowView}), fresh, after the
   * scenario's operations 0 to {@code step}; null when no platform shadows.
   */
  public static @Nullable Platform engineAfter(Scenario scenario, int step, PlatformSet platforms) {
    Platform chosen = shadowing(platforms.build(scenario.world()), -1);
    if (chosen != null) {
      for (int i = 0; i <= step; i++) {
        chosen.apply(scenario.ops().get(i));
      }
    }
    return chosen;
  }

  /** Platform {@code preferred} when it shadows, else the first that does; null when none does. */
  private static @Nullable Platform shadowing(List<Platform> platforms, int preferred) {
    if (preferred >= 0 && platforms.get(preferred) instanceof ShadowView) {
      return platforms.get(preferred);
    }
    for (Platform platform : platforms) {
      if (platform instanceof ShadowView) {
        return platform;
      }
    }
    return null;
  }

  /** The address a step is about: the one it accesses, if it is an access. */
  public static @Nullable Long focus(GuestOp op) {
    if (op instanceof GuestOp.Raced raced) {
      return raced.access().va();
    }
    return op instanceof GuestOp.MemoryAccess access ? access.va() : null;
  }
}
