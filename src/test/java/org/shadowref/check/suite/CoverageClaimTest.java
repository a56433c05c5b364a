package org.shadowref.check.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.check.coverage.Coverage;
import org.shadowref.check.coverage.CoverageModel;
import org.shadowref.check.coverage.Grid;

/** The coverage claim holds exactly when every reachable cell, and no unreachable one, was reached. */
class CoverageClaimTest {
  private static final Progress QUIET = (what, fraction) -> {};

  private static Coverage everyReachableCell() {
    Coverage coverage = new Coverage();
    for (Grid grid : CoverageModel.grids()) {
      for (int local = 0; local < grid.size(); local++) {
        if (grid.unreachable(local) == null) {
          coverage.hit(grid.offset() + local);
        }
      }
    }
    return coverage;
  }

  @Test
  void holdsWhenEveryReachableCellIsReached() {
    ClaimResult result = new CoverageClaim(everyReachableCell()).run(Preset.QUICK, QUIET);
    assertTrue(result.held(), result.detail());
    Coverage.Totals totals = new Coverage().totals();
    assertEquals("cells=" + totals.cells() + " reached=" + totals.missed() + " unreachable=" + totals.unreachable()
        + " missed=0", result.evidence());
  }

  @Test
  void failsOnOneMissedCellAndNamesIt() {
    Coverage coverage = new Coverage();
    Coverage all = everyReachableCell();
    int skipped = CoverageModel.CR3.cell(CoverageModel.Cr3Offset.LAST_SLOT.ordinal());
    for (int cell = 0; cell < CoverageModel.cells(); cell++) {
      if (cell != skipped && all.reached(cell)) {
        coverage.hit(cell);
      }
    }
    ClaimResult result = new CoverageClaim(coverage).run(Preset.QUICK, QUIET);
    assertFalse(result.held());
    assertTrue(result.detail().contains("cr3: PAE CR3 at 0xfe0"), result.detail());
  }

  @Test
  void failsWhenACellDeclaredUnreachableIsReached() {
    Coverage coverage = everyReachableCell();
    coverage.hit(CoverageModel.MODES.cell(CoverageModel.GuestPaging.PAE.ordinal(),
        CoverageModel.Shadowing.TWO_ON_TWO.ordinal()));
    ClaimResult result = new CoverageClaim(coverage).run(Preset.QUICK, QUIET);
    assertFalse(result.held());
    assertTrue(result.detail().contains("declared unreachable: modes: pae / 2-on-2"), result.detail());
  }

  @Test
  void failsWhenNothingWasObserved() {
    ClaimResult result = new CoverageClaim(new Coverage()).run(Preset.QUICK, QUIET);
    assertFalse(result.held());
    assertTrue(result.detail().startsWith("no cell reached"), result.detail());
  }

  @Test
  void theSuiteMakesTheClaimOnlyWhenAskedAndAfterTheRunsItJudges() {
    Path here = Path.of(".");
    List<ClaimCheck> without = Suite.standard(here, here, here, new Coverage(), false);
    List<ClaimCheck> with = Suite.standard(here, here, here, new Coverage(), true);
    assertEquals(without.size() + 1, with.size());
    int claim = -1;
    int campaign = -1;
    for (int i = 0; i < with.size(); i++) {
      claim = with.get(i) instanceof CoverageClaim ? i : claim;
      campaign = with.get(i) instanceof CampaignClaim ? i : campaign;
    }
    assertTrue(campaign >= 0 && claim > campaign, "the coverage claim must follow the campaign it judges");
    assertEquals(Suite.COVERAGE_CLAIM_BY_DEFAULT, Suite.standard(here, here, here).size() == with.size());
  }
}
