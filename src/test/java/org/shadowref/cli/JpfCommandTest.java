package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shadowref.cli.CliRun.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.cli.CliRun.Outcome;

/**
 * {@code jpf} judges a run by what it checked. Java PathFinder cannot be built here (issue 17), so
 * the launcher is a script that prints what JPF and the models' driver would print.
 */
class JpfCommandTest {
  @TempDir Path dir;

  private Path launcher(String... lines) throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh");
    Path script = dir.resolve("jpf");
    StringBuilder body = new StringBuilder("#!/bin/sh\n");
    for (String line : lines) {
      body.append("echo '").append(line).append("'\n");
    }
    Files.writeString(script, body);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  /** The false "no errors": JPF says so, but the model never completed a step. */
  @Test
  void noErrorsFromARunThatCheckedNothingFails() throws Exception {
    Path jpf = launcher("JavaPathfinder core system", "no errors detected");
    Outcome outcome = run("jpf", "models/NativeWalk.jpf", "--jpf", jpf.toString());
    assertEquals(1, outcome.code(), outcome.out());
    assertTrue(outcome.out().contains("VACUOUS"), outcome.out());
    assertTrue(outcome.summary().contains(" verdict=vacuous"), outcome.summary());
  }

  @Test
  void aRunThatReachedOnlySomeLabelsFailsAndNamesTheRest() throws Exception {
    Path jpf = launcher("shadowref-jpf: reached ok L1", "shadowref-jpf: steps=500 labels=1/23", "no errors detected");
    Outcome outcome = run("jpf", "models/NativeWalk.jpf", "--jpf", jpf.toString());
    assertEquals(1, outcome.code(), outcome.out());
    assertTrue(outcome.out().contains("UNREACHED: 22 declared labels"), outcome.out());
    assertTrue(outcome.summary().matches(
        "jpf: model=NativeWalk states=-1 paths=-1 steps=500 labels=1/23 violations=0 jpf_exit=0 verdict=unreached seconds=-1"),
        outcome.summary());
  }

  @Test
  void aRunThatReachedEveryLabelWithNoErrorHolds() throws Exception {
    org.shadowref.check.explore.ModelFile model = org.shadowref.check.explore.ModelFile.read(Path.of("models/NativeWalk.jpf"));
    String[] labels = org.shadowref.check.explore.ModelFile.instantiate(model.target(), model.args(), "test").coverageLabels();
    java.util.List<String> lines = new java.util.ArrayList<>();
    for (String label : labels) {
      lines.add("shadowref-jpf: reached " + label);
    }
    lines.add("shadowref-jpf: steps=1194272 labels=" + labels.length + "/" + labels.length);
    lines.add("no errors detected");
    lines.add("====================================================== statistics");
    lines.add("elapsed time:       00:01:05");
    lines.add("states:             new=104864,visited=1089408,backtracked=1194272,end=5000");
    Outcome outcome = run("jpf", "models/NativeWalk.jpf", "--jpf", launcher(lines.toArray(new String[0])).toString());
    assertEquals(0, outcome.code(), outcome.out());
    assertTrue(outcome.summary().matches("jpf: model=NativeWalk states=104864 paths=5000 steps=1194272 labels=23/23"
        + " violations=0 jpf_exit=0 verdict=held seconds=65"), outcome.summary());
    // Beside JPF's figures, our explorer's on the same model.
    assertTrue(outcome.out().matches("(?s).*\\nexplorer\\s+104864\\s+1194272/-\\s+23/23\\s+held.*"), outcome.out());
  }

  @Test
  void aMissingLauncherIsBadInput() {
    Outcome outcome = run("jpf", "models/NativeWalk.jpf", "--jpf", dir.resolve("none").toString());
    assertEquals(2, outcome.code());
    assertTrue(outcome.err().contains("no Java PathFinder launcher"), outcome.err());
  }
}
