package org.shadowref.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.SideBySide;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.suite.ClaimResult;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.check.trace.TraceFormatException;
import org.shadowref.cli.report.FailurePictures;
import org.shadowref.cli.report.HtmlReport;
import org.shadowref.cli.report.Report;
import org.shadowref.shadow.OpResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shadowref run FILE}: a scenario on native, reference and optimized, step by step; with
 * {@code --bug NAME}, on native and the engine carrying that seeded bug, to see a real divergence
 * (and, with {@code --report DIR}, to see it drawn).
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a scenario file on native, reference and optimized and prints each step side by side.",
      "--bug NAME runs it on native and the engine carrying a seeded bug instead (a demonstration);",
      "--report DIR writes an HTML page with the first failing step drawn."
    })
public final class RunCommand extends SummaryCommand {
  @Parameters(paramLabel = "FILE", description = "A scenario (.yaml, .yml or .json); see examples/.")
  Path file = Path.of("");

  @Option(names = "--bug", paramLabel = "NAME",
      description = "Switch on a seeded bug: reference:NAME or optimized:NAME, as ./shadowref mutants lists them.")
  @Nullable String bug;

  @Option(names = "--report", paramLabel = "DIR", description = "Also write DIR/index.html: the outcome, and the first failing step drawn.")
  @Nullable Path reportDir;

  @Override
  protected void run(PrintWriter out, Summary summary) throws java.io.IOException {
    Scenario scenario = readScenario(file);
    String seeded = bug;
    PlatformSet platforms = seeded == null ? StandardPlatforms.all()
        : SeededBugNames.platforms(seeded, "no seeded bug '" + seeded
            + "' in this build: name one as ./shadowref mutants lists them (reference:NAME or optimized:NAME)");
    Path directory = reportDir;
    if (directory != null) {
      OutputPaths.requireWritableDirectory(directory, "--report");
    }
    out.println(scenario.name() + " (" + scenario.handlerCase() + ")");
    if (!scenario.description().isEmpty()) {
      out.println("  " + scenario.description().trim());
    }
    printHeader(out, platforms.names());
    // Streamed: each step is printed and dropped, so a scenario of a million steps runs in little memory.
    Tally tally = new Tally(out);
    ShadowMemory.guard(file, () -> {
      SideBySide.stream(platforms, scenario.world(), scenario.ops(), scenario.expectations(),
          org.shadowref.check.diff.StepObserver.NONE, tally);
      return tally;
    });
    if (directory != null) {
      Path index = HtmlReport.write(report(scenario, platforms, tally), directory);
      out.println("report written to " + index);
    }
    summary.put("file", file);
    if (seeded != null) {
      summary.put("bug", seeded);
    }
    summary.put("steps", tally.steps)
        .put("diverged", tally.firstDivergence < 0 ? "none" : "step" + tally.firstDivergence)
        .put("unmet", tally.unmet)
        .failIf(tally.failed > 0);
  }

  /** Prints each step as it comes and counts what the summary needs. */
  private static final class Tally implements java.util.function.Consumer<SideBySide.Step> {
    private final PrintWriter out;
    int steps;
    int failed;
    int unmet;
    int firstDivergence = -1;
    int firstFailure = -1;

    Tally(PrintWriter out) {
      this.out = out;
    }

    @Override
    public void accept(SideBySide.Step step) {
      printRow(out, step);
      steps++;
      failed += step.ok() ? 0 : 1;
      unmet += step.expectationMet() ? 0 : 1;
      if (firstDivergence < 0 && step.disagreement() != null) {
        firstDivergence = step.index();
      }
      if (firstFailure < 0 && !step.ok()) {
        firstFailure = step.index();
      }
    }
  }

  /** The run as a report: one claim (the scenario holds on every platform) and its first failing step drawn. */
  private Report report(Scenario scenario, PlatformSet platforms, Tally tally) {
    String claim = "every step of " + file + " agrees with native and meets its expectation";
    Report report = new Report("shadowref run " + file + (bug == null ? "" : " --bug " + bug));
    String evidence = tally.steps + " steps on " + String.join(", ", platforms.names());
    report.add(new Report.Claim(claim, evidence, tally.failed == 0, 0,
        tally.failed == 0 ? "" : tally.failed + " failing steps"));
    if (tally.firstFailure >= 0) {
      report.add(FailurePictures.draw(new ClaimResult.FailurePoint(scenario, tally.firstFailure, platforms,
          "./shadowref run " + file + (bug == null ? "" : " --bug " + bug)), claim));
    }
    return report;
  }

  static void printTable(PrintWriter out, SideBySide.Run run) {
    printHeader(out, run.platforms());
    for (SideBySide.Step step : run.steps()) {
      printRow(out, step);
    }
  }

  private static void printHeader(PrintWriter out, List<String> names) {
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-4s %-44s", "step", "operation"));
    for (String name : names) {
      header.append(String.format(Locale.ROOT, " %-34s", name));
    }
    out.println(header.append(" verdict"));
  }

  private static void printRow(PrintWriter out, SideBySide.Step step) {
    StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-4d %-44s", step.index(), step.op()));
    for (OpResult result : step.results()) {
      row.append(String.format(Locale.ROOT, " %-34s", result));
    }
    String verdict = step.disagreement() != null
        ? "DIVERGED: " + step.disagreement()
        : !step.expectationMet() ? "UNEXPECTED: expected " + step.expectation() : "ok";
    out.println(row.append(' ').append(verdict));
  }

  /** The scenario in {@code file}; a missing or malformed file is bad input, named with line and field. */
  static Scenario readScenario(Path file) {
    if (!Files.exists(file)) {
      throw new UserInputException("no such scenario file: " + file);
    }
    try {
      return ScenarioReader.read(file);
    } catch (TraceFormatException e) {
      throw new UserInputException(String.valueOf(e.getMessage()));
    }
  }
}
