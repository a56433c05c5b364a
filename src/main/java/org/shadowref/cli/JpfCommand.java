package org.shadowref.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.explore.ExplorationReport;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.Harness;
import org.shadowref.check.explore.JpfOutput;
import org.shadowref.check.explore.ModelFile;
import org.shadowref.check.explore.RecordMethods;
import org.shadowref.check.explore.Strategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shadowref jpf models/NAME.jpf}: runs a model under a real Java PathFinder (jpf-core,
 * built by the user; none of it ships here) and judges the run by what it checked, not only by
 * JPF's "no errors detected": the model's driver prints the steps it completed and the labels it
 * reached across every path, and a run that completed no step or left a declared label unreached
 * fails (exit 1), as an error JPF reports does.
 */
@Command(
    name = "jpf",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a model under Java PathFinder (--jpf: its launcher, default $JPF_HOME/bin/jpf or jpf on the PATH)",
      "and fails when JPF reports an error, when the search completed no step (vacuous), or when a",
      "declared coverage label was never reached."
    })
public final class JpfCommand extends SummaryCommand {
  @Parameters(index = "0", paramLabel = "MODEL.jpf", description = "the model's JPF configuration file")
  Path modelFile = Path.of("");

  @Option(names = "--jpf", paramLabel = "LAUNCHER", description = "JPF's launcher script or executable")
  @Nullable Path launcher;

  @Option(names = "--jpf-home", paramLabel = "DIR", description = "a jpf-core build: its bin/jpf is the launcher")
  @Nullable Path jpfHome;

  @Option(names = "--show", description = "also copy JPF's whole output to standard output")
  boolean show;

  @Override
  protected void run(PrintWriter out, Summary summary) throws Exception {
    if (!Files.isRegularFile(modelFile)) {
      throw new UserInputException("no such model file: " + modelFile);
    }
    String[] declared;
    String name;
    Harness<?> harness;
    int depth;
    try {
      ModelFile model = ModelFile.read(modelFile);
      name = model.name();
      org.shadowref.check.explore.ModelArgs args = model.args();
      depth = args.intValue("depth", -1, -1, 1_000_000);
      harness = ModelFile.instantiate(model.target(), args, modelFile.toString());
      declared = harness.coverageLabels();
    } catch (ModelFile.ModelFileException e) {
      throw new UserInputException(String.valueOf(e.getMessage()));
    }
    Path jpf = launcher();
    int plain = plainRecords();
    out.println("jpf: " + plain + " record classes with plain equals/hashCode/toString in " + PLAIN_RECORDS
        + " (JPF cannot run the ObjectMethods bootstrap)");
    List<String> command = new ArrayList<>(List.of(jpf.toString(), "+classpath=" + classpath(), modelFile.toString()));
    out.println("jpf: " + String.join(" ", command));
    out.flush();
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    JpfOutput output = new JpfOutput();
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        output.accept(line);
        if (show || line.startsWith("error #") || line.contains("no errors detected")) {
          out.println(line);
        }
      }
    }
    int exit = process.waitFor();
    JpfOutput.Verdict verdict = output.verdict();
    for (String error : output.errors()) {
      out.println("JPF: " + error);
    }
    List<String> unreached = new ArrayList<>();
    for (String label : declared) {
      if (!output.reached().contains(label)) {
        unreached.add(label);
      }
    }
    if (verdict == JpfOutput.Verdict.VACUOUS) {
      out.println("VACUOUS: the driver counted no completed step: JPF checked nothing, whatever it printed");
    }
    if (!unreached.isEmpty()) {
      out.println("UNREACHED: " + unreached.size() + " declared labels: " + String.join(", ", unreached));
    }
    // The same model with our explorer, for the side-by-side line (its own verdict is explore's).
    ExplorationReport ours = Explorer.explore(harness, ExplorerOptions.defaults().withStrategy(Strategy.DFS)
        .withDepthBound(depth));
    out.println(String.format(java.util.Locale.ROOT, "%-10s %12s %12s %10s %10s %8s", "", "states", "steps/paths",
        "labels", "verdict", "seconds"));
    out.println(String.format(java.util.Locale.ROOT, "%-10s %12d %12s %10s %10s %8d", "JPF", output.jpfStates(),
        output.steps() + "/" + output.endStates(), output.labelsReached() + "/" + declared.length,
        verdict.name().toLowerCase(java.util.Locale.ROOT), output.seconds()));
    out.println(String.format(java.util.Locale.ROOT, "%-10s %12d %12s %10s %10s %8.1f", "explorer", ours.states(),
        ours.completedSteps() + "/-", ours.coverage().reached() + "/" + ours.coverage().labels().size(),
        ours.violations().isEmpty() ? (ours.vacuous() ? "vacuous" : "held") : "violation",
        ours.elapsedNanos() / 1e9));
    summary.put("model", name)
        .put("states", output.jpfStates())
        .put("paths", output.endStates())
        .put("steps", output.steps())
        .put("labels", output.labelsReached() + "/" + declared.length)
        .put("violations", output.errors().size())
        .put("jpf_exit", exit)
        .put("verdict", verdict.name().toLowerCase(java.util.Locale.ROOT))
        .put("seconds", output.seconds())
        .failIf(verdict != JpfOutput.Verdict.HELD || !unreached.isEmpty());
  }

  /** The launcher: --jpf, else $JPF_HOME/bin/jpf, else jpf on the PATH; missing is bad input. */
  private Path launcher() {
    Path chosen = launcher;
    Path home = jpfHome;
    if (chosen == null && home != null) {
      chosen = home.resolve("bin").resolve("jpf");
    }
    if (chosen == null) {
      String envHome = System.getenv("JPF_HOME");
      if (envHome != null) {
        chosen = Path.of(envHome, "bin", "jpf");
      } else {
        for (String dir : String.valueOf(System.getenv("PATH")).split(java.io.File.pathSeparator)) {
          Path candidate = Path.of(dir, "jpf");
          if (Files.isExecutable(candidate)) {
            chosen = candidate;
            break;
          }
        }
      }
    }
    if (chosen == null || !Files.isExecutable(chosen)) {
      throw new UserInputException("no Java PathFinder launcher" + (chosen == null ? "" : " at " + chosen)
          + ": build jpf-core's java-17 branch and pass --jpf PATH/bin/jpf or set JPF_HOME (see models/README.md)");
    }
    return chosen;
  }

  /** Where the rewritten records go; JPF reads them before target/classes. */
  static final Path PLAIN_RECORDS = Path.of("target", "jpf-classes");

  /** Writes fresh plain copies of the project's records ({@link RecordMethods}); returns how many. */
  private static int plainRecords() throws IOException {
    if (Files.exists(PLAIN_RECORDS)) {
      try (java.util.stream.Stream<Path> old = Files.walk(PLAIN_RECORDS)) {
        for (Path path : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(path);
        }
      }
    }
    Files.createDirectories(PLAIN_RECORDS);
    return RecordMethods.writePlainCopies(Path.of("target", "classes"), PLAIN_RECORDS);
  }

  /** The rewritten records, the project's classes and its runtime dependencies, comma-separated as JPF's +classpath wants. */
  private static String classpath() throws IOException {
    Path file = Path.of("target", "runtime-classpath.txt");
    String dependencies = Files.isRegularFile(file) ? Files.readString(file).strip() : "";
    String all = PLAIN_RECORDS + java.io.File.pathSeparator + "target/classes"
        + (dependencies.isEmpty() ? "" : java.io.File.pathSeparator + dependencies);
    return all.replace(java.io.File.pathSeparatorChar, ',');
  }
}
