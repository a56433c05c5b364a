package org.shadowref.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkFiguresTest {
  @TempDir Path dir;

  private static String row(String workload, String mode, String engine, long faults, long nanos) {
    return String.format("{\"workload\": \"%s\", \"mode\": \"%s\", \"engine\": \"%s\", \"faults\": %d,"
        + " \"best_cpu_ns_per_run\": %d}", workload, mode, engine, faults, nanos);
  }

  @Test
  void pairsReferenceAndOptimizedPerWorkloadAndMode() throws Exception {
    Path file = dir.resolve("b.json");
    Files.writeString(file, "{\"format\": \"shadowref-bench\", \"version\": 1, \"results\": ["
        + row("demand", "4level", "reference", 1000, 1_000_000_000L) + ","
        + row("demand", "4level", "optimized", 1000, 100_000_000L) + ","
        + row("write", "pae", "reference", 500, 1_000_000_000L) + "]}");
    List<Report.Benchmark> rows = BenchmarkFigures.read(file);
    assertEquals(1, rows.size(), "write/pae has no optimized figure and is left out");
    assertEquals(new Report.Benchmark("demand", "4level", 1000, 10000), rows.get(0));
    assertEquals(10.0, rows.get(0).speedup(), 1e-9);
  }

  @Test
  void aFileThatIsNotBenchOutputIsRejected() throws Exception {
    Path notJson = dir.resolve("x.json");
    Files.writeString(notJson, "{\n  \"format\": ");
    assertTrue(assertThrows(IOException.class, () -> BenchmarkFigures.read(notJson)).getMessage().contains("not JSON"));
    Path wrong = dir.resolve("y.json");
    Files.writeString(wrong, "{\"format\": \"shadowref-bench\", \"version\": 1, \"results\": ["
        + row("demand", "4level", "turbo", 1, 1) + "]}");
    String message = assertThrows(IOException.class, () -> BenchmarkFigures.read(wrong)).getMessage();
    assertTrue(message.contains("results[0]"), message);
  }
}
