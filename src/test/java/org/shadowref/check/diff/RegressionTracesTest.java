package org.shadowref.check.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceFormatException;
import org.shadowref.check.trace.TraceReader;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.shadow.GuestOp;

/**
 * Every trace in {@code src/test/resources/regressions} is a divergence the campaign once found
 * in the engines (shrunk, as {@code check} writes it). Each replays on every lane of the campaign
 * without a failure, so the bug it showed stays fixed in every configuration.
 */
class RegressionTracesTest {
  private static final Path DIRECTORY = Path.of("src/test/resources/regressions");

  @Test
  void everyRegressionTraceHoldsOnEveryLane() throws IOException, TraceFormatException {
    List<Path> traces;
    try (Stream<Path> files = Files.list(DIRECTORY)) {
      traces = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
    assertFalse(traces.isEmpty(), "no regression traces in " + DIRECTORY);
    List<String> failures = new ArrayList<>();
    for (Path path : traces) {
      TraceFile trace = TraceReader.read(path);
      GuestSnapshot world = trace.world();
      if (world == null) {
        failures.add(path.getFileName() + ": no world");
        continue;
      }
      for (Lane lane : StandardPlatforms.campaignLanes()) {
        Differential.Stepper stepper = new Differential.Stepper(lane.platforms(), world);
        for (GuestOp op : trace.ops()) {
          Differential.Failure failure = stepper.step(op);
          if (failure != null) {
            failures.add(path.getFileName() + " on " + lane.name() + ": " + failure);
            break;
          }
        }
      }
    }
    assertEquals(List.of(), failures);
  }
}
