package org.shadowref.check.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.cli.report.FailurePictures;
import org.shadowref.cli.report.Report;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.reference.ReferenceEngine;

class ExamplesClaimTest {

  @Test
  void holdsForTheReferenceEngine() {
    ClaimResult result = new ExamplesClaim(Path.of("examples"), StandardPlatforms.all()).run(Preset.QUICK, Progress.NONE);
    assertTrue(result.held(), result.detail());
    assertTrue(result.failures().isEmpty());
  }

  @Test
  void failsWithAPointToDrawWhenTheEngineForgetsToRevalidate() {
    PlatformSet buggy = StandardPlatforms.withReferenceBug(SeededBug.SKIP_REVALIDATE);
    ClaimResult result = new ExamplesClaim(Path.of("examples"), buggy).run(Preset.QUICK, Progress.NONE);
    assertFalse(result.held());
    // The store whose shadow entry was not revalidated fails at once: every invariant is judged
    // after every step, before any access uses the stale entry.
    assertTrue(result.detail().contains("09-page-table-write.yaml step 1"), result.detail());
    ClaimResult.FailurePoint point = result.failures().stream()
        .filter(p -> p.scenario().name().equals("page-table-write")).findFirst().orElseThrow();
    assertEquals(1, point.step());
    Report.Failure figure = FailurePictures.draw(point, result.claim());
    assertTrue(figure.shadowSvg().contains("class=\"diff\""), "the stale shadow entry is highlighted");
    assertTrue(figure.expected().startsWith("native: ok maddr=0x23000"), figure.expected());
    assertTrue(figure.actual().contains("reference breaks INV-NO-AMPLIFY"), figure.actual());
    assertTrue(figure.replay().endsWith("09-page-table-write.yaml"), figure.replay());
    assertTrue(figure.guestSvg().contains("table-tree"));
  }
}
