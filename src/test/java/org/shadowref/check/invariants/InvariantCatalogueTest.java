package org.shadowref.check.invariants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.Maintains;
import org.shadowref.shadow.invariant.Preserves;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;
import org.shadowref.shadow.reference.ShadowState;

/**
 * The annotations on the code, the predicate registry and the proofs/ pages describe the same
 * set of invariants: nothing is listed in one place and missing from another.
 */
class InvariantCatalogueTest {
  private static final Path PAGES = Path.of("proofs", "invariants");

  /** Every id the engine's annotations mention. */
  private static Set<String> annotatedIds() {
    Set<String> ids = new TreeSet<>();
    Maintains maintains = ShadowState.class.getAnnotation(Maintains.class);
    assertNotNull(maintains, "the engine state declares what it maintains");
    ids.addAll(Arrays.asList(maintains.value()));
    int operations = 0;
    for (Method method : ShadowEngine.class.getDeclaredMethods()) {
      Preserves preserves = method.getAnnotation(Preserves.class);
      if (preserves != null) {
        operations++;
        ids.addAll(Arrays.asList(preserves.value()));
      }
    }
    for (Method method : OptimizedEngine.class.getDeclaredMethods()) {
      Preserves preserves = method.getAnnotation(Preserves.class);
      if (preserves != null) {
        ids.addAll(Arrays.asList(preserves.value()));
      }
    }
    assertTrue(operations >= 2, "the control operations and the handler declare what they preserve");
    return ids;
  }

  @Test
  void everyAnnotatedIdExistsAndHasAPredicate() {
    for (String id : annotatedIds()) {
      assertTrue(InvariantIds.exists(id), id + " is not an invariant id");
      InvariantPredicate predicate = InvariantRegistry.forId(id);
      assertNotNull(predicate, id + " has no predicate");
      assertEquals(id, predicate.id());
    }
    assertEquals(new TreeSet<>(Arrays.asList(InvariantIds.all())), annotatedIds(),
        "the engine state maintains every invariant");
  }

  @Test
  void everyIdHasAProofsPageNamingExistingChecks() throws IOException {
    for (String id : InvariantIds.all()) {
      Path page = PAGES.resolve(id + ".md");
      assertTrue(Files.exists(page), "missing proofs page " + page);
      List<String> lines = Files.readAllLines(page, StandardCharsets.UTF_8);
      assertEquals("# " + id, lines.get(0), page + " starts with its id");
      List<String> discharged = dischargedBy(lines);
      assertTrue(!discharged.isEmpty(), page + " names the checks that discharge it");
      InvariantPredicate predicate = InvariantRegistry.forId(id);
      assertNotNull(predicate);
      assertTrue(discharged.contains(predicate.getClass().getName()), page + " names its predicate");
      for (String name : discharged) {
        try {
          Class.forName(name);
        } catch (ClassNotFoundException e) {
          fail(page + " names " + name + ", which does not exist");
        }
      }
    }
  }

  @Test
  void everyPageIsForAnExistingId() throws IOException {
    List<String> strays = new ArrayList<>();
    try (Stream<Path> pages = Files.list(PAGES)) {
      pages.forEach(page -> {
        String name = page.getFileName().toString();
        if (name.startsWith("INV-") && !InvariantIds.exists(name.replace(".md", ""))) {
          strays.add(name);
        }
      });
    }
    assertEquals(List.of(), strays, "pages for ids that do not exist");
  }

  private static List<String> dischargedBy(List<String> lines) {
    List<String> names = new ArrayList<>();
    boolean inSection = false;
    for (String line : lines) {
      if (line.startsWith("## ")) {
        inSection = line.equals("## Discharged by");
      } else if (inSection && line.startsWith("- ")) {
        names.add(line.substring(2).trim());
      }
    }
    return names;
  }

  @Test
  void everyIdentifierAPageQuotesExistsInTheSources() throws IOException {
    StringBuilder sources = new StringBuilder();
    try (Stream<Path> files = Files.walk(Path.of("src", "main", "java"))) {
      for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
        sources.append(Files.readString(file, StandardCharsets.UTF_8));
      }
    }
    java.util.regex.Pattern quoted = java.util.regex.Pattern.compile("`([A-Za-z_][A-Za-z0-9_.]*)`");
    for (String id : InvariantIds.all()) {
      String page = Files.readString(PAGES.resolve(id + ".md"), StandardCharsets.UTF_8);
      java.util.regex.Matcher matcher = quoted.matcher(page);
      while (matcher.find()) {
        String name = matcher.group(1);
        String last = name.substring(name.lastIndexOf('.') + 1);
        assertTrue(sources.indexOf(last) >= 0, id + ".md quotes `" + name + "`, which the sources do not have");
      }
    }
  }
}
