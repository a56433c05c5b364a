package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.check.coverage.Coverage;
import org.shadowref.check.coverage.CoverageModel;
import org.shadowref.check.coverage.CoveragePage;

/** {@code shadowref coverage}: the matrix, the summary line and the exit codes. */
class CoverageCommandTest {
  private static final Pattern SUMMARY =
      Pattern.compile("coverage: cells=(\\d+) reached=(\\d+) unreachable=(\\d+) missed=(\\d+)");

  @TempDir Path dir;

  @Test
  void quickCoveragePrintsTheMatrixAndFailsExactlyWhenACellIsMissed() {
    CliRun.Outcome run = CliRun.run("coverage", "--quick", "--traces", dir.toString());
    Matcher summary = SUMMARY.matcher(run.summary());
    assertTrue(summary.matches(), run.summary());
    int cells = Integer.parseInt(summary.group(1));
    int reached = Integer.parseInt(summary.group(2));
    int unreachable = Integer.parseInt(summary.group(3));
    int missed = Integer.parseInt(summary.group(4));
    assertEquals(CoverageModel.cells(), cells);
    assertEquals(cells, reached + unreachable + missed, "every cell is reached, missed or unreachable");
    assertTrue(reached > 100, "the examples and the campaign reach cells of every kind: " + run.summary());
    assertEquals(missed > 0 ? 1 : 0, run.code(), run.out());
    for (String group : new String[] {"modes:", "index:", "store:", "reserved:", "accessed-dirty:", "invariants:"}) {
      assertTrue(run.out().contains("\n" + group), "the matrix shows " + group);
    }
    // Cells every run reaches: a 4-level guest shadowed 4-on-4, and an access through a 4-level l1.
    assertTrue(run.out().contains("  4-level    | -      | -      | -      | #"), run.out());
  }

  @Test
  void writePageWritesTheProofsPage() throws Exception {
    Path page = dir.resolve("coverage.md");
    CliRun.Outcome run = CliRun.run("coverage", "--write-page", page.toString());
    assertEquals(0, run.code(), run.out());
    assertEquals(CoveragePage.render(), Files.readString(page, StandardCharsets.UTF_8));
    Coverage.Totals totals = new Coverage().totals();
    assertEquals("coverage: cells=" + totals.cells() + " unreachable=" + totals.unreachable() + " page=" + page,
        run.summary());
  }

  @Test
  void badInputExitsTwoWithAClearMessage() {
    CliRun.Outcome both = CliRun.run("coverage", "--quick", "--thorough");
    assertEquals(2, both.code());
    assertTrue(both.err().contains("mutually exclusive"), both.err());
    CliRun.Outcome missing = CliRun.run("coverage", "--examples", dir.resolve("nowhere").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("no such directory: "), missing.err());
    assertTrue(missing.summary().startsWith("coverage: error="), missing.summary());
  }
}
