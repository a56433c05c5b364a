package org.shadowref.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.shadowref.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.shadowref.cli.CliRun.Outcome;
import org.junit.jupiter.api.io.TempDir;

/** render: the picture of any scenario step, as HTML or SVG; bad steps and files are bad input. */
class RenderCommandTest {
  @TempDir Path dir;

  @Test
  void drawsGuestAndShadowTreesAfterTheStep() throws Exception {
    Path page = dir.resolve("step.html");
    Outcome outcome = run("render", "examples/01-demand-fault.yaml", "--step", "0", "--out", page.toString());
    assertEquals(0, outcome.code(), outcome.out() + outcome.err());
    assertEquals("render: file=examples/01-demand-fault.yaml step=0 out=" + page, outcome.summary());
    String html = Files.readString(page);
    assertTrue(html.contains("guest tables") && html.contains("shadow tables"), html);
    // After the demand fault the shadow maps the page: the walk of 0x400008 is drawn in both trees.
    assertEquals(2, html.split("class=\"table-tree\"", -1).length - 1, "one tree per side");
    assertTrue(html.contains("0x400008") || html.contains("400008"), "the step's address is named");
  }

  @Test
  void writesOneSvgWhenAskedFor() throws Exception {
    Path svg = dir.resolve("step.svg");
    Outcome outcome = run("render", "examples/09-page-table-write.yaml", "--step", "2", "--out", svg.toString());
    assertEquals(0, outcome.code(), outcome.err());
    String drawing = Files.readString(svg);
    assertTrue(drawing.startsWith("<svg") && drawing.contains("table-tree"), drawing);
  }

  @Test
  void aStepOutsideTheScenarioIsBadInput() {
    Outcome outcome = run("render", "examples/01-demand-fault.yaml", "--step", "40");
    assertEquals(2, outcome.code());
    assertTrue(outcome.err().contains("--step 40 is outside examples/01-demand-fault.yaml"), outcome.err());
  }

  @Test
  void aMissingFileIsBadInput() {
    Outcome outcome = run("render", dir.resolve("nothing.yaml").toString(), "--step", "0");
    assertEquals(2, outcome.code());
    assertTrue(outcome.err().contains("no such scenario file"), outcome.err());
  }
}
