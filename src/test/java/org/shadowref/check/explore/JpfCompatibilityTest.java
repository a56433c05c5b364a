package org.shadowref.check.explore;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What stock Java PathFinder (jpf-core, java-17 branch) cannot execute stays off the code the
 * models run. Issue 17 found its model of {@code Throwable} without the four-argument constructor
 * {@code (String, Throwable, boolean, boolean)}: a model reaching one reported a false error. No
 * class of the project calls it (a class that did would name its descriptor in its constant pool).
 */
class JpfCompatibilityTest {
  private static final String FOUR_ARGUMENT_THROWABLE = "(Ljava/lang/String;Ljava/lang/Throwable;ZZ)V";

  @Test
  void noClassUsesTheFourArgumentThrowableConstructor() throws IOException {
    Path classes = Path.of("target", "classes", "org", "shadowref");
    List<Path> offenders;
    try (Stream<Path> files = Files.walk(classes)) {
      offenders = files.filter(f -> f.toString().endsWith(".class")).filter(JpfCompatibilityTest::names)
          .collect(Collectors.toList());
    }
    assertTrue(offenders.isEmpty(), "classes calling Throwable(String, Throwable, boolean, boolean): " + offenders);
  }

  private static boolean names(Path classFile) {
    try {
      // The constant pool holds descriptors in modified UTF-8, which is plain ASCII for these.
      return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1).contains(FOUR_ARGUMENT_THROWABLE);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
