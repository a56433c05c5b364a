package org.shadowref.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The address qualifiers bite: javac with the Subtyping and Nullness Checkers, configured as the
 * pom's default-compile execution, rejects a guest frame number passed where a machine frame
 * number is expected, and accepts the same code once the number goes through {@link Addr}.
 */
class AddressTypeCheckTest {
  private Path output;

  @BeforeEach
  void createOutput() throws IOException {
    output = Files.createTempDirectory("shadowref-typecheck");
  }

  @AfterEach
  void deleteOutput() throws IOException {
    try (Stream<Path> paths = Files.walk(output)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @Test
  void aGfnWhereAnMfnIsExpectedIsACompileError() throws Exception {
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    boolean compiled = compile("GfnPassedAsMfn.java", diagnostics);
    assertFalse(compiled, "the checker accepted a gfn passed as an mfn");
    List<Diagnostic<? extends JavaFileObject>> errors = errors(diagnostics);
    assertEquals(1, errors.size(), describe(errors));
    Diagnostic<? extends JavaFileObject> error = errors.get(0);
    String message = error.getMessage(Locale.ROOT);
    assertTrue(message.contains("[argument]") && message.contains("incompatible argument"), message);
    assertTrue(message.contains("@Gfn") && message.contains("@Mfn"), message);
    assertEquals(11, error.getLineNumber(), message);
  }

  @Test
  void theSameCodeThroughAddrCompilesCleanly() throws Exception {
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    boolean compiled = compile("GfnConvertedThroughAddr.java", diagnostics);
    assertTrue(compiled, describe(errors(diagnostics)));
    assertTrue(Files.exists(output.resolve("typecheck/GfnConvertedThroughAddr.class")));
  }

  /** Compiles one source from src/test/resources/typecheck as the pom compiles main code. */
  private boolean compile(String name, DiagnosticCollector<JavaFileObject> diagnostics)
      throws IOException, URISyntaxException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertNotNull(javac, "tests need a JDK, not a JRE");
    URL source = getClass().getResource("/typecheck/" + name);
    assertNotNull(source, name);
    String checker = property("shadowref.checker.jar");
    String checkerQual = property("shadowref.checkerQual.jar");
    String qualifiers = property("shadowref.qualifiers.dir");
    String classes = property("shadowref.classes.dir");
    List<String> options = new ArrayList<>();
    options.add("--release");
    options.add("17");
    options.add("-processor");
    options.add(
        "org.checkerframework.common.subtyping.SubtypingChecker,"
            + "org.checkerframework.checker.nullness.NullnessChecker");
    options.add("-processorpath");
    options.add(String.join(File.pathSeparator, checker, checkerQual, qualifiers));
    options.add("-AqualDirs=" + qualifiers);
    options.add("-classpath");
    options.add(String.join(File.pathSeparator, classes, checkerQual));
    options.add("-d");
    options.add(output.toString());
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
      Iterable<? extends JavaFileObject> units = files.getJavaFileObjects(Paths.get(source.toURI()).toFile());
      StringWriter javacOutput = new StringWriter();
      return javac.getTask(javacOutput, files, diagnostics, options, null, units).call();
    }
  }

  private static String property(String name) {
    String value = System.getProperty(name);
    assertNotNull(value, name + " is set by the surefire configuration in pom.xml");
    return value;
  }

  private static List<Diagnostic<? extends JavaFileObject>> errors(DiagnosticCollector<JavaFileObject> diagnostics) {
    List<Diagnostic<? extends JavaFileObject>> errors = new ArrayList<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() == Diagnostic.Kind.ERROR) {
        errors.add(d);
      }
    }
    return errors;
  }

  private static String describe(List<Diagnostic<? extends JavaFileObject>> diagnostics) {
    StringBuilder out = new StringBuilder();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics) {
      out.append("line ").append(d.getLineNumber()).append(": ").append(d.getMessage(Locale.ROOT)).append('\n');
    }
    return out.toString();
  }
}
