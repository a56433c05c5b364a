package org.shadowref.example;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.DocumentationTool;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Javadoc builds from the main sources with no error and no doclint warning (HTML, references,
 * syntax), and every public type and member of the library API a README reader starts from has
 * a comment. Tag-by-tag {@code @param}/{@code @return} is not required: the house style is one
 * sentence that says what, with tags where a parameter needs its own words.
 */
class ApiDocumentationTest {
  /** What the README's library section names: the scenario reader, the side-by-side runner, the engines, the walker. */
  private static final Set<String> LIBRARY = Set.of(
      "check/trace/ScenarioReader.java", "check/trace/Scenario.java", "check/diff/SideBySide.java",
      "check/diff/PlatformSet.java", "check/diff/StandardPlatforms.java", "shadow/Platform.java",
      "shadow/GuestOp.java", "shadow/OpResult.java", "shadow/GuestMachine.java", "shadow/NativePlatform.java",
      "shadow/core/ShadowEngine.java", "shadow/reference/ReferenceEngine.java",
      "shadow/optimized/OptimizedEngine.java", "shadow/optimized/OptimizedConfig.java", "mmu/Walker.java",
      "mmu/NativeMmu.java");

  @TempDir Path out;

  @Test
  void javadocBuildsCleanlyAndTheLibraryApiIsDocumented() throws IOException {
    DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
    assertNotNull(javadoc, "tests need a JDK, not a JRE");
    Path classpathFile = Path.of("target", "runtime-classpath.txt");
    assertTrue(Files.exists(classpathFile), "the build writes " + classpathFile + " (maven-dependency-plugin)");
    String classpath = "target/classes" + File.pathSeparator + Files.readString(classpathFile).strip();
    Path sources = Path.of("src", "main", "java");
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    boolean built;
    try (StandardJavaFileManager files = javadoc.getStandardFileManager(diagnostics, Locale.ROOT, null);
        Stream<Path> walk = Files.walk(sources)) {
      List<File> units = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).collect(Collectors.toList());
      List<String> options = List.of("-quiet", "-Xmaxwarns", "100000", "-Xdoclint:all", "-d", out.toString(),
          "-cp", classpath, "-sourcepath", sources.toString());
      built = javadoc.getTask(new StringWriter(), files, diagnostics, null, options, files.getJavaFileObjectsFromFiles(units))
          .call();
    }
    List<String> problems = new ArrayList<>();
    int tagsOnly = 0;
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      String message = d.getMessage(Locale.ROOT);
      String where = d.getSource() == null ? "" : sources.toAbsolutePath().relativize(Path.of(d.getSource().toUri()))
          .toString().replace(File.separatorChar, '/').replace("org/shadowref/", "");
      boolean missingTag = message.startsWith("no @param") || message.startsWith("no @return")
          || message.startsWith("no @throws");
      boolean missingComment = message.startsWith("no comment");
      if (d.getSource() == null && message.matches("[\\d,]+ warnings?")) {
        continue; // javadoc's own count of the warnings above
      }
      if (d.getKind() == Diagnostic.Kind.ERROR || (!missingTag && !missingComment)
          || (missingComment && LIBRARY.contains(where))) {
        problems.add(where + ":" + d.getLineNumber() + ": " + message);
      } else {
        tagsOnly++;
      }
    }
    assertTrue(built && problems.isEmpty(), "javadoc: " + problems.size() + " problems (besides " + tagsOnly
        + " missing tags or comments outside the library API):\n" + String.join("\n", problems));
    assertTrue(Files.exists(out.resolve("org/shadowref/shadow/reference/ReferenceEngine.html")));
  }
}
