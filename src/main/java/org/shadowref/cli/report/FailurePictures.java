package org.shadowref.cli.report;

import java.util.List;
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
  public static Report.Failure draw(ClaimResult.FailurePoint point, PlatformSet platforms) {
    Scenario scenario = point.scenario();
    GuestOp op = scenario.ops().get(point.step());
    String title = scenario.name() + ", step " + point.step() + ": " + op;
    List<Platform> fresh = platforms.build(scenario.world());
    for (int p = 1; p < fresh.size(); p++) {
      Platform platform = fresh.get(p);
      if (platform instanceof ShadowView) {
        for (int i = 0; i <= point.step(); i++) {
          platform.apply(scenario.ops().get(i));
        }
        Long focus = op instanceof GuestOp.MemoryAccess ? ((GuestOp.MemoryAccess) op).va() : null;
        TreePicture.Pair pair = TreePicture.pair((ShadowView) platform, op.vcpu(), focus);
        return new Report.Failure(title, "after the step on " + platform.name()
            + "; red: the walk of the address in question, and shadow entries that are not the propagation of their"
            + " guest entries", pair.guest(), pair.shadow());
      }
    }
    return new Report.Failure(title, "no shadowing engine in this run to draw", "", "");
  }
}
