package org.shadowref.check.suite;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.SideBySide;
import org.shadowref.check.diff.StepObserver;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.trace.Scenario;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.check.trace.TraceFormatException;

/**
 * Every scenario in examples/ (one per case of the handler's flow) gives on every engine what it
 * gives on native, step by step and frame by frame, and meets its own expectations. A failure
 * carries the picture of the guest tree beside the shadow tree at the first step that parted.
 */
public final class ExamplesClaim implements ClaimCheck {
  private final Path directory;
  private final PlatformSet platforms;
  private final StepObserver observer;

  public ExamplesClaim(Path directory, PlatformSet platforms) {
    this(directory, platforms, StepObserver.NONE);
  }

  /** The examples with {@code observer} watching every step (input-space coverage). */
  public ExamplesClaim(Path directory, PlatformSet platforms, StepObserver observer) {
    this.directory = directory;
    this.platforms = platforms;
    this.observer = observer;
  }

  @Override
  public String claim() {
    return "every engine equals native on every example scenario";
  }

  @Override
  public ClaimResult run(Preset preset, Progress progress) {
    long start = System.nanoTime();
    List<Path> files;
    try {
      files = Listing.files(directory, "*.{yaml,yml,json}");
    } catch (IOException e) {
      return new ClaimResult(claim(), "examples/", false, NativeOracleClaim.seconds(start),
          "cannot list " + directory + ": " + e.getMessage(), List.of());
    }
    int steps = 0;
    List<String> failures = new ArrayList<>();
    List<ClaimResult.FailurePoint> points = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      Path file = files.get(i);
      progress.update(Listing.name(file), i / (double) files.size());
      try {
        Scenario scenario = ScenarioReader.read(file);
        SideBySide.Run run = SideBySide.run(platforms, scenario.world(), scenario.ops(), scenario.expectations(),
            observer);
        steps += run.steps().size();
        for (SideBySide.Step step : run.steps()) {
          if (!step.ok()) {
            String why = step.disagreement() != null ? step.disagreement() : "expected " + step.expectation() + ", native gave " + step.results().get(0);
            failures.add(Listing.name(file) + " step " + step.index() + ": " + why);
            points.add(new ClaimResult.FailurePoint(scenario, step.index(), platforms, "./shadowref run " + file));
            break;
          }
        }
      } catch (TraceFormatException | RuntimeException e) {
        failures.add(Listing.name(file) + ": " + e.getMessage());
      }
    }
    String evidence = String.format(Locale.ROOT, "%d scenarios, %d steps, on %s", files.size(), steps,
        String.join(", ", platforms.names()));
    String detail = files.isEmpty() ? "no scenarios found in " + directory + ": nothing was checked"
        : failures.isEmpty() ? "every step and every guest frame agree" : String.join("; ", failures);
    return new ClaimResult(claim(), evidence, failures.isEmpty() && !files.isEmpty(), NativeOracleClaim.seconds(start),
        detail, points);
  }

  /**
   * The scenarios of {@code directory} as cases (their guests and operations, without the
   * expectations), in name order; a scenario that does not read is left out (this claim reports
   * it). The mutation score tries them before generated cases.
   */
  public static List<GeneratedCase> asCases(Path directory) throws IOException {
    List<GeneratedCase> cases = new ArrayList<>();
    for (Path file : Listing.files(directory, "*.{yaml,yml,json}")) {
      try {
        Scenario scenario = ScenarioReader.read(file);
        cases.add(new GeneratedCase(scenario.world(), scenario.ops()));
      } catch (TraceFormatException | RuntimeException e) {
        continue; // reported by the examples claim
      }
    }
    return cases;
  }
}
