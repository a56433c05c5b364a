package org.shadowref.check.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The models claim fails on a violation and, as vacuity, on a declared label left unreached. */
class ModelsClaimTest {
  @TempDir Path models;
  @TempDir Path traces;

  private ClaimResult run(String target, String args) throws Exception {
    Files.writeString(models.resolve("M.jpf"), "target = " + target + "\ntarget.args = " + args + "\n");
    return new ModelsClaim(models, traces).run(Preset.STANDARD, Progress.NONE);
  }

  @Test
  void aModelThatReachesEveryLabelHolds() throws Exception {
    ClaimResult result = run("org.shadowref.models.NativeWalk", "mode=pae,others=permissive");
    assertTrue(result.held(), result.detail());
    assertFalse(result.detail().contains("never reached"), result.detail());
  }

  /**
   * One step of two vCPUs can start operations but never retry one, and with mode=all every
   * mode's labels are declared: the claim names what was never reached, per mode, and fails.
   */
  @Test
  void aModelThatLeavesLabelsUnreachedFails() throws Exception {
    ClaimResult result = run("org.shadowref.models.TwoVcpus", "depth=1,mode=all");
    assertFalse(result.held(), result.detail());
    assertTrue(result.detail().contains("no violation, never reached: "), result.detail());
    for (String mode : new String[] {"4level", "pae", "2on3", "2on2"}) {
      assertTrue(result.detail().contains(mode + ": a retry faults again after the other vCPU ran"), result.detail());
    }
  }

  /** A model with a seeded bug fails the claim, and the claim says where the violation's trace is. */
  @Test
  void aViolationIsReportedWithItsReplayableTrace() throws Exception {
    ClaimResult result = run("org.shadowref.models.SingleFault", "mode=4level,bug=skip-write-protect");
    assertFalse(result.held(), result.detail());
    assertTrue(result.detail().contains("replay: ./shadowref replay " + traces.resolve("M.trace.json")), result.detail());
    assertTrue(Files.exists(traces.resolve("M.trace.json")));
    assertEquals(1, result.failures().size(), "the violation is a point the report draws");
    org.shadowref.cli.report.Report.Failure figure =
        org.shadowref.cli.report.FailurePictures.draw(result.failures().get(0), result.claim());
    assertTrue(figure.drawn() && figure.expected().startsWith("native: "), figure.toString());
    assertEquals("./shadowref replay " + traces.resolve("M.trace.json"), figure.replay());
  }
}
