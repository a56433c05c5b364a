package org.shadowref.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.SideBySide;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.check.trace.TraceFormatException;
import org.shadowref.shadow.OpResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code shadowref run FILE}: a scenario on native, reference and optimized, step by step. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Runs a scenario file on native, reference and optimized and prints each step side by side.")
public final class RunCommand extends SummaryCommand {
  @Parameters(paramLabel = "FILE", description = "A scenario (.yaml, .yml or .json); see examples/.")
  Path file = Path.of("");

  @Override
  protected void run(PrintWriter out, Summary summary) {
    Scenario scenario = readScenario(file);
    PlatformSet platforms = StandardPlatforms.all();
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
    summary.put("file", file)
        .put("steps", run.steps().size())
        .put("diverged", run.firstDivergence() < 0 ? "none" : "step" + run.firstDivergence())
        .put("unmet", mismatched)
        .failIf(run.failedSteps() > 0);
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
