package org.shadowref.cli.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.shadowref.arch.PagingMode;
import org.shadowref.bench.BenchReport;
import org.shadowref.bench.BenchResult;
import org.shadowref.bench.EngineKind;
import org.shadowref.bench.WorkloadKind;

/**
 * The figures {@code shadowref bench --json FILE} writes, as report rows: reference and optimized
 * throughput side by side for each workload and mode both engines ran.
 */
public final class BenchmarkFigures {
  private BenchmarkFigures() {}

  /** Reads {@code file}; an unreadable or malformed file is an IOException naming what is wrong. */
  public static List<Report.Benchmark> read(Path file) throws IOException {
    BenchReport bench = BenchReport.readJson(file);
    List<Report.Benchmark> rows = new ArrayList<>();
    for (WorkloadKind workload : WorkloadKind.values()) {
      for (PagingMode mode : PagingMode.values()) {
        BenchResult reference = bench.find(workload, mode, EngineKind.REFERENCE);
        BenchResult optimized = bench.find(workload, mode, EngineKind.OPTIMIZED);
        if (reference != null && optimized != null) {
          rows.add(new Report.Benchmark(workload.cliName(), mode.cliName(), reference.faultsPerSecond(),
              optimized.faultsPerSecond()));
        }
      }
    }
    return rows;
  }
}
