package org.shadowref.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkFiguresTest {
  @TempDir Path dir;

  @Test
  void pairsReferenceAndOptimizedPerWorkloadAndMode() throws Exception {
    Path file = dir.resolve("b.json");
    Files.writeString(file, """
        {"format": "shadowref-bench", "version": 1, "results": [
          {"workload": "demand", "mode": "4level", "engine": "reference", "faults_per_s": 1000},
          {"workload": "demand", "mode": "4level", "engine": "optimized", "faults_per_s": 12000},
          {"workload": "write", "mode": "pae", "engine": "reference", "faults_per_s": 500},
          {"workload": "write", "mode": "pae", "engine": "optimized", "faults_per_s": 2500}]}
        """);
    List<Report.Benchmark> rows = BenchmarkFigures.read(file);
    assertEquals(2, rows.size());
    assertEquals(new Report.Benchmark("demand", "4level", 1000, 12000), rows.get(0));
    assertEquals(5.0, rows.get(1).speedup(), 1e-9);
  }

  @Test
  void aFileThatIsNotBenchOutputIsRejectedByField() throws Exception {
    Path notJson = dir.resolve("x.json");
    Files.writeString(notJson, "{\n  \"format\": ");
    assertTrue(assertThrows(BenchmarkFigures.BadFileException.class, () -> BenchmarkFigures.read(notJson))
        .getMessage().contains("not JSON"));
    Path wrong = dir.resolve("y.json");
    Files.writeString(wrong, "{\"format\": \"shadowref-bench\", \"results\": [{\"workload\": \"demand\", \"mode\": "
        + "\"4level\", \"engine\": \"turbo\", \"faults_per_s\": 1}]}");
    String message = assertThrows(BenchmarkFigures.BadFileException.class, () -> BenchmarkFigures.read(wrong)).getMessage();
    assertTrue(message.contains("results[0]") && message.contains("'engine'"), message);
  }
}
