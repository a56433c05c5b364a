package org.shadowref.cli.report;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.suite.ClaimResult;
import org.shadowref.check.trace.Scenario;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.invariant.ShadowView;

/** Turns the points where a claim failed into report figures: guest tree beside shadow tree. */
public final class FailurePictures {
  private FailurePictures() {}

  /** Re-runs the scenario up to the failing step on the first shadowing engine, and draws it. */
  public static Report.Failure draw(ClaimResult.FailurePoint point) {
    Scenario scenario = point.scenario();
    GuestOp op = scenario.ops().get(point.step());
    String title = scenario.name() + ", step " + point.step() + ": " + op;
    Platform engine = engineAfter(scenario, point.step(), point.platforms());
    if (engine == null) {
      return new Report.Failure(title, "no shadowing engine in this run to draw", "", "");
    }
    return figure(engine, op, title);
  }

  /** Guest tree beside shadow tree of {@code engine} (a {@link ShadowView}) as it stands after {@code op}. */
  public static Report.Failure figure(Platform engine, GuestOp op, String title) {
    TreePicture.Pair pair = TreePicture.pair((ShadowView) engine, op.vcpu(), focus(op));
    return new Report.Failure(title, "after the step on " + engine.name()
        + "; red: the walk of the address in question, and shadow entries that are not the propagation of their"
        + " guest entries", pair.guest(), pair.shadow());
  }

  /**
   * The first platform of {@code platforms} that shadows (a {@link ShadowView}), fresh, after the
   * scenario's operations 0 to {@code step}; null when no platform shadows.
   */
  public static @Nullable Platform engineAfter(Scenario scenario, int step, PlatformSet platforms) {
    List<Platform> fresh = platforms.build(scenario.world());
    for (Platform platform : fresh) {
      if (platform instanceof ShadowView) {
        for (int i = 0; i <= step; i++) {
          platform.apply(scenario.ops().get(i));
        }
        return platform;
      }
    }
    return null;
  }

  /** The address a step is about: the one it accesses, if it is an access. */
  public static @Nullable Long focus(GuestOp op) {
    return op instanceof GuestOp.MemoryAccess access ? access.va() : null;
  }
}
