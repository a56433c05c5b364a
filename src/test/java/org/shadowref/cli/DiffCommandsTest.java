package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shadowref.cli.CliRun.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.check.diff.Differential;
import org.shadowref.check.diff.PlatformSet;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.cli.CliRun.Outcome;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.reference.ReferenceEngine;

/** run, replay and diff: good input, corrupt input, missing input. */
class DiffCommandsTest {
  @TempDir Path dir;

  @Test
  void runPrintsAScenarioStepByStepOnEveryPlatform() {
    Outcome outcome = run("run", "examples/09-page-table-write.yaml");
    assertEquals(0, outcome.code(), outcome.out() + outcome.err());
    assertTrue(outcome.out().contains("native") && outcome.out().contains("reference"), outcome.out());
    assertTrue(outcome.summary().startsWith("run: ") && outcome.summary().contains("diverged=none"), outcome.summary());
  }

  /**
   * An ADD sets AF; a LOCK AND through an alias of a page table is emulated by the engines and run
   * by the model CPU on native. AF is undefined after AND; the rule (proofs/emulation-oracle.md) is
   * that both give the model CPU's value, so the guest states, compared whole, agree.
   */
  @Test
  void lockAndOnAShadowedTableLeavesAfAsTheCpuDoes() throws Exception {
    Path scenario = dir.resolve("lock-and.yaml");
    Files.writeString(scenario, String.join("\n",
        "format: shadowref-scenario",
        "version: 1",
        "name: lock-and-af",
        "case: emulate-locked-and",
        "guest:",
        "  mode: 4level",
        "  mappings:",
        "    - {va: 0x400000, gpa: 0x10000, flags: [P, RW, US, A, D]}",
        "    - {va: 0x600000, gpa: 0x23000, flags: [P, RW, A, D]}",
        "steps:",
        "  - {op: access, vcpu: 0, va: 0x400000, kind: read, user: true, size: 8}",
        "  - {op: execute, vcpu: 0, code: '040f', user: false,", // add al, 0x0f with al = 1: AF = 1
        "     gprs: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}",
        "  - {op: execute, vcpu: 0, code: 'f0482107', user: false,", // lock and [rdi], rax on the l1 table
        "     gprs: [-1, 0, 0, 0, 0, 0, 0, 0x600000, 0, 0, 0, 0, 0, 0, 0, 0]}",
        ""));
    Outcome outcome = run("run", scenario.toString());
    assertEquals(0, outcome.code(), outcome.out() + outcome.err());
    assertTrue(outcome.out().contains("exec f0482107"), outcome.out());
    assertTrue(outcome.summary().contains("diverged=none"), outcome.summary());
  }

  @Test
  void runAndReplayNameTheLineAndFieldOfACorruptFile() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "format: shadowref-scenario\nversion: 1\nname: x\nguest:\n  mode: 5level\nsteps: []\n");
    for (String command : new String[] {"run", "replay"}) {
      Outcome outcome = run(command, bad.toString());
      assertEquals(2, outcome.code(), command + ": " + outcome.out());
      assertTrue(outcome.err().contains("bad.yaml:"), command + ": " + outcome.err());
      assertTrue(outcome.summary().startsWith(command + ": error="), outcome.summary());
    }
    Path trace = dir.resolve("bad.json");
    Files.writeString(trace, "{\n  \"format\": \"shadowref-trace\",\n  \"version\": 99\n}\n");
    Outcome outcome = run("replay", trace.toString());
    assertEquals(2, outcome.code(), outcome.out());
    assertTrue(outcome.err().contains("bad.json:"), outcome.err());
  }

  @Test
  void runAndReplayRejectAMissingFile() {
    for (String command : new String[] {"run", "replay"}) {
      Outcome outcome = run(command, dir.resolve("missing.json").toString());
      assertEquals(2, outcome.code());
      assertTrue(outcome.err().contains("missing.json"), outcome.err());
    }
  }

  @Test
  void replayOfACleanTraceAgreesAndOfABuggyKillShowsTheFailureAgainOnlyWithTheBug() throws Exception {
    PlatformSet buggy = StandardPlatforms.withReferenceBug(SeededBug.IGNORE_DIRTY);
    for (int seed = 1; seed < 100; seed++) {
      GeneratedCase generated = Guests.generate(new Random(seed), 30, null);
      Differential.Failure failure = Differential.check(buggy, generated.world(), generated.ops());
      if (failure != null) {
        Differential.Shrunk shrunk = Differential.shrinkAndWrite(buggy, generated, failure, dir, "kill", "test");
        // Replay runs the standard (clean) platforms: the kill of a seeded bug passes there.
        Outcome outcome = run("replay", shrunk.trace().toString());
        assertEquals(0, outcome.code(), outcome.out());
        assertTrue(outcome.out().contains("found by test: invariants"), outcome.out());
        assertTrue(outcome.summary().contains("diverged=none failure=none"), outcome.summary());
        return;
      }
    }
    throw new AssertionError("IGNORE_DIRTY never caught");
  }

  @Test
  void aShortCampaignFindsNoDivergenceAndReportsThroughputAndCoverage() {
    Outcome outcome = run("diff", "--seed", "3", "--ops", "300", "--out", dir.toString());
    assertEquals(0, outcome.code(), outcome.out());
    assertTrue(outcome.summary().matches("diff: ops=300 ops_per_s=\\d+ divergences=0 .*"), outcome.summary());
    assertTrue(outcome.out().contains("handler FIXED"), outcome.out());
    assertTrue(outcome.out().contains("result exec"), outcome.out());
  }

  @Test
  void aCampaignRunsEveryLaneOfCheckOrTheLanesOneModeAllows() {
    Outcome every = run("diff", "--seed", "4", "--ops", "500", "--threads", "2", "--out", dir.toString());
    assertEquals(0, every.code(), every.out());
    assertTrue(every.summary().matches("diff: ops=500 .* lanes=5 threads=2 .*"), every.summary());
    assertTrue(every.out().contains("optimized-production-2on2"), every.out());
    Outcome fourLevel = run("diff", "--seed", "4", "--ops", "200", "--mode", "4level", "--out", dir.toString());
    assertEquals(0, fourLevel.code(), fourLevel.out());
    assertTrue(fourLevel.summary().matches("diff: ops=200 .* lanes=3 .*"), fourLevel.summary());
    assertTrue(!fourLevel.out().contains("2on2"), fourLevel.out());
    assertEquals(2, run("diff", "--threads", "0").code());
  }

  /**
   * Ctrl-C (SIGINT) on a long campaign: it stops within moments, prints what it did, and the
   * process ends as an interrupted one (130). Needs a real process and kill(1), so Linux or macOS.
   */
  @Test
  void anInterruptedCampaignReportsWhatItDidSoFar() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/kill")), "no /bin/kill here");
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "diff", "--ops", "10000000", "--out", dir.toString())
        .redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile())
        .start();
    try {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!Files.readString(dir.resolve("err.txt")).contains("ops/s") && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(process.isAlive(), "the campaign of 10^7 ops ended by itself");
      new ProcessBuilder("/bin/kill", "-INT", Long.toString(process.pid())).start().waitFor();
      assertTrue(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "no exit within 60 s of Ctrl-C");
      String out = Files.readString(dir.resolve("out.txt"));
      assertEquals(130, process.exitValue(), out);
      String summary = out.strip().substring(out.strip().lastIndexOf('\n') + 1);
      assertTrue(summary.matches("diff: ops=\\d+ .* divergences=0 .* stopped=interrupt"), summary);
      assertTrue(!out.contains("Exception"), out);
    } finally {
      process.destroyForcibly();
    }
  }

  /**
   * A long scenario is read and run step by step, not held whole: 100,000 steps (8 MB of JSON)
   * run in a JVM of 48 MB heap, where holding the syntax tree and every step's results needed more
   * than 96 MB (and a million steps 5.4 GB). The guest comes after the steps in this file, which a
   * streaming reader must accept too.
   */
  @Test
  void aLongScenarioRunsInLittleMemory() throws Exception {
    Path scenario = dir.resolve("long.json");
    StringBuilder json = new StringBuilder("{\"format\":\"shadowref-scenario\",\"version\":1,\"name\":\"long\","
        + "\"case\":\"long\",\"steps\":[\n");
    int steps = 100_000;
    for (int i = 0; i < steps; i++) {
      json.append(i % 3 == 1
          ? "{\"op\":\"access\",\"vcpu\":0,\"va\":\"0x400000\",\"kind\":\"write\",\"user\":true,\"size\":8,\"value\":7}"
          : "{\"op\":\"access\",\"vcpu\":0,\"va\":\"0x401008\",\"kind\":\"read\",\"user\":true,\"size\":8}")
          .append(i < steps - 1 ? ",\n" : "\n");
    }
    json.append("],\"guest\":{\"mode\":\"4level\",\"mappings\":[{\"va\":\"0x400000\",\"gpa\":\"0x10000\","
        + "\"flags\":[\"P\",\"RW\",\"US\",\"A\",\"D\"]},{\"va\":\"0x401000\",\"gpa\":\"0x11000\",\"flags\":[\"P\",\"US\"]}]}}\n");
    Files.writeString(scenario, json);
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx48m", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", scenario.toString())
        .redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile())
        .start();
    assertTrue(process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "no end within 120 s");
    String err = Files.readString(dir.resolve("err.txt"));
    assertEquals(0, process.exitValue(), err);
    String out = Files.readString(dir.resolve("out.txt")).strip();
    assertTrue(out.endsWith("run: file=" + scenario + " steps=100000 diverged=none unmet=0"),
        out.substring(Math.max(0, out.length() - 300)));
  }

  @Test
  void diffRejectsAnUnknownMode() {
    Outcome outcome = run("diff", "--mode", "5level", "--ops", "10");
    assertEquals(2, outcome.code());
    assertTrue(outcome.err().contains("unknown --mode '5level'"), outcome.err());
  }
}
