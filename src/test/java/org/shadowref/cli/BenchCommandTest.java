package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.shadowref.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.shadowref.cli.CliRun.Outcome;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench}: bad arguments are refused with exit 2; a smoke run prints the table and summary. */
class BenchCommandTest {
  @TempDir Path dir;

  @Test
  void badArgumentsExitTwoWithAClearMessageAndNoStackTrace() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("a-file"), "not a directory");
    String[][] cases = {
      {"--mode", "5level"},
      {"--workload", "demand,fork"},
      {"--json", dir.resolve("a-file/out.json").toString()}, // missing directories are made; a file is in the way
      {"--bogus"},
    };
    String[] expected = {"unknown --mode '5level'", "unknown --workload 'fork'", "is a file, not a directory", "--bogus"};
    for (int i = 0; i < cases.length; i++) {
      String[] args = new String[cases[i].length + 1];
      args[0] = "bench";
      System.arraycopy(cases[i], 0, args, 1, cases[i].length);
      Outcome outcome = run(args);
      assertEquals(2, outcome.code(), String.join(" ", args) + ": " + outcome.out() + outcome.err());
      assertTrue(outcome.err().contains(expected[i]), outcome.err());
      assertTrue(!outcome.err().contains("Exception") && !outcome.err().contains("\tat "), outcome.err());
      assertTrue(outcome.summary().startsWith("bench: error="), outcome.summary());
    }
  }

  @Test
  void aSmokeRunPrintsEveryRowTheTargetsAndTheSummaryAndWritesTheJson() throws Exception {
    Path json = dir.resolve("bench.json");
    Outcome outcome = run("bench", "--smoke", "--json", json.toString());
    assertEquals(0, outcome.code(), outcome.out() + outcome.err());
    assertTrue(outcome.out().contains("workload mode   engine    faults"), outcome.out());
    int rows = 0;
    for (String line : outcome.out().split("\n")) {
      if (line.matches("(demand|write|switch|mixed) +(2level|pae|4level) +(reference|optimized|native) .*")) {
        rows++;
        assertTrue(line.contains("reference") ? line.endsWith(" -") : line.matches(".* \\d+\\.\\d\\dx"), line);
      }
    }
    assertEquals(4 * 3 * 3, rows, outcome.out());
    assertTrue(outcome.out().contains("optimized >= 10x reference on the demand-fault storm: "), outcome.out());
    assertTrue(outcome.out().matches("(?s).*\n  demand  reference \\d+\\.\\d, optimized \\d+\\.\\d: .*"), outcome.out());
    assertTrue(outcome.summary().matches(
        "bench: demand_speedup=\\d+\\.\\d\\d write_speedup=\\d+\\.\\d\\d switch_speedup=\\d+\\.\\d\\d"), outcome.summary());
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertEquals("shadowref-bench", root.get("format").asText());
    assertEquals(36, root.get("results").size());
    assertTrue(root.get("summary_4level").has("demand_own_time_speedup"));
    JsonNode first = root.get("results").get(0);
    assertEquals("demand", first.get("workload").asText());
    assertEquals(64, first.get("faults").asInt());
    assertTrue(first.get("agrees_with_reference").asBoolean());
  }

  @Test
  void aChosenModeAndWorkloadRunOnlyThoseAndTheOtherSpeedupsAreNotApplicable() {
    Outcome outcome = run("bench", "--smoke", "--mode", "pae", "--workload", "write");
    assertEquals(0, outcome.code(), outcome.out() + outcome.err());
    assertTrue(outcome.out().contains("write    pae    reference"), outcome.out());
    assertTrue(!outcome.out().contains("4level") && !outcome.out().contains("demand   "), outcome.out());
    assertEquals("bench: demand_speedup=n/a write_speedup=n/a switch_speedup=n/a", outcome.summary());
  }
}
