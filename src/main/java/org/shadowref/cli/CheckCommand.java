package org.shadowref.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.coverage.Coverage;
import org.shadowref.check.coverage.CoverageModel;
import org.shadowref.check.coverage.Grid;
import org.shadowref.check.coverage.MatrixText;
import org.shadowref.check.suite.ClaimCheck;
import org.shadowref.check.suite.ClaimResult;
import org.shadowref.check.suite.InvariantCatalogue;
import org.shadowref.check.suite.Preset;
import org.shadowref.check.suite.Suite;
import org.shadowref.cli.report.BenchmarkFigures;
import org.shadowref.cli.report.FailurePictures;
import org.shadowref.cli.report.HtmlReport;
import org.shadowref.cli.report.Report;
import org.shadowref.shadow.invariant.InvariantIds;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code shadowref check}: every claim shadowref makes, checked, with the evidence for each. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Checks every claim: the native oracle against the SDM, the Z3 lemmas, the models, the examples"
          + " on every engine, the differential campaign and the mutation table.",
      "Ends with a table claim -> evidence -> result -> time; exits 1 if any claim fails."
    })
public final class CheckCommand extends SummaryCommand {
  /** The figures recorded with the sources; the report charts them unless told otherwise. */
  static final Path BENCHMARKS = Path.of("proofs", "benchmarks.json");

  static final class Bounds {
    @Option(names = "--quick", description = "smaller bounds: a minute or two") boolean quick;
    @Option(names = "--thorough", description = "larger bounds: deeper models, longer campaigns") boolean thorough;
  }

  @ArgGroup(exclusive = true) @Nullable Bounds bounds;

  @Option(names = "--models", paramLabel = "DIR", description = "the models to explore (default: ${DEFAULT-VALUE})")
  Path models = Path.of("models");

  @Option(names = "--examples", paramLabel = "DIR", description = "the scenarios to run on every platform (default: ${DEFAULT-VALUE})")
  Path examples = Path.of("examples");

  @Option(names = "--traces", paramLabel = "DIR", description = "where traces of divergences go (default: ${DEFAULT-VALUE})")
  Path traces = Path.of("target", "check");

  @Option(names = "--benchmarks", paramLabel = "FILE",
      description = "benchmark figures the report charts, as ./shadowref bench --json writes them (default: ${DEFAULT-VALUE})")
  Path benchmarks = BENCHMARKS;

  @Option(names = "--report", paramLabel = "DIR", description = "also write a self-contained HTML report to DIR/index.html")
  @Nullable Path reportDir;

  @Option(names = "--coverage-claim", negatable = true,
      description = "also claim that every reachable cell of the handler's input space is reached"
          + " (default: on, except with --quick)")
  @Nullable Boolean coverageClaim;

  @Override
  protected void run(PrintWriter out, Summary summary) throws Exception {
    Preset preset = bounds == null ? Preset.STANDARD : bounds.quick ? Preset.QUICK : bounds.thorough ? Preset.THOROUGH : Preset.STANDARD;
    boolean terminal = System.console() != null;
    out.println("shadowref check (" + preset.name().toLowerCase(Locale.ROOT) + ")");
    long start = System.nanoTime();
    List<ClaimResult> results = new ArrayList<>();
    for (Path directory : List.of(models, examples)) {
      if (!Files.isDirectory(directory)) {
        throw new UserInputException("no such directory: " + directory + " (run from the repository root, or pass --models/--examples)");
      }
    }
    requireScenarios(examples);
    OutputPaths.requireWritableDirectory(traces, "--traces");
    if (reportDir != null) {
      OutputPaths.requireWritableDirectory(reportDir, "--report");
    }
    List<Report.Benchmark> figures = benchmarkFigures();
    Coverage coverage = new Coverage();
    Boolean asked = coverageClaim;
    boolean claimCoverage = asked != null ? asked : Suite.COVERAGE_CLAIM_BY_DEFAULT && preset != Preset.QUICK;
    List<ClaimCheck> claims = Suite.standard(models, examples, traces, coverage, claimCoverage);
    for (int i = 0; i < claims.size(); i++) {
      ClaimCheck claim = claims.get(i);
      ProgressBar bar = new ProgressBar(out, (i + 1) + "/" + claims.size() + " " + shortName(claim.claim()), terminal);
      ClaimResult result = claim.run(preset, bar);
      bar.finish();
      out.println(String.format(Locale.ROOT, "%s %s (%.1f s)", result.held() ? "held  " : "FAILED", result.claim(), result.seconds()));
      results.add(result);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    printTable(out, results);
    Coverage.Totals totals = coverage.totals();
    out.println(String.format(Locale.ROOT,
        "input-space coverage of the examples and the campaign: %d of %d reachable cells reached (./shadowref coverage)",
        totals.reached(), totals.reached() + totals.missed()));
    int failed = 0;
    for (ClaimResult result : results) {
      failed += result.held() ? 0 : 1;
    }
    Path directory = reportDir;
    if (directory != null) {
      Report report = report(results, preset);
      addCoverage(report, coverage);
      for (Report.Benchmark figure : figures) {
        report.add(figure);
      }
      if (!figures.isEmpty()) {
        report.benchmarkSource("Recorded in " + benchmarks + " by ./shadowref bench --json " + benchmarks
            + " (faults per second: runs of the page-fault handler per second of thread CPU time).");
      }
      Path index = HtmlReport.write(report, directory);
      out.println("report written to " + index);
    }
    summary.put("claims", results.size()).put("failed", failed).put("seconds", String.format(Locale.ROOT, "%.0f", seconds))
        .failIf(failed > 0);
  }

  /** The figures to chart: none when the default file is absent; a named file must exist and parse. */
  private List<Report.Benchmark> benchmarkFigures() {
    if (!Files.isRegularFile(benchmarks)) {
      if (benchmarks.equals(BENCHMARKS)) {
        return List.of();
      }
      throw new UserInputException("no such benchmark file: " + benchmarks);
    }
    try {
      return BenchmarkFigures.read(benchmarks);
    } catch (IOException e) {
      throw new UserInputException(String.valueOf(e.getMessage()));
    }
  }

  /** An examples directory with no scenario in it checks nothing: refused before the work starts. */
  private static void requireScenarios(Path directory) throws IOException {
    try (java.util.stream.Stream<Path> files = Files.list(directory)) {
      if (files.noneMatch(CheckCommand::isScenarioName)) {
        throw new UserInputException("no scenarios (*.yaml, *.yml, *.json) in " + directory
            + ": nothing to run; pass --examples DIR with at least one");
      }
    }
  }

  private static boolean isScenarioName(Path file) {
    String name = String.valueOf(file.getFileName());
    return (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json")) && !name.endsWith(".schema.json");
  }

  private static String shortName(String claim) {
    return claim.length() <= 24 ? claim : claim.substring(0, 23) + "…";
  }

  static void printTable(PrintWriter out, List<ClaimResult> results) {
    out.println();
    out.println(String.format(Locale.ROOT, "%-58s | %-8s | %7s | %s", "claim", "result", "time", "evidence; detail"));
    out.println("-".repeat(58) + "-+-" + "-".repeat(8) + "-+-" + "-".repeat(7) + "-+-" + "-".repeat(40));
    for (ClaimResult r : results) {
      out.println(String.format(Locale.ROOT, "%-58s | %-8s | %6.1fs | %s; %s", r.claim(), r.held() ? "held" : "FAILED",
          r.seconds(), r.evidence(), r.detail()));
    }
  }

  /** The input-space coverage matrix, one entry per group. */
  static void addCoverage(Report report, Coverage coverage) {
    for (Grid grid : CoverageModel.grids()) {
      int reached = 0;
      int reachable = 0;
      int unreachable = 0;
      List<String> missed = new ArrayList<>();
      for (int local = 0; local < grid.size(); local++) {
        boolean hit = coverage.reached(grid.offset() + local);
        if (grid.unreachable(local) != null) {
          unreachable++;
          continue;
        }
        reachable++;
        if (hit) {
          reached++;
        } else {
          missed.add(grid.name(local));
        }
      }
      report.add(new Report.CoverageGroup(grid.id(), grid.title(), reached, reachable, unreachable, missed,
          MatrixText.grid(coverage, grid)));
    }
  }

  private static Report report(List<ClaimResult> results, Preset preset) {
    Report report = new Report("shadowref check (" + preset.name().toLowerCase(Locale.ROOT) + ")");
    for (ClaimResult r : results) {
      report.add(new Report.Claim(r.claim(), r.evidence(), r.held(), r.seconds(), r.detail()));
    }
    for (ClaimResult r : results) {
      for (ClaimResult.FailurePoint point : r.failures()) {
        report.add(FailurePictures.draw(point, r.claim()));
      }
      if (!r.held() && r.failures().isEmpty()) {
        // A failure that is no scenario step (a model's violation, a surviving mutant): its detail says what and where.
        report.add(new Report.Failure(r.claim(), r.claim(), r.detail(), "", "", "", "", ""));
      }
    }
    for (String id : InvariantIds.all()) {
      report.add(new Report.Invariant(id, InvariantCatalogue.statement(Path.of("proofs"), id),
          "predicate in check.invariants, a seeded bug that trips it; proofs/invariants/" + id + ".md"));
    }
    return report;
  }
}
