package org.shadowref.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.arch.PagingMode;

/** Speed-ups, table rows and the JSON round trip of measured results. */
class BenchReportTest {
  @TempDir Path dir;

  private static BenchResult result(EngineKind engine, long bestNanos, boolean agrees) {
    return new BenchResult(WorkloadKind.DEMAND, PagingMode.FOUR_LEVEL, engine, 1000, 1000, 7, bestNanos,
        bestNanos + 10, bestNanos + 20, 2000.0 * 1000, agrees);
  }

  @Test
  void theSpeedupIsTheRatioOfTheFastestRunsAndNeedsBothEngines() {
    BenchReport report = new BenchReport(List.of(
        result(EngineKind.REFERENCE, 8_000_000, true), result(EngineKind.OPTIMIZED, 2_000_000, true)));
    assertEquals(4.0, report.speedup(WorkloadKind.DEMAND, PagingMode.FOUR_LEVEL), 1e-9);
    assertNull(report.speedup(WorkloadKind.WRITE, PagingMode.FOUR_LEVEL));
    assertNull(new BenchReport(List.of(result(EngineKind.REFERENCE, 1, true))).speedup(WorkloadKind.DEMAND, PagingMode.FOUR_LEVEL));
    assertEquals("4.00", BenchReport.format(4.0));
    assertEquals("n/a", BenchReport.format(null));
    String row = BenchReport.row(result(EngineKind.OPTIMIZED, 2_000_000, true), result(EngineKind.REFERENCE, 8_000_000, true));
    assertTrue(row.matches("demand +4level +optimized +1000 +1000 +7 +500000 +2000\\.0 +2000\\.0 +2000\\.0 +4\\.00x"), row);
  }

  @Test
  void anEngineThatComputesSomethingElseIsMarkedAndFailsTheReport() {
    BenchReport report = new BenchReport(List.of(
        result(EngineKind.REFERENCE, 8_000_000, true), result(EngineKind.OPTIMIZED, 2_000_000, false)));
    assertTrue(!report.allAgree());
    assertTrue(BenchReport.row(report.results().get(1), report.results().get(0)).endsWith("DIFFERS"));
  }

  @Test
  void resultsSurviveTheJsonRoundTripAndAForeignFileIsRefusedByName() throws IOException {
    BenchReport report = new BenchReport(List.of(
        result(EngineKind.REFERENCE, 8_000_000, true), result(EngineKind.OPTIMIZED, 2_000_000, true)));
    Path file = dir.resolve("bench.json");
    report.writeJson(file, "test", 1);
    assertEquals(report.results(), BenchReport.readJson(file).results());

    Path foreign = dir.resolve("foreign.json");
    Files.writeString(foreign, "{\"format\": \"shadowref-trace\", \"version\": 1}");
    IOException refused = assertThrows(IOException.class, () -> BenchReport.readJson(foreign));
    assertTrue(refused.getMessage().contains("foreign.json"), refused.getMessage());
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"format\": ");
    assertTrue(assertThrows(IOException.class, () -> BenchReport.readJson(broken)).getMessage().contains("broken.json"));
  }

  @Test
  void theRecordedFiguresInProofsAreReadable() throws IOException {
    BenchReport recorded = BenchReport.readJson(Path.of("proofs", "benchmarks.json"));
    assertEquals(WorkloadKind.values().length * PagingMode.values().length * EngineKind.values().length,
        recorded.results().size());
    assertTrue(recorded.allAgree());
  }
}
