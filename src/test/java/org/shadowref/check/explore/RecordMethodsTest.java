package org.shadowref.check.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rewritten records (for Java PathFinder) keep no trace of the {@code ObjectMethods}
 * bootstrap, pass the JVM's verifier, and answer equals, hashCode and toString exactly as the
 * records javac compiled do.
 */
class RecordMethodsTest {
  private static final Path CLASSES = Path.of("target", "classes");
  /** Records on the models' path, among them the two issue 17 saw JPF stop at. */
  private static final List<String> RECORDS = List.of("org.shadowref.arch.ControlRegisters",
      "org.shadowref.arch.CpuModel", "org.shadowref.arch.Access", "org.shadowref.shadow.core.ShadowKey",
      "org.shadowref.shadow.GuestOp$FlushTlb", "org.shadowref.shadow.GuestOp$LoadCr3", "org.shadowref.shadow.OpResult");

  @TempDir Path plain;

  @Test
  void rewrittenRecordsNameNoBootstrap() throws IOException {
    int rewritten = RecordMethods.writePlainCopies(CLASSES, plain);
    assertTrue(rewritten >= 20, "records rewritten: " + rewritten);
    try (Stream<Path> files = Files.walk(plain)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        assertFalse(bytes.contains("java/lang/runtime/ObjectMethods"), file + " still names the bootstrap");
      }
    }
  }

  @Test
  void rewrittenRecordsBehaveAsTheOriginals() throws Exception {
    RecordMethods.writePlainCopies(CLASSES, plain);
    try (URLClassLoader rewritten = new ChildFirst(new URL[] {plain.toUri().toURL(), CLASSES.toUri().toURL()})) {
      for (String name : RECORDS) {
        Class<?> original = Class.forName(name);
        Class<?> copy = Class.forName(name, true, rewritten);
        assertNotEquals(original, copy, "the copy comes from the rewritten classes");
        for (int variant = 0; variant < 3; variant++) {
          Object a = make(original, variant);
          Object b = make(original, variant);
          Object other = make(original, variant + 1);
          Object ca = make(copy, variant);
          Object cb = make(copy, variant);
          Object cother = make(copy, variant + 1);
          assertEquals(a.toString(), ca.toString(), name);
          // Enum components hash by identity, which differs between the two loaders' enums: so each
          // hash is held to the same formula over its own components (the JDK's, checked on a).
          assertEquals(formula(a), a.hashCode(), name + " " + a);
          assertEquals(formula(ca), ca.hashCode(), name + " " + ca);
          assertEquals(a.equals(b), ca.equals(cb), name);
          assertEquals(a.equals(other), ca.equals(cother), name);
          assertTrue(ca.equals(ca) && !ca.equals(null) && !ca.equals("x"), name);
        }
      }
    }
  }

  /** {@code 31 * h + component.hashCode()} over the components, from 0. */
  private static int formula(Object record) throws Exception {
    int h = 0;
    for (RecordComponent component : record.getClass().getRecordComponents()) {
      java.lang.reflect.Method accessor = component.getAccessor();
      accessor.setAccessible(true);
      h = 31 * h + java.util.Objects.hashCode(accessor.invoke(record));
    }
    return h;
  }

  /** An instance of record {@code type} whose components depend on {@code variant}. */
  private static Object make(Class<?> type, int variant) throws Exception {
    RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      values[i] = sample(types[i], variant + i);
    }
    Constructor<?> canonical = type.getDeclaredConstructor(types);
    canonical.setAccessible(true);
    return canonical.newInstance(values);
  }

  private static Object sample(Class<?> type, int variant) {
    if (type == long.class) {
      return 0x1000L * variant + 0x20;
    }
    if (type == int.class) {
      return 36 + variant; // also a valid MAXPHYADDR
    }
    if (type == boolean.class) {
      return variant % 2 == 0;
    }
    if (type == String.class) {
      return "s" + variant;
    }
    if (type.isEnum()) {
      Object[] constants = type.getEnumConstants();
      return constants[variant % constants.length];
    }
    throw new IllegalArgumentException("no sample for " + type);
  }

  /** Loads the project's classes from its own URLs first, so the rewritten copies replace the originals. */
  private static final class ChildFirst extends URLClassLoader {
    ChildFirst(URL[] urls) {
      super(urls, RecordMethodsTest.class.getClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      synchronized (getClassLoadingLock(name)) {
        if (!name.startsWith("org.shadowref.")) {
          return super.loadClass(name, resolve);
        }
        Class<?> loaded = findLoadedClass(name);
        return loaded != null ? loaded : findClass(name);
      }
    }
  }
}
