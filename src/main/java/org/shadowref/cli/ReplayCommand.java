package org.shadowref.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.SideBySide;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceFormatException;
import org.shadowref.check.trace.TraceReader;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.shadow.GuestOp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code shadowref replay FILE}: a trace (or scenario) on every platform, side by side. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = "Re-runs a trace or scenario on every platform side by side, shows where they part,"
        + " and checks every invariant after every step.")
public final class ReplayCommand extends SummaryCommand {
  @Parameters(paramLabel = "FILE", description = "A trace (.json, as campaigns and properties write them) or a scenario.")
  Path file = Path.of("");

  @Override
  protected void run(PrintWriter out, Summary summary) throws IOException {
    if (!Files.exists(file)) {
      throw new UserInputException("no such trace file: " + file);
    }
    if (Files.isDirectory(file)) {
      throw new UserInputException(file + ": is a directory, not a trace or scenario file");
    }
    GuestSnapshot world;
    List<GuestOp> ops;
    TraceFile.@Nullable Origin origin = null;
    try {
      if (isScenario(file)) {
        Scenario scenario = ScenarioReader.read(file);
        world = scenario.world();
        ops = scenario.ops();
      } else {
        TraceFile trace = TraceReader.read(file);
        GuestSnapshot traced = trace.world();
        if (traced == null) {
          throw new UserInputException(file + ": the trace has no world (an abstract model's trace):"
              + " replay it with 'shadowref explore'");
        }
        world = traced;
        ops = trace.ops();
        origin = trace.origin();
        if (trace.origin() != null) {
          out.println("found by " + trace.origin().model() + ": " + trace.origin().property()
              + " - " + trace.origin().detail());
        }
      }
    } catch (TraceFormatException e) {
      throw new UserInputException(String.valueOf(e.getMessage()));
    }
    PlatformSet platforms = StandardPlatforms.all();
    String bug = seededBug(origin);
    if (bug != null) {
      platforms = SeededBugNames.platforms(bug, file);
      out.println("the trace was recorded with the seeded bug " + bug + " switched on: replaying with it on ("
          + String.join(", ", platforms.names()) + ")");
    }
    PlatformSet chosen = platforms;
    SideBySide.Run run = ShadowMemory.guard(file, () -> SideBySide.run(chosen, world, ops, List.of()));
    RunCommand.printTable(out, run);
    Differential.Failure failure = ShadowMemory.guard(file, () -> Differential.check(chosen, world, ops));
    if (failure != null) {
      out.println("first failure: " + failure);
    }
    summary.put("file", file)
        .put("steps", run.steps().size())
        .put("diverged", run.firstDivergence() < 0 ? "none" : "step" + run.firstDivergence())
        .put("failure", failure == null ? "none" : failure.property() + "@step" + failure.step())
        .put("bug", bug == null ? "none" : bug)
        .failIf(failure != null || run.firstDivergence() >= 0);
  }

  /** The seeded bug named by {@code bug=NAME} in the origin's arguments, or null (none, or no origin). */
  static @Nullable String seededBug(TraceFile.@Nullable Origin origin) {
    if (origin == null) {
      return null;
    }
    for (String part : origin.args().split(",")) {
      String word = part.trim();
      if (word.startsWith("bug=") && !word.equals("bug=none")) {
        return word.substring("bug=".length());
      }
    }
    return null;
  }

  /** Scenarios are YAML, or JSON that says it is a scenario; everything else is a trace. */
  private static boolean isScenario(Path file) throws IOException {
    String name = file.toString();
    if (name.endsWith(".yaml") || name.endsWith(".yml")) {
      return true;
    }
    return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).contains("\"shadowref-scenario\"");
  }
}
