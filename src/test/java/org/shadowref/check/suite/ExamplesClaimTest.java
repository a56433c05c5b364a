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
    assertTrue(result.detail().contains("09-page-table-write.yaml step 2"), result.detail());
    ClaimResult.FailurePoint point = result.failures().stream()
        .filter(p -> p.scenario().name().equals("page-table-write")).findFirst().orElseThrow();
    assertEquals(2, point.step());
    Report.Failure figure = FailurePictures.draw(point, result.claim());
    assertTrue(figure.shadowSvg().contains("class=\"diff\""), "the stale shadow entry is highlighted");
    assertEquals("native: ok maddr=0x11000 value=0x2222; the scenario expects ok addr=0x11000 value=0x2222",
        figure.expected());
    assertEquals("reference: ok maddr=0x10000 value=0x1111", figure.actual());
    assertTrue(figure.replay().endsWith("09-page-table-write.yaml"), figure.replay());
    assertTrue(figure.guestSvg().contains("table-tree"));
  }
}
