package org.shadowref.check.suite;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.cli.report.FailurePictures;
import org.shadowref.cli.report.Report;
import org.shadowref.shadow.reference.ReferenceEngine;

class CampaignClaimTest {
  @TempDir Path traces;

  @Test
  void holdsForTheStandardPlatforms() {
    ClaimResult result = new CampaignClaim(StandardPlatforms.all(), 1, traces).run(Preset.QUICK, Progress.NONE);
    assertTrue(result.held(), result.detail());
    assertTrue(result.evidence().contains("2,500 ops"), result.evidence());
  }

  @Test
  void failsOnASeededBugWithAReplayableTraceAndAPointToDraw() throws Exception {
    ClaimResult result = new CampaignClaim(StandardPlatforms.withReferenceBug(ReferenceEngine.Bug.SKIP_WRITE_PROTECT), 1,
        traces).run(Preset.QUICK, Progress.NONE);
    assertFalse(result.held());
    assertTrue(result.detail().contains("replay: ./shadowref replay "), result.detail());
    try (var files = Files.list(traces)) {
      assertTrue(files.anyMatch(f -> f.toString().endsWith(".json")), "a trace was written");
    }
    assertFalse(result.failures().isEmpty());
    Report.Failure figure = FailurePictures.draw(result.failures().get(0));
    assertTrue(figure.shadowSvg().contains("table-tree"), figure.explanation());
  }
}
