package org.shadowref.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.diff.StandardPlatforms;
import org.shadowref.check.trace.Scenario;
import org.shadowref.cli.report.FailurePictures;
import org.shadowref.cli.report.HtmlReport;
import org.shadowref.cli.report.TreePicture;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.invariant.ShadowView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shadowref render FILE --step N}: the guest page-table tree beside the reference engine's
 * shadow tree after step N of a scenario, drawn as the report draws a failure.
 */
@Command(
    name = "render",
    mixinStandardHelpOptions = true,
    description = {
      "Draws the guest page-table tree beside the reference engine's shadow tree after one step of a scenario.",
      "Writes an HTML page (--out ending in .html or .htm), or one SVG (--out ending in .svg)."
    })
public final class RenderCommand extends SummaryCommand {
  @Parameters(paramLabel = "FILE", description = "A scenario (.yaml, .yml or .json); see examples/.")
  Path file = Path.of("");

  @Option(names = "--step", required = true, paramLabel = "N", description = "The step to draw after (0 is the first).")
  int step;

  @Option(names = "--out", paramLabel = "PATH",
      description = "Where to write, .html, .htm or .svg (default: target/render/NAME-stepN.html).")
  @Nullable Path out;

  @Override
  protected void run(PrintWriter console, Summary summary) throws IOException {
    Path given = out;
    boolean svg = given != null && extension(given).equals("svg");
    if (given != null) {
      String extension = extension(given);
      if (!svg && !extension.equals("html") && !extension.equals("htm")) {
        throw new UserInputException("--out " + given + ": render writes HTML (.html, .htm) or SVG (.svg), not "
            + (extension.isEmpty() ? "a file without an extension" : "." + extension));
      }
      OutputPaths.requireWritableFile(given, "--out");
    }
    Scenario scenario = RunCommand.readScenario(file);
    int steps = scenario.ops().size();
    if (step < 0 || step >= steps) {
      throw new UserInputException(String.format(Locale.ROOT, "--step %d is outside %s, which has steps 0 to %d",
          step, file, steps - 1));
    }
    Platform engine = ShadowMemory.guard(file, () -> FailurePictures.engineAfter(scenario, step, StandardPlatforms.all()));
    if (engine == null) {
      throw new IllegalStateException("the standard platforms include no shadowing engine");
    }
    GuestOp op = scenario.ops().get(step);
    String title = scenario.name() + ", after step " + step + ": " + op;
    Path target = out != null ? out : Path.of("target", "render", scenario.name() + "-step" + step + ".html");
    String page;
    try {
      if (svg) {
        page = TreePicture.draw((ShadowView) engine, op.vcpu(), FailurePictures.focus(op), title);
      } else {
        page = HtmlReport.figurePage(FailurePictures.figure(engine, op, title));
      }
    } catch (IllegalStateException e) {
      throw new UserInputException("nothing to draw after step " + step + ": " + e.getMessage());
    }
    Path parent = target.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(target, page, StandardCharsets.UTF_8);
    console.println("wrote " + target);
    summary.put("file", file).put("step", step).put("out", target);
  }

  private static String extension(Path path) {
    String name = String.valueOf(path.getFileName());
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }
}
