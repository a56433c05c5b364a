package org.shadowref.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the figures {@code shadowref bench --json FILE} writes (format {@code shadowref-bench})
 * into report rows: reference and optimized throughput side by side per workload and mode.
 */
public final class BenchmarkFigures {
  /** A benchmark file that is not what {@code bench --json} writes. */
  public static final class BadFileException extends Exception {
    private static final long serialVersionUID = 1L;

    BadFileException(String message) {
      super(message);
    }
  }

  private BenchmarkFigures() {}

  public static List<Report.Benchmark> read(Path file) throws IOException, BadFileException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      String line = e.getLocation() == null ? "" : ":" + e.getLocation().getLineNr();
      throw new BadFileException(file + line + ": not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !"shadowref-bench".equals(root.path("format").asText())) {
      throw new BadFileException(file + ": field 'format' must be \"shadowref-bench\" (written by ./shadowref bench --json)");
    }
    JsonNode results = root.path("results");
    if (!results.isArray()) {
      throw new BadFileException(file + ": field 'results' must be an array");
    }
    Map<String, double[]> pairs = new LinkedHashMap<>();
    for (int i = 0; i < results.size(); i++) {
      JsonNode row = results.get(i);
      String where = file + ": results[" + i + "]";
      String workload = text(row, "workload", where);
      String mode = text(row, "mode", where);
      String engine = text(row, "engine", where);
      JsonNode rate = row.path("faults_per_s");
      if (!rate.isNumber()) {
        throw new BadFileException(where + ": field 'faults_per_s' must be a number");
      }
      double[] pair = pairs.computeIfAbsent(workload + "\u0000" + mode, k -> new double[2]);
      if (engine.equals("reference")) {
        pair[0] = rate.asDouble();
      } else if (engine.equals("optimized")) {
        pair[1] = rate.asDouble();
      } else {
        throw new BadFileException(where + ": field 'engine' must be reference or optimized, not '" + engine + "'");
      }
    }
    List<Report.Benchmark> rows = new ArrayList<>();
    for (Map.Entry<String, double[]> entry : pairs.entrySet()) {
      String[] key = entry.getKey().split("\u0000", 2);
      rows.add(new Report.Benchmark(key[0], key[1], entry.getValue()[0], entry.getValue()[1]));
    }
    return rows;
  }

  private static String text(JsonNode row, String field, String where) throws BadFileException {
    JsonNode value = row.path(field);
    if (!value.isTextual()) {
      throw new BadFileException(where + ": field '" + field + "' must be a string");
    }
    return value.asText();
  }
}
