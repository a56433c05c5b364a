package org.shadowref.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.coverage.Coverage;
import org.shadowref.check.coverage.CoverageModel;
import org.shadowref.check.coverage.CoveragePage;
import org.shadowref.check.coverage.MatrixText;
import org.shadowref.check.suite.ClaimCheck;
import org.shadowref.check.suite.ClaimResult;
import org.shadowref.check.suite.Preset;
import org.shadowref.check.suite.Suite;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code shadowref coverage}: which cells of the page-fault handler's input space check reaches. */
@Command(
    name = "coverage",
    mixinStandardHelpOptions = true,
    description = {
      "Runs what check runs for the examples and the campaign (at the chosen preset), classifies every"
          + " step into the cells of the handler's input space, and prints the matrix.",
      "Exits 1 if a reachable cell was missed (or a run failed, or a cell declared unreachable was reached)."
    })
public final class CoverageCommand extends SummaryCommand {
  static final class Bounds {
    @Option(names = "--quick", description = "the examples and check --quick's campaign") boolean quick;
    @Option(names = "--thorough", description = "the examples and check --thorough's campaign") boolean thorough;
  }

  @ArgGroup(exclusive = true) @Nullable Bounds bounds;

  @Option(names = "--examples", paramLabel = "DIR", description = "the scenarios to run (default: ${DEFAULT-VALUE})")
  Path examples = Path.of("examples");

  @Option(names = "--traces", paramLabel = "DIR", description = "where traces of divergences go (default: ${DEFAULT-VALUE})")
  Path traces = Path.of("target", "coverage");

  @Option(names = "--write-page", paramLabel = "FILE",
      description = "only write the model's page (dimensions, unreachable cells and why), e.g. proofs/coverage.md")
  @Nullable Path page;

  @Override
  protected void run(PrintWriter out, Summary summary) throws Exception {
    Path target = page;
    if (target != null) {
      Files.writeString(target, CoveragePage.render(), StandardCharsets.UTF_8);
      out.println("wrote " + target);
      Coverage.Totals totals = new Coverage().totals();
      summary.put("cells", totals.cells()).put("unreachable", totals.unreachable()).put("page", target);
      return;
    }
    if (!Files.isDirectory(examples)) {
      throw new UserInputException("no such directory: " + examples + " (run from the repository root, or pass --examples)");
    }
    Preset preset = bounds == null ? Preset.STANDARD : bounds.quick ? Preset.QUICK : bounds.thorough ? Preset.THOROUGH : Preset.STANDARD;
    out.println("shadowref coverage (" + preset.name().toLowerCase(Locale.ROOT) + "): " + CoverageModel.cells()
        + " cells in " + CoverageModel.grids().size() + " groups");
    Coverage coverage = new Coverage();
    boolean terminal = System.console() != null;
    int failedRuns = 0;
    List<ClaimCheck> runs = Suite.coverageRuns(examples, traces, coverage);
    for (ClaimCheck run : runs) {
      ProgressBar bar = new ProgressBar(out, run.claim().length() <= 24 ? run.claim() : run.claim().substring(0, 23) + "…",
          terminal);
      ClaimResult result = run.run(preset, bar);
      bar.finish();
      out.println(String.format(Locale.ROOT, "%s %s (%.1f s): %s", result.held() ? "held  " : "FAILED", result.claim(),
          result.seconds(), result.evidence()));
      if (!result.held()) {
        failedRuns++;
        out.println("  " + result.detail());
      }
    }
    out.println();
    out.print(MatrixText.render(coverage));
    List<String> contradictions = coverage.contradictions();
    for (String cell : contradictions) {
      out.println("reached a cell declared unreachable (the model is wrong there): " + cell);
    }
    if (failedRuns > 0) {
      out.println(failedRuns + " run(s) failed: their coverage stops where they failed");
    }
    Coverage.Totals totals = coverage.totals();
    summary.put("cells", totals.cells()).put("reached", totals.reached()).put("unreachable", totals.unreachable())
        .put("missed", totals.missed())
        .failIf(totals.missed() > 0 || failedRuns > 0 || !contradictions.isEmpty());
  }
}
