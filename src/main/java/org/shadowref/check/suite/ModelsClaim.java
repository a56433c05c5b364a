package org.shadowref.check.suite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.explore.ExplorationReport;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.Harness;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.explore.ModelFile;
import org.shadowref.check.explore.Strategy;
import org.shadowref.check.explore.Trace;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceWriter;
import org.shadowref.shadow.core.SeededBug;

/**
 * Every model in models/ explores to its bound without a violation and reaches every coverage
 * label its harness declares: a label left unreached (a handler case, or a whole paging mode of
 * an engine model, whose labels are per mode) means the search checked less than it claims, and
 * fails the claim as a violation would.
 */
public final class ModelsClaim implements ClaimCheck {
  /** A thorough run's state limit: above the thorough bounds' 10^7 states, below what 4 GB of heap holds. */
  static final long THOROUGH_MAX_STATES = 30_000_000;
  private final Path directory;
  /** Where a model's first violation goes as a trace, for {@code ./shadowref replay}. */
  private final Path traces;

  /** Explores every {@code *.jpf} in {@code directory}; a violation's trace is written under {@code traces}. */
  public ModelsClaim(Path directory, Path traces) {
    this.directory = directory;
    this.traces = traces;
  }

  @Override
  public String claim() {
    return "every model in models/ explores without a violation and reaches every label it declares";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    List<Path> files;
    try {
      files = Listing.files(directory, "*.jpf");
    } catch (IOException e) {
      return new ClaimResult(claim(), "models/", false, NativeOracleClaim.seconds(start),
          "cannot list " + directory + ": " + e.getMessage(), List.of());
    }
    long states = 0;
    List<ClaimResult.FailurePoint> points = new ArrayList<>();
    StringBuilder detail = new StringBuilder();
    boolean held = !files.isEmpty();
    for (int i = 0; i < files.size(); i++) {
      Path file = files.get(i);
      progress.update("model " + file.getFileName(), i / (double) files.size());
      try {
        ModelFile model = ModelFile.read(file);
        // Thorough: the file's thorough bounds (up to 10^7 states), shared among the machine's cores.
        boolean thorough = preset == Preset.THOROUGH;
        ModelArgs args = thorough ? model.thoroughArgs() : model.args();
        // depth= belongs to the driver: read it before the harness checks that it used every argument.
        int depth = args.intValue("depth", -1, -1, 1_000_000);
        Harness<?> harness = ModelFile.instantiate(model.target(), args, file.toString());
        // Depth-first: the same states as breadth-first within the bound, without rebuilding states to expand them.
        ExplorationReport report = Explorer.explore(harness, ExplorerOptions.defaults()
            .withStrategy(Strategy.DFS)
            .withDepthBound(depth)
            .withMaxStates(thorough ? THOROUGH_MAX_STATES : preset.scaled(2_000_000))
            .withThreads(thorough ? Math.min(ExplorerOptions.MAX_THREADS, Runtime.getRuntime().availableProcessors()) : 1));
        states += report.states();
        boolean clean = report.violations().isEmpty();
        List<String> missed = report.coverage().missed();
        held &= clean && missed.isEmpty() && !report.vacuous();
        detail.append(detail.length() == 0 ? "" : "; ").append(String.format(Locale.ROOT, "%s: %,d states, %s",
            model.name(), report.states(), clean ? "no violation" : report.violations().size() + " violations"));
        if (report.vacuous()) {
          detail.append(", VACUOUS: no step completed");
        }
        if (!missed.isEmpty()) {
          detail.append(", never reached: ").append(String.join(", ", missed));
        }
        Trace first = report.firstViolation();
        if (first != null) {
          Path trace = traces.resolve(model.name() + ".trace.json");
          Files.createDirectories(traces);
          TraceFile written = first.toFile(model.name(), args.toString());
          TraceWriter.write(written, trace);
          detail.append(" (first: ").append(first.property()).append(" after ").append(first.length())
              .append(" steps; replay: ./shadowref replay ").append(trace).append(')');
          ClaimResult.FailurePoint point = failurePoint(model.name(), args, written, trace);
          if (point != null) {
            points.add(point);
          }
        }
      } catch (ModelFile.ModelFileException | IOException | RuntimeException e) {
        held = false;
        detail.append(detail.length() == 0 ? "" : "; ").append(file.getFileName()).append(": ").append(e.getMessage());
      }
    }
    String evidence = String.format(Locale.ROOT, "explicit-state search of %d models, %,d states in all", files.size(), states);
    return new ClaimResult(claim(), evidence, held, NativeOracleClaim.seconds(start), detail.toString(), points);
  }

  /**
   * The violation as a step the report can draw: the trace's guest and operations on native and
   * the reference engine (with the model's seeded bug, if any), failing at the last step. Null
   * where no engine can show it: an abstract model's trace (no guest), a guest with no frames
   * left for shadows (a native-only model), a seeded bug the engine does not carry (one of the
   * native MMU's), or a violation before any step.
   */
  private static ClaimResult.@Nullable FailurePoint failurePoint(String model, ModelArgs args, TraceFile file,
      Path trace) {
    GuestSnapshot world = file.world();
    if (world == null || file.ops().isEmpty() || world.machineFrames() <= world.guestFrameLimit()) {
      return null;
    }
    String named = args.value("bug");
    SeededBug bug = named == null || named.equals("none") ? null : SeededBug.named(named);
    if (named != null && !named.equals("none") && (bug == null || !bug.inReference())) {
      return null;
    }
    Scenario scenario = new Scenario(model, "a violation found by the model " + model + " (" + args + ")", "model",
        world, file.ops(), Collections.nCopies(file.ops().size(), Scenario.Expectation.ANYTHING));
    return new ClaimResult.FailurePoint(scenario, file.ops().size() - 1, StandardPlatforms.withReferenceBug(bug),
        "./shadowref replay " + trace);
  }
}
