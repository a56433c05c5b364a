package org.shadowref.check.suite;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.check.diff.Lane;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.diff.StepObserver;
import org.shadowref.cli.report.FailurePictures;
import org.shadowref.cli.report.Report;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.reference.ReferenceEngine;

class CampaignClaimTest {
  @TempDir Path traces;

  @Test
  void holdsForTheStandardPlatforms() {
    ClaimResult result = new CampaignClaim(StandardPlatforms.all(), 1, traces).run(Preset.QUICK, Progress.NONE);
    assertTrue(result.held(), result.detail());
    assertTrue(result.evidence().contains("2,500 ops"), result.evidence());
  }

  /**
   * Coverage closure: while the coverage says a cell is missed, at most two more rounds of a
   * quarter of the operations; none once it is closed.
   */
  @Test
  void topsUpWhileCoverageIsOpenAndAtMostTwice() {
    assertTrue(closure(() -> true).contains("2,500 ops on"), "closed from the start: no top-up");
    assertFalse(closure(() -> true).contains("top-up"));
    int[] asked = {0};
    String once = closure(() -> asked[0]++ > 0);
    assertTrue(once.contains("3,125 ops on") && once.contains("with 1 top-up round of 625 ops"), once);
    String never = closure(() -> false);
    assertTrue(never.contains("3,750 ops on") && never.contains("with 2 top-up rounds of 625 ops"), never);
  }

  private String closure(java.util.function.BooleanSupplier closed) {
    List<Lane> lanes = List.of(new Lane("every mode", StandardPlatforms.all(), null, 1));
    ClaimResult result = new CampaignClaim(lanes, 1, traces, 10_000, () -> StepObserver.NONE, closed)
        .run(Preset.QUICK, Progress.NONE);
    assertTrue(result.held(), result.detail());
    return result.evidence();
  }

  @Test
  void failsOnASeededBugWithAReplayableTraceAndAPointToDraw() throws Exception {
    ClaimResult result = new CampaignClaim(StandardPlatforms.withReferenceBug(SeededBug.SKIP_WRITE_PROTECT), 1,
        traces).run(Preset.QUICK, Progress.NONE);
    assertFalse(result.held());
    assertTrue(result.detail().contains("replay: ./shadowref replay "), result.detail());
    try (var files = Files.list(traces)) {
      assertTrue(files.anyMatch(f -> f.toString().endsWith(".json")), "a trace was written");
    }
    assertFalse(result.failures().isEmpty());
    Report.Failure figure = FailurePictures.draw(result.failures().get(0), result.claim());
    assertTrue(figure.shadowSvg().contains("table-tree"), figure.explanation());
    assertTrue(figure.replay().startsWith("./shadowref replay "), figure.replay());
    assertTrue(figure.expected().startsWith("native: ") && !figure.actual().isEmpty(), figure.toString());
  }
}
