package org.shadowref.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.explore.Coverage;
import org.shadowref.check.explore.ExplorationReport;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.Harness;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.explore.ModelFile;
import org.shadowref.check.explore.NondeterministicHarnessException;
import org.shadowref.check.explore.Replay;
import org.shadowref.check.explore.Strategy;
import org.shadowref.check.explore.Trace;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceFormatException;
import org.shadowref.check.trace.TraceReader;
import org.shadowref.check.trace.TraceWriter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code explore models/NAME.jpf}: explicit-state search of a model. */
@Command(
    name = "explore",
    mixinStandardHelpOptions = true,
    description = {
      "Explores every state of a model (a models/NAME.jpf file) within a depth bound, checking its",
      "properties in each, and prints the shortest trace to the first violation (also written as a",
      "replayable JSON trace)."
    })
public final class ExploreCommand extends SummaryCommand {
  @Parameters(index = "0", paramLabel = "MODEL.jpf", description = "the model's JPF configuration file")
  Path modelFile = Paths.get("");

  @Option(names = "--depth", paramLabel = "K", description = "explore K steps deep (-1: no bound); overrides depth= in the file")
  @Nullable Integer depth;

  static final class Order {
    @Option(names = "--bfs", description = "breadth-first: shortest traces (the default)")
    boolean bfs;

    @Option(names = "--dfs", description = "depth-first: keeps only the search paths; the same states within a bound")
    boolean dfs;
  }

  @ArgGroup(exclusive = true)
  @Nullable Order order;

  @Option(names = "--thorough", description = "the model file's thorough bounds (shadowref.thorough.args; else one step deeper), as check --thorough explores")
  boolean thorough;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override one of the model's arguments (repeatable)")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--max-states", paramLabel = "N", description = "stop after N states (default ${DEFAULT-VALUE})")
  long maxStates = 100_000_000L;

  @Option(names = "--max-violations", paramLabel = "N", description = "stop after N violations (default ${DEFAULT-VALUE})")
  int maxViolations = 1;

  @Option(names = "--trace-out", paramLabel = "FILE", description = "where to write the first violation's trace (default report/explore/NAME.trace.json)")
  @Nullable Path traceOut;

  @Option(names = "--replay", paramLabel = "TRACE.json", description = "re-run a trace file's recorded answers in the model (with the trace's model arguments) instead of searching")
  @Nullable Path replay;

  @Option(names = "--progress", paramLabel = "SECONDS", description = "seconds between progress lines (default ${DEFAULT-VALUE})")
  double progressSeconds = 5;

  @Option(names = "--threads", paramLabel = "N", description = "threads searching at once (default ${DEFAULT-VALUE}; more pay on long runs, see proofs/models.md)")
  int threads = 1;

  @Override
  protected void run(PrintWriter out, Summary summary) throws IOException {
    if (maxStates < 1 || maxStates > ExplorerOptions.MAX_STATES || maxViolations < 1 || progressSeconds <= 0) {
      throw new UserInputException("--max-violations and --progress must be positive, --max-states within 1.."
          + ExplorerOptions.MAX_STATES);
    }
    if (threads < 1 || threads > ExplorerOptions.MAX_THREADS) {
      throw new UserInputException("--threads must be within 1.." + ExplorerOptions.MAX_THREADS + ", got " + threads);
    }
    ModelFile file;
    ModelArgs args;
    Harness<?> harness;
    int depthBound;
    TraceFile.Origin origin = null;
    try {
      file = ModelFile.read(modelFile);
      args = thorough ? file.thoroughArgs() : file.args();
      if (replay != null) {
        origin = TraceReader.read(replay).origin();
        if (origin == null) {
          throw new UserInputException(replay + ": the trace has no origin: it was not found by a model");
        }
        args = ModelArgs.parse(origin.args().isEmpty() ? new String[0] : origin.args().split(","));
      }
      for (String override : overrides) {
        ModelArgs.parse(override); // rejects words that are not key=value
        int equals = override.indexOf('=');
        args = args.with(override.substring(0, equals).trim(), override.substring(equals + 1).trim());
      }
      if (depth != null) {
        args = args.with("depth", String.valueOf(depth));
      }
      depthBound = args.intValue("depth", -1, -1, 1_000_000);
      harness = ModelFile.instantiate(file.target(), args, modelFile.toString());
    } catch (ModelFile.ModelFileException e) {
      throw new UserInputException(String.valueOf(e.getMessage()));
    } catch (TraceFormatException e) {
      throw new UserInputException(String.valueOf(e.getMessage()));
    } catch (IllegalArgumentException e) {
      throw new UserInputException(modelFile + ": " + e.getMessage());
    }
    if (origin != null) {
      replay(out, summary, file.name(), harness, origin);
      return;
    }
    if (traceOut != null) {
      OutputPaths.requireWritableFile(traceOut, "--trace-out");
    }
    Strategy strategy = order != null && order.dfs ? Strategy.DFS : Strategy.BFS;
    String name = file.name();
    out.println("explore: model " + name + " (" + harness.getClass().getName() + ") args=" + args
        + " " + strategy.name().toLowerCase(java.util.Locale.ROOT)
        + (depthBound < 0 ? " without a depth bound" : " to depth " + depthBound)
        + (threads == 1 ? "" : ", " + threads + " threads"));
    out.flush();
    ExplorerOptions options = ExplorerOptions.defaults()
        .withStrategy(strategy)
        .withDepthBound(depthBound)
        .withMaxStates(maxStates)
        .withMaxViolations(maxViolations)
        .withProgress(out, progressSeconds)
        .withThreads(threads);
    ExplorationReport report;
    try {
      report = Explorer.explore(harness, options);
    } catch (NondeterministicHarnessException e) {
      summary.put("model", name).put("error", e.getMessage()).fail();
      return;
    }
    printCoverage(out, report.coverage());
    if (!report.exhausted()) {
      out.println("the search stopped early (state or violation limit): the counts are a lower bound");
    }
    if (report.unexpandedAtBound() > 0) {
      out.println(report.unexpandedAtBound() + " states lie on the depth bound; their successors were not explored");
    }
    String tracePath = "";
    Trace first = report.firstViolation();
    if (first != null) {
      out.print(first.render());
      Path target = traceOut != null ? traceOut : Paths.get("report", "explore", name + ".trace.json");
      Path parent = target.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      TraceWriter.write(first.toFile(name, args.toString()), target);
      tracePath = target.toString();
      out.println("trace written to " + tracePath);
    }
    summary.put("model", name)
        .put("states", report.states())
        .put("transitions", report.transitions())
        .put("completed", report.completedSteps())
        .put("depth", report.maxDepth())
        .put("violations", report.violations().size())
        .put("states_per_s", report.statesPerSecond())
        .put("strategy", strategy.name().toLowerCase(java.util.Locale.ROOT))
        .put("complete", report.exhausted() && report.unexpandedAtBound() == 0)
        .put("coverage", report.coverage().reached() + "/" + report.coverage().labels().size())
        .put("heap_mb", report.peakHeapBytes() >> 20)
        .put("kept_bytes_per_state", report.keptBytesPerState())
        .put("threads", threads)
        .put("seconds", String.format(java.util.Locale.ROOT, "%.2f", report.elapsedNanos() / 1e9));
    if (!tracePath.isEmpty()) {
      summary.put("trace", tracePath);
    }
    // A search that completed no step, or left a declared label unreached, checked less than the
    // model claims: that is a failure, never "no violations".
    if (report.vacuous()) {
      out.println("VACUOUS: the search completed no step (every step was skipped or ended at once)");
    }
    List<String> missed = report.coverage().missed();
    summary.put("unreached", missed.size());
    if (!missed.isEmpty()) {
      out.println("UNREACHED: " + missed.size() + " declared labels were never reached: " + String.join(", ", missed));
    }
    summary.failIf(!report.violations().isEmpty() || report.vacuous() || !missed.isEmpty());
  }

  private void replay(PrintWriter out, Summary summary, String name, Harness<?> harness, TraceFile.Origin origin) {
    if (!origin.model().equals(name)) {
      out.println("note: the trace was found by model " + origin.model() + ", replaying it in " + name);
    }
    Trace trace;
    try {
      trace = Replay.run(harness, origin.choices());
    } catch (Replay.ReplayException e) {
      throw new UserInputException(replay + ": " + e.getMessage());
    }
    boolean violated = !trace.property().isEmpty();
    if (violated) {
      out.print(trace.render());
    } else {
      out.println("the trace ran to its end without a violation (it recorded '" + origin.property() + "'):");
      for (int i = 0; i < trace.steps().size(); i++) {
        for (String note : trace.steps().get(i).notes()) {
          out.println("  " + (i == 0 ? "initial" : "step " + i) + ": " + note);
        }
      }
    }
    summary.put("model", name)
        .put("replay", replay)
        .put("steps", trace.length())
        .put("violations", violated ? 1 : 0)
        .put("reproduced", violated && trace.property().equals(origin.property()));
    summary.failIf(violated);
  }

  private static void printCoverage(PrintWriter out, Coverage coverage) {
    out.println("coverage: " + coverage.reached() + " of " + coverage.labels().size() + " labels reached");
    for (String label : coverage.labels()) {
      out.printf("  %-32s %d%n", label, coverage.count(label));
    }
    List<String> missed = coverage.missed();
    if (!missed.isEmpty()) {
      out.println("  never reached: " + String.join(", ", missed));
    }
  }
}
