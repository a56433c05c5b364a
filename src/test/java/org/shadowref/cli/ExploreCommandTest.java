package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.check.trace.TraceReader;

class ExploreCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  private String lastLine() {
    String[] lines = out.toString().trim().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void exploresAModelAndEndsWithTheSummary() {
    assertEquals(0, run("explore", "models/NativeWalk.jpf", "--set", "mode=2level", "--dfs"));
    assertTrue(lastLine().matches(
        "explore: model=NativeWalk states=\\d+ transitions=\\d+ completed=[1-9]\\d* depth=\\d+ violations=0 states_per_s=\\d+ .*"
            + " unreached=0"), lastLine());
    assertTrue(out.toString().contains("coverage: "));
  }

  @Test
  void aViolationExitsOneAndWritesAReplayableTrace(@TempDir Path dir) throws Exception {
    Path trace = dir.resolve("t.json");
    assertEquals(1, run("explore", "models/NativeWalk.jpf", "--set", "bug=drop-dirty", "--trace-out", trace.toString()));
    assertTrue(lastLine().contains(" violations=1 "), lastLine());
    assertTrue(out.toString().contains("violation: a successful access sets A"));
    assertEquals(1, TraceReader.read(trace).ops().size());

    assertEquals(1, run("explore", "models/NativeWalk.jpf", "--replay", trace.toString()));
    assertTrue(lastLine().endsWith(" steps=1 violations=1 reproduced=true"), lastLine());
    assertEquals(0, run("explore", "models/NativeWalk.jpf", "--replay", trace.toString(), "--set", "bug=none"));
    assertTrue(lastLine().endsWith(" steps=1 violations=0 reproduced=false"), lastLine());
  }

  /**
   * A bound too small to reach every label the model declares checks less than the model claims:
   * the run says which labels it missed and fails (issue 17: never "no errors" for a vacuous run).
   */
  @Test
  void aDepthBoundIsReportedAndLabelsItLeavesUnreachedFailTheRun() {
    assertEquals(1, run("explore", "models/NativeWalk.jpf", "--set", "mode=4level", "--depth", "1"));
    assertTrue(lastLine().contains(" depth=1 "), lastLine());
    assertTrue(lastLine().contains(" complete=false "), lastLine());
    assertTrue(lastLine().matches(".* unreached=[1-9]\\d*"), lastLine());
    assertTrue(out.toString().contains("UNREACHED: "), out.toString());
  }

  /** {@code --thorough} explores the file's thorough bounds, and the summary says what the search kept per state. */
  @Test
  void thoroughUsesTheFilesThoroughBounds(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("Small.jpf");
    Files.writeString(model, "target = org.shadowref.models.NativeWalk\ntarget.args = mode=2level,depth=1\n"
        + "shadowref.thorough.args = depth=2\n");
    assertEquals(1, run("explore", model.toString()));
    String shallow = lastLine();
    assertTrue(shallow.contains(" depth=1 "), shallow);
    run("explore", model.toString(), "--thorough");
    assertTrue(out.toString().contains("args=mode=2level,depth=2 bfs to depth 2"), out.toString());
    String deeper = lastLine();
    assertTrue(deeper.contains(" depth=2 "), deeper);
    long fewer = Long.parseLong(shallow.replaceAll(".* states=(\\d+) .*", "$1"));
    long more = Long.parseLong(deeper.replaceAll(".* states=(\\d+) .*", "$1"));
    assertTrue(more > fewer, shallow + " / " + deeper);
    assertTrue(deeper.matches(".* kept_bytes_per_state=[1-9]\\d* .*"), deeper);
  }

  @Test
  void threadsShareTheSearchAndFindTheSameStates() {
    assertEquals(0, run("explore", "models/NativeWalk.jpf", "--set", "mode=2level", "--threads", "1"));
    String alone = lastLine();
    assertEquals(0, run("explore", "models/NativeWalk.jpf", "--set", "mode=2level", "--threads", "2"));
    String shared = lastLine();
    assertTrue(shared.contains(" threads=2 "), shared);
    String states = alone.replaceAll(".* (states=\\d+ transitions=\\d+) .*", "$1");
    assertTrue(shared.contains(" " + states + " "), alone + " / " + shared);

    assertEquals(2, run("explore", "models/NativeWalk.jpf", "--threads", "0"));
    assertTrue(lastLine().equals("explore: error=\"--threads must be within 1..256, got 0\""), lastLine());
  }

  @Test
  void badInputExitsTwoWithAClearMessage(@TempDir Path dir) throws Exception {
    assertEquals(2, run("explore", "models/NoSuchModel.jpf"));
    assertTrue(lastLine().equals("explore: error=\"no model file models/NoSuchModel.jpf\""), lastLine());

    Path unknown = dir.resolve("Unknown.jpf");
    Files.writeString(unknown, "target = org.shadowref.models.NoSuchHarness\n");
    assertEquals(2, run("explore", unknown.toString()));
    assertTrue(lastLine().contains("unknown target class 'org.shadowref.models.NoSuchHarness'"), lastLine());

    assertEquals(2, run("explore", "models/NativeWalk.jpf", "--set", "mdoe=pae"));
    assertTrue(lastLine().contains("has no argument 'mdoe'"), lastLine());
    assertTrue(err.toString().contains("shadowref explore: "), err.toString());
  }
}
