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
    SideBySide.Run run = ShadowMemory.guard(file,
        () -> SideBySide.run(platforms, scenario.world(), scenario.ops(), scenario.expectations()));
    out.println(scenario.name() + " (" + scenario.handlerCase() + ")");
    if (!scenario.description().isEmpty()) {
      out.println("  " + scenario.description().trim());
    }
    printTable(out, run);
    int mismatched = 0;
    for (SideBySide.Step step : run.steps()) {
      if (!step.expectationMet()) {
        mismatched++;
      }
    }
    if (directory != null) {
      Path index = HtmlReport.write(report(scenario, platforms, run), directory);
      out.println("report written to " + index);
    }
    summary.put("file", file);
    if (seeded != null) {
      summary.put("bug", seeded);
    }
    summary.put("steps", run.steps().size())
        .put("diverged", run.firstDivergence() < 0 ? "none" : "step" + run.firstDivergence())
        .put("unmet", mismatched)
        .failIf(run.failedSteps() > 0);
  }

  /** The run as a report: one claim (the scenario holds on every platform) and its first failing step drawn. */
  private Report report(Scenario scenario, PlatformSet platforms, SideBySide.Run run) {
    String claim = "every step of " + file + " agrees with native and meets its expectation";
    Report report = new Report("shadowref run " + file + (bug == null ? "" : " --bug " + bug));
    String evidence = run.steps().size() + " steps on " + String.join(", ", run.platforms());
    report.add(new Report.Claim(claim, evidence, run.failedSteps() == 0, 0,
        run.failedSteps() == 0 ? "" : run.failedSteps() + " failing steps"));
    for (SideBySide.Step step : run.steps()) {
      if (!step.ok()) {
        report.add(FailurePictures.draw(new ClaimResult.FailurePoint(scenario, step.index(), platforms,
            "./shadowref run " + file + (bug == null ? "" : " --bug " + bug)), claim));
        break;
      }
    }
    return report;
  }

  static void printTable(PrintWriter out, SideBySide.Run run) {
    List<String> names = run.platforms();
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-4s %-44s", "step", "operation"));
    for (String name : names) {
      header.append(String.format(Locale.ROOT, " %-34s", name));
    }
    out.println(header.append(" verdict"));
    for (SideBySide.Step step : run.steps()) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-4d %-44s", step.index(), step.op()));
      for (OpResult result : step.results()) {
        row.append(String.format(Locale.ROOT, " %-34s", result));
      }
      String verdict = step.disagreement() != null
          ? "DIVERGED: " + step.disagreement()
          : !step.expectationMet() ? "UNEXPECTED: expected " + step.expectation() : "ok";
      out.println(row.append(' ').append(verdict));
    }
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
