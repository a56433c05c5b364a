package org.shadowref.check.coverage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * proofs/coverage.md: the dimensions of the handler's input space and every cell declared
 * unreachable, with its reason, generated from {@link CoverageModel} (CoveragePageTest keeps the
 * file in step).
 */
public final class CoveragePage {
  private CoveragePage() {}

  public static String render() {
    StringBuilder md = new StringBuilder();
    Coverage none = new Coverage();
    Coverage.Totals totals = none.totals();
    md.append("# Input-space coverage of the page-fault handler\n\n")
        .append("Generated from `org.shadowref.check.coverage.CoverageModel` by `./shadowref coverage --write-page")
        .append(" proofs/coverage.md`; `CoveragePageTest` fails when this page and the code part.\n\n")
        .append("The handler's input space is written down as groups of cells, each group a product of small\n")
        .append("dimensions (issue 16 §1). `./shadowref coverage` runs what `./shadowref check` runs for the\n")
        .append("campaign and the examples, classifies every step from outside the engines (the operation,\n")
        .append("native's guest state and native's walk of the guest tables; instructions once more on the SDM\n")
        .append("executor over a memory that drops every write), and prints which cells were reached. What only\n")
        .append("an engine sees (prefetch, out-of-sync resyncs, pool reclaims) comes through\n")
        .append("`shadow.ShadowEvents`; the invariants' readings through `check.diff.StepObserver#judged`.\n\n")
        .append(String.format("%d cells in %d groups: %d declared unreachable below, %d to be reached.%n%n",
            totals.cells(), CoverageModel.grids().size(), totals.unreachable(), totals.missed()));
    md.append("| group | cells | unreachable | dimensions | observed from |\n|---|---|---|---|---|\n");
    for (Grid grid : CoverageModel.grids()) {
      int unreachable = 0;
      for (int local = 0; local < grid.size(); local++) {
        unreachable += grid.unreachable(local) != null ? 1 : 0;
      }
      List<String> dims = new ArrayList<>();
      for (Grid.Dim dim : grid.dims()) {
        dims.add(dim.name() + " (" + String.join(", ", dim.values()) + ")");
      }
      md.append("| `").append(grid.id()).append("` ").append(grid.title()).append(" | ").append(grid.size())
          .append(" | ").append(unreachable).append(" | ").append(String.join(" × ", dims)).append(" | ")
          .append(grid.observed()).append(" |\n");
    }
    md.append("\nIn `store`, a cell whose offset plus width exceeds the entry size straddles two entries")
        .append(" (`CoverageModel.straddlesEntries`); `straddle` holds the stores that straddle two frames.\n");
    md.append("\n## Cells that cannot be reached, and why\n");
    for (Grid grid : CoverageModel.grids()) {
      Map<String, List<String>> byReason = new LinkedHashMap<>();
      for (int local = 0; local < grid.size(); local++) {
        String reason = grid.unreachable(local);
        if (reason != null) {
          byReason.computeIfAbsent(reason, r -> new ArrayList<>()).add(grid.name(local));
        }
      }
      if (byReason.isEmpty()) {
        continue;
      }
      md.append("\n### `").append(grid.id()).append("`: ").append(grid.title()).append("\n\n");
      for (Map.Entry<String, List<String>> entry : byReason.entrySet()) {
        md.append("- ").append(entry.getKey()).append(" (").append(entry.getValue().size()).append("): ")
            .append(String.join("; ", entry.getValue())).append('\n');
      }
    }
    return md.toString();
  }
}
