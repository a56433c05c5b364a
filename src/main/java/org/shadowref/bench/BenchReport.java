package org.shadowref.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;

/** The measured results, as the side-by-side table, speed-ups and JSON. */
public final class BenchReport {
  /** The table's header; {@link #row} lines up under it. */
  public static final String HEADER = String.format(Locale.ROOT, "%-8s %-6s %-9s %6s %6s %5s %12s %10s %9s %9s %8s",
      "workload", "mode", "engine", "faults", "ops", "runs", "faults/s", "ns/fault", "ns/op", "B/fault", "speedup");

  private final List<BenchResult> results;

  public BenchReport(List<BenchResult> results) {
    this.results = List.copyOf(results);
  }

  public List<BenchResult> results() {
    return results;
  }

  public @Nullable BenchResult find(WorkloadKind workload, PagingMode mode, EngineKind engine) {
    for (BenchResult result : results) {
      if (result.workload() == workload && result.mode() == mode && result.engine() == engine) {
        return result;
      }
    }
    return null;
  }

  /**
   * Optimized throughput over reference throughput on one workload and mode (the ratio of their
   * fastest runs' times, as both do the same work), or null when either was not measured.
   */
  public @Nullable Double speedup(WorkloadKind workload, PagingMode mode) {
    BenchResult reference = find(workload, mode, EngineKind.REFERENCE);
    BenchResult optimized = find(workload, mode, EngineKind.OPTIMIZED);
    if (reference == null || optimized == null) {
      return null;
    }
    return (double) reference.bestNanos() / Math.max(1, optimized.bestNanos());
  }

  /**
   * The reference engine's own time over the optimized engine's: each one's time per operation
   * above native's (the simulated hardware's share), or null when one of the three was not
   * measured or an engine was no slower than native.
   */
  public @Nullable Double ownTimeSpeedup(WorkloadKind workload, PagingMode mode) {
    BenchResult reference = find(workload, mode, EngineKind.REFERENCE);
    BenchResult optimized = find(workload, mode, EngineKind.OPTIMIZED);
    BenchResult nativeRun = find(workload, mode, EngineKind.NATIVE);
    if (reference == null || optimized == null || nativeRun == null) {
      return null;
    }
    long referenceOwn = reference.bestNanos() - nativeRun.bestNanos();
    long optimizedOwn = optimized.bestNanos() - nativeRun.bestNanos();
    return referenceOwn <= 0 || optimizedOwn <= 0 ? null : (double) referenceOwn / optimizedOwn;
  }

  /** Whether the optimized engine's results equalled the reference engine's on every workload. */
  public boolean allAgree() {
    for (BenchResult result : results) {
      if (!result.agrees()) {
        return false;
      }
    }
    return true;
  }

  /** One table line; the optimized engine's line carries its speed-up over the reference. */
  public static String row(BenchResult result, @Nullable BenchResult reference) {
    String speedup = "-";
    if (reference != null && result.engine() != EngineKind.REFERENCE) {
      speedup = String.format(Locale.ROOT, "%.2fx", (double) reference.bestNanos() / Math.max(1, result.bestNanos()));
    }
    if (!result.agrees()) {
      speedup = "DIFFERS";
    }
    return String.format(Locale.ROOT, "%-8s %-6s %-9s %6d %6d %5d %12.0f %10.1f %9.1f %9.1f %8s",
        result.workload().cliName(), result.mode().cliName(), result.engine().cliName(), result.faults(),
        result.ops(), result.runs(), result.faultsPerSecond(), result.nanosPerFault(), result.nanosPerOp(),
        result.bytesPerFault(), speedup);
  }

  /** A speed-up as the summary line prints it: two decimals, or {@code n/a}. */
  public static String format(@Nullable Double speedup) {
    return speedup == null ? "n/a" : String.format(Locale.ROOT, "%.2f", speedup);
  }

  /** Writes the results as JSON (format {@code shadowref-bench}, version 1) to {@code file}. */
  public void writeJson(Path file, String preset, long seed) throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("format", "shadowref-bench");
    root.put("version", 1);
    root.put("preset", preset);
    root.put("seed", seed);
    root.put("java", System.getProperty("java.version", "unknown"));
    root.put("processors", Runtime.getRuntime().availableProcessors());
    root.put("fault_unit", "runs of the reference engine's page-fault handler on the workload");
    root.put("time", "thread CPU time of the fastest timed run (figures, speedups); medians alongside");
    List<Map<String, Object>> rows = new ArrayList<>();
    for (BenchResult result : results) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("workload", result.workload().cliName());
      row.put("mode", result.mode().cliName());
      row.put("engine", result.engine().cliName());
      row.put("faults", result.faults());
      row.put("ops", result.ops());
      row.put("runs", result.runs());
      row.put("best_cpu_ns_per_run", result.bestNanos());
      row.put("median_cpu_ns_per_run", result.medianNanos());
      row.put("median_wall_ns_per_run", result.medianWallNanos());
      row.put("faults_per_s", Math.round(result.faultsPerSecond()));
      row.put("ns_per_fault", round(result.nanosPerFault()));
      row.put("ns_per_op", round(result.nanosPerOp()));
      row.put("bytes_per_fault", round(result.bytesPerFault()));
      row.put("agrees_with_reference", result.agrees());
      @Nullable Double speedup = result.engine() == EngineKind.REFERENCE ? null : speedup(result.workload(), result.mode());
      if (speedup != null) {
        row.put("speedup", round(speedup.doubleValue()));
      }
      rows.add(row);
    }
    root.put("results", rows);
    Map<String, @Nullable Double> summary = new LinkedHashMap<>();
    summary.put("demand_speedup", round(speedup(WorkloadKind.DEMAND, PagingMode.FOUR_LEVEL)));
    summary.put("write_speedup", round(speedup(WorkloadKind.WRITE, PagingMode.FOUR_LEVEL)));
    summary.put("switch_speedup", round(speedup(WorkloadKind.SWITCH, PagingMode.FOUR_LEVEL)));
    for (WorkloadKind kind : WorkloadKind.values()) {
      summary.put(kind.cliName() + "_own_time_speedup", round(ownTimeSpeedup(kind, PagingMode.FOUR_LEVEL)));
    }
    root.put("summary_4level", summary);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
  }

  /**
   * Reads results written by {@link #writeJson} (for the {@code check --report} chart, say);
   * an unreadable or foreign file is an {@link IOException} naming the file and the problem.
   */
  public static BenchReport readJson(Path file) throws IOException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new IOException(file + ": not JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !"shadowref-bench".equals(root.path("format").asText()) || root.path("version").asInt() != 1) {
      throw new IOException(file + ": not a shadowref-bench file of version 1");
    }
    List<BenchResult> results = new ArrayList<>();
    int index = 0;
    for (JsonNode row : root.path("results")) {
      WorkloadKind workload = WorkloadKind.fromCliName(row.path("workload").asText());
      PagingMode mode = PagingMode.fromCliName(row.path("mode").asText());
      EngineKind engine = EngineKind.fromCliName(row.path("engine").asText());
      int faults = row.path("faults").asInt(-1);
      if (workload == null || mode == null || engine == null || faults < 1 || !row.path("best_cpu_ns_per_run").isNumber()) {
        throw new IOException(file + ": results[" + index + "] lacks a known workload, mode, engine, faults or time");
      }
      results.add(new BenchResult(workload, mode, engine, faults, row.path("ops").asInt(), row.path("runs").asInt(),
          row.path("best_cpu_ns_per_run").asLong(), row.path("median_cpu_ns_per_run").asLong(),
          row.path("median_wall_ns_per_run").asLong(), row.path("bytes_per_fault").asDouble() * faults,
          row.path("agrees_with_reference").asBoolean(true)));
      index++;
    }
    return new BenchReport(results);
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }

  private static @Nullable Double round(@Nullable Double value) {
    return value == null ? null : round(value.doubleValue());
  }
}
