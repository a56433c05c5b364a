package org.shadowref.check.coverage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** proofs/coverage.md is what CoverageModel says, and lists every unreachable cell with its reason. */
class CoveragePageTest {
  @Test
  void theProofsPageIsInStepWithTheModel() throws Exception {
    String page = CoveragePage.render();
    assertEquals(page, Files.readString(Path.of("proofs", "coverage.md"), StandardCharsets.UTF_8),
        "proofs/coverage.md drifted: regenerate it with ./shadowref coverage --write-page proofs/coverage.md");
  }

  @Test
  void everyUnreachableCellIsOnThePageWithItsReason() {
    String page = CoveragePage.render();
    int listed = 0;
    for (Grid grid : CoverageModel.grids()) {
      for (int local = 0; local < grid.size(); local++) {
        String reason = grid.unreachable(local);
        if (reason != null) {
          listed++;
          assertTrue(page.contains("- " + reason + " ("), "reason missing: " + reason);
          assertTrue(page.contains(grid.name(local)), "cell missing: " + grid.name(local));
        }
      }
    }
    assertEquals(new Coverage().totals().unreachable(), listed);
    assertTrue(listed > 0 && listed < CoverageModel.cells());
  }
}
