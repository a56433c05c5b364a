package org.shadowref.check.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
  @Test
  void readsJpfPropertiesWithContinuationsAppendsAndConfigPath(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("Toy.jpf");
    Files.writeString(file, String.join("\n",
        "# a comment",
        "@using = jpf-core",
        "target = org.shadowref.models.NativeWalk",
        "target.args = mode=pae,\\",
        "   others=rights",
        "classpath = ${config_path}/classes",
        "classpath += ,more",
        ""));
    ModelFile model = ModelFile.read(file);
    assertEquals("Toy", model.name());
    assertEquals("org.shadowref.models.NativeWalk", model.target());
    assertEquals("mode=pae,others=rights", model.args().toString());
    assertEquals(dir.toAbsolutePath() + "/classes,more", model.property("classpath"));
  }

  /** Thorough bounds are the file's own, put over target.args, or else one step deeper. */
  @Test
  void thoroughBoundsComeFromTheFileOrGoOneStepDeeper(@TempDir Path dir) throws Exception {
    Path declared = dir.resolve("A.jpf");
    Files.writeString(declared, "target = x\ntarget.args = depth=5,mode=all\nshadowref.thorough.args = depth=7\n");
    assertEquals("depth=7,mode=all", ModelFile.read(declared).thoroughArgs().toString());
    assertEquals("depth=5,mode=all", ModelFile.read(declared).args().toString());
    Path undeclared = dir.resolve("B.jpf");
    Files.writeString(undeclared, "target = x\ntarget.args = depth=2,mode=pae\n");
    assertEquals("depth=3,mode=pae", ModelFile.read(undeclared).thoroughArgs().toString());
    Path unbounded = dir.resolve("C.jpf");
    Files.writeString(unbounded, "target = x\ntarget.args = mode=all\nshadowref.thorough.args = others=rights\n");
    assertEquals("mode=all,others=rights", ModelFile.read(unbounded).thoroughArgs().toString());
    Path bad = dir.resolve("D.jpf");
    Files.writeString(bad, "target = x\ntarget.args = depth=2\nshadowref.thorough.args = deeper\n");
    String message = assertThrows(ModelFile.ModelFileException.class, () -> ModelFile.read(bad).thoroughArgs()).getMessage();
    assertTrue(message.contains("D.jpf:3: model argument 'deeper' is not of the form key=value"), message);
  }

  @Test
  void badFilesAndTargetsAreClearErrors(@TempDir Path dir) throws Exception {
    Path noTarget = dir.resolve("a.jpf");
    Files.writeString(noTarget, "classpath = x\n");
    String message = assertThrows(ModelFile.ModelFileException.class, () -> ModelFile.read(noTarget).target()).getMessage();
    assertTrue(message.contains("no 'target = CLASS' line"), message);

    Path garbage = dir.resolve("b.jpf");
    Files.writeString(garbage, "target = x\nthis is not a property\n");
    message = assertThrows(ModelFile.ModelFileException.class, () -> ModelFile.read(garbage)).getMessage();
    assertTrue(message.endsWith("b.jpf:2: expected 'key = value', got 'this is not a property'"), message);

    message = assertThrows(ModelFile.ModelFileException.class,
        () -> ModelFile.instantiate("java.lang.String", ModelArgs.parse(), "here")).getMessage();
    assertEquals("here: target java.lang.String is not a harness (it does not implement "
        + Harness.class.getName() + ")", message);

    message = assertThrows(ModelFile.ModelFileException.class,
        () -> ModelFile.instantiate("org.shadowref.models.NativeWalk", ModelArgs.parse("mode=5level"), "here")).getMessage();
    assertEquals("here: model argument mode=5level must be one of: all, 2level, pae, 4level", message);
  }

  @Test
  void modelArgumentsAreTypedAndCheckedForTypos() {
    ModelArgs args = ModelArgs.parse("depth=3", " size = 4 ", "", "flavour=x");
    assertEquals(3, args.intValue("depth", -1, -1, 10));
    assertEquals(4, args.intValue("size", 0, 0, 10));
    assertEquals(7, args.intValue("absent", 7, 0, 10));
    IllegalArgumentException unused = assertThrows(IllegalArgumentException.class, () -> args.checkAllUsed("Toy"));
    assertEquals("model Toy has no argument 'flavour' (it reads: depth, size, absent)", unused.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ModelArgs.parse("novalue"));
    assertThrows(IllegalArgumentException.class, () -> ModelArgs.parse("a=1", "a=2"));
    assertThrows(IllegalArgumentException.class, () -> ModelArgs.parse("n=x").intValue("n", 0, 0, 9));
    assertThrows(IllegalArgumentException.class, () -> ModelArgs.parse("n=10").intValue("n", 0, 0, 9));
  }
}
