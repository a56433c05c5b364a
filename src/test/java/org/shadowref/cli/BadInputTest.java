package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.shadowref.cli.CliRun.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.shadowref.check.trace.ScenarioReader;
import org.shadowref.cli.CliRun.Outcome;

/**
 * Issue 18's holes in the exit-code contract: each bad input below is a clear message, one summary
 * line and exit 2 (never an internal error, 3), found before the work starts.
 */
class BadInputTest {
  @TempDir Path dir;

  private static final String HEADER = "format: shadowref-scenario\nversion: 1\nname: t\ncase: t\n";

  private Path scenario(String guest, String steps) throws Exception {
    Path file = dir.resolve("s" + System.nanoTime() + ".yaml");
    Files.writeString(file, HEADER + "guest:\n" + guest + "steps:\n" + steps);
    return file;
  }

  private static final String ONE_READ = "  - {op: access, vcpu: 0, va: 0x400000, kind: read, user: true, size: 8}\n";

  private static void assertBadInput(Outcome outcome, String command, String... words) {
    assertEquals(2, outcome.code(), outcome.out() + outcome.err());
    assertFalse(outcome.err().contains("internal error"), outcome.err());
    assertTrue(outcome.summary().startsWith(command + ": error="), outcome.summary());
    for (String word : words) {
      assertTrue(outcome.err().contains(word), "'" + word + "' in: " + outcome.err());
    }
  }

  @Test
  void tooFewShadowFramesAreRefusedWithTheFieldNamed() throws Exception {
    for (String frames : new String[] {"0", "1"}) {
      Path file = scenario("  mode: 4level\n  shadowFrames: " + frames + "\n"
          + "  mappings:\n    - {va: 0x400000, gpa: 0x10000, flags: [P, RW, US, A, D]}\n", ONE_READ);
      assertBadInput(run("run", file.toString()), "run", "shadowFrames", String.valueOf(ScenarioReader.MIN_SHADOW_FRAMES));
    }
  }

  @Test
  void unalignedNonCanonicalOrTooWideMappingAddressesAreRefusedWithTheFieldNamed() throws Exception {
    String[][] cases = {
      {"4level", "{va: 0x400123, gpa: 0x10000, flags: [P]}", "va 0x400123 is not aligned"},
      {"4level", "{va: 0x400000, gpa: 0x10010, flags: [P]}", "gpa 0x10010 is not aligned"},
      {"4level", "{va: 0x200000, level: 2, gpa: 0x1000, flags: [P]}", "2 MiB"},
      {"4level", "{va: 0x800000000000, gpa: 0x10000, flags: [P]}", "not canonical"},
      {"4level", "{va: 0x400000, gpa: 0x10000000000, flags: [P]}", "maxPhysAddr (40 bits)"},
      {"pae", "{va: 0x100000000, gpa: 0x10000, flags: [P]}", "4 GiB linear space"},
    };
    for (String[] c : cases) {
      Path file = scenario("  mode: " + c[0] + "\n  mappings:\n    - " + c[1] + "\n", ONE_READ);
      Outcome outcome = run("run", file.toString());
      assertBadInput(outcome, "run", c[2], file.getFileName() + ":");
    }
  }

  /** Steps are read as they come, before the guest when the file puts them first: a missing vCPU is still named. */
  @Test
  void aStepOnAVcpuTheGuestLacksIsNamedWhereverTheGuestComes() throws Exception {
    Path file = dir.resolve("vcpu-first.yaml");
    Files.writeString(file, String.join("\n",
        "format: shadowref-scenario", "version: 1", "name: vcpu", "case: none",
        "steps:",
        "  - {op: access, vcpu: 0, va: 0x400000, kind: read, user: true, size: 8}",
        "  - {op: access, vcpu: 3, va: 0x400000, kind: read, user: true, size: 8}",
        "guest:", "  mode: 4level", "  mappings:", "    - {va: 0x400000, gpa: 0x10000, flags: [P, RW, US, A, D]}", ""));
    assertBadInput(run("run", file.toString()), "run", "vcpu-first.yaml:7:", "steps[1]", "vcpu 3 does not exist");
  }

  @Test
  void aYamlSyntaxErrorKeepsTheSummaryToOneLineWithTheDetailAbove() throws Exception {
    Path file = dir.resolve("broken.yaml");
    Files.writeString(file, "format: shadowref-scenario\nversion: 1\nname: [x\n");
    Outcome outcome = run("run", file.toString());
    assertBadInput(outcome, "run", "not valid YAML", "expected ',' or ']'");
    String[] lines = outcome.out().trim().split("\n");
    assertEquals(1, lines.length, outcome.out());
    assertTrue(outcome.summary().contains("broken.yaml:3"), outcome.summary());
  }

  @Test
  void aBinaryFileAndADirectoryAreNamedForWhatTheyAre() throws Exception {
    Path binary = dir.resolve("image.yaml");
    Files.write(binary, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xFF, (byte) 0xFE});
    assertBadInput(run("run", binary.toString()), "run", "not a text scenario file");
    assertBadInput(run("replay", binary.toString()), "replay", "not a text scenario file");
    assertBadInput(run("run", dir.toString()), "run", "is a directory");
    assertBadInput(run("replay", dir.toString()), "replay", "is a directory");
  }

  @Test
  void unwritableOutputPathsAreRefusedBeforeTheWorkStarts() throws Exception {
    Path file = dir.resolve("plain-file");
    Files.writeString(file, "x");
    Path under = file.resolve("sub"); // a path below a regular file can be neither created nor written
    assertBadInput(run("check", "--quick", "--report", under.toString()), "check", "--report");
    assertBadInput(run("check", "--quick", "--traces", under.toString()), "check", "--traces");
    assertBadInput(run("diff", "--ops", "5", "--out", under.toString()), "diff", "--out");
    assertBadInput(run("mutants", "--tries", "1", "--out", under.toString()), "mutants", "--out");
    assertBadInput(run("mutants", "--tries", "1", "--out", dir.toString(), "--write", under.resolve("m.md").toString()),
        "mutants", "--write");
    assertBadInput(run("explore", "models/NativeWalk.jpf", "--trace-out", under.resolve("t.json").toString()),
        "explore", "--trace-out");
    assertBadInput(run("render", "examples/01-demand-fault.yaml", "--step", "0", "--out", dir.toString() + "/"),
        "render", "--out");
    Outcome proc = run("check", "--quick", "--report", "/proc/shadowref-no-such-dir");
    assertBadInput(proc, "check", "/proc/shadowref-no-such-dir");
    assertFalse(proc.out().contains("held"), "refused before any claim ran: " + proc.out());
  }

  @Test
  void renderRefusesAnExtensionItDoesNotWrite() {
    Path png = dir.resolve("x.png");
    assertBadInput(run("render", "examples/01-demand-fault.yaml", "--step", "0", "--out", png.toString()), "render", ".png");
    assertFalse(Files.exists(png));
  }

  @Test
  void anEmptyExamplesDirectoryIsBadInputAndClaimsNothing() throws Exception {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    Outcome outcome = run("check", "--quick", "--examples", empty.toString());
    assertBadInput(outcome, "check", "no scenarios");
    assertFalse(outcome.out().contains("every step"), outcome.out());
  }

  @Test
  void runRefusesASeededBugThisBuildDoesNotHave() {
    Outcome outcome = run("run", "examples/09-page-table-write.yaml", "--bug", "reference:NO_SUCH_BUG");
    assertBadInput(outcome, "run", "no seeded bug 'reference:NO_SUCH_BUG'");
  }

  @Test
  void noCommandPrintsTheUsageAndIsBadInput() {
    Outcome outcome = run();
    assertEquals(2, outcome.code());
    assertTrue(outcome.err().contains("Usage: shadowref"), outcome.err());
    assertTrue(outcome.summary().startsWith("shadowref: error="), outcome.summary());
  }

  @Test
  void diffTakesTheModeItsHelpNamesAsTheDefault() {
    assertTrue(run("diff", "--help").out().replaceAll("\\s+", " ").contains("all to mix them (default: all)"));
    Outcome outcome = run("diff", "--mode", "all", "--ops", "20", "--out", dir.toString());
    assertEquals(0, outcome.code(), outcome.out() + outcome.err());
    assertTrue(outcome.summary().startsWith("diff: ops=20 "), outcome.summary());
  }

  @Test
  void emulateCheckBoundsItsCountAndShowsProgressOnStandardError() {
    Outcome huge = run("emulate-check", "--count", "1000000000000");
    assertBadInput(huge, "emulate-check", "maximum " + EmulateCheckCommand.MAX_COUNT);
    Outcome small = run("emulate-check", "--count", "50");
    assertEquals(0, small.code(), small.out() + small.err());
    assertTrue(small.err().contains("ETA"), small.err());
    assertTrue(small.summary().matches("emulate-check: inputs=50 mismatches=0 exceptions=0 inputs_per_s=\\d+ threads=\\d+"),
        small.summary());
  }

  /** The reader's bounds and the published schema's are the same numbers. */
  @Test
  void theSchemaStatesTheReadersBounds() throws Exception {
    JsonNode guest = new ObjectMapper().readTree(Path.of("examples", "scenario.schema.json").toFile())
        .at("/$defs/guest/properties");
    int[][] bounds = {
      {ScenarioReader.MIN_MAX_PHYS_ADDR, ScenarioReader.MAX_MAX_PHYS_ADDR},
      {ScenarioReader.MIN_RAM_FRAMES, ScenarioReader.MAX_RAM_FRAMES},
      {ScenarioReader.MIN_SHADOW_FRAMES, ScenarioReader.MAX_SHADOW_FRAMES},
      {ScenarioReader.MIN_VCPUS, ScenarioReader.MAX_VCPUS},
    };
    String[] fields = {"maxPhysAddr", "ramFrames", "shadowFrames", "vcpus"};
    for (int i = 0; i < fields.length; i++) {
      JsonNode field = guest.get(fields[i]);
      assertEquals(bounds[i][0], field.path("minimum").asInt(-1), fields[i] + " minimum");
      assertEquals(bounds[i][1], field.path("maximum").asInt(-1), fields[i] + " maximum");
    }
  }

  /** explore's trace of a seeded bug replays with the bug switched on again, and fails as it did. */
  @Test
  void replayOfAnExploreTraceSwitchesItsSeededBugBackOn() throws Exception {
    Path trace = dir.resolve("seq.json");
    Outcome found = run("explore", "models/Sequences.jpf", "--set", "bug=skip-revalidate", "--trace-out", trace.toString());
    assertEquals(1, found.code(), found.out());
    Outcome replayed = run("replay", trace.toString());
    assertEquals(1, replayed.code(), replayed.out() + replayed.err());
    assertTrue(replayed.out().contains("seeded bug skip-revalidate switched on"), replayed.out());
    assertTrue(replayed.summary().contains("bug=skip-revalidate"), replayed.summary());

    // The same trace with one shadow frame: the engines run out, which is the input's fault.
    String text = Files.readString(trace);
    java.util.regex.Matcher limit = java.util.regex.Pattern.compile("\"guestFrameLimit\" : (\\d+)").matcher(text);
    assertTrue(limit.find(), text);
    Path tiny = dir.resolve("tiny.json");
    Files.writeString(tiny, text.replaceFirst("\"machineFrames\" : \\d+",
        "\"machineFrames\" : " + (Integer.parseInt(limit.group(1)) + 1)));
    assertBadInput(run("replay", tiny.toString()), "replay", "too few shadow frames");
  }
}
