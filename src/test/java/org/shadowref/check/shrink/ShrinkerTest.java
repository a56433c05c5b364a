package org.shadowref.check.shrink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShrinkerTest {
  /** Simplifies an integer by halving it towards zero. */
  private static final Shrinker.Simplifier<Integer> HALVE =
      n -> n == 0 ? List.of() : List.of(0, n / 2);

  @Test
  void findsTheTwoOperationsThatMatterInOrder() {
    // Fails when a 7 is followed, later, by a 3: a "write then stale read" shape.
    Shrinker.Test<Integer> sevenThenThree = ops -> {
      int seven = ops.indexOf(7);
      return seven >= 0 && ops.subList(seven, ops.size()).contains(3);
    };
    List<Integer> trace = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      trace.add(i % 5 == 0 ? 1 : i % 11);
    }
    trace.add(50, 7);
    trace.add(150, 3);
    Shrinker<Integer> shrinker = new Shrinker<>(sevenThenThree, n -> List.of(), 10_000);
    assertEquals(List.of(7, 3), shrinker.shrink(trace));
    assertTrue(shrinker.testsRun() < 400, "ddmin is logarithmic-ish here, ran " + shrinker.testsRun());
  }

  @Test
  void simplifiesEachRemainingElement() {
    Shrinker.Test<Integer> sumAtLeast100 = ops -> ops.stream().mapToInt(Integer::intValue).sum() >= 100;
    List<Integer> shrunk = new Shrinker<>(sumAtLeast100, HALVE, 10_000).shrink(List.of(3, 400, 5, 90, 2));
    assertEquals(1, shrunk.size(), "one element suffices: " + shrunk);
    assertTrue(shrunk.get(0) >= 100 && shrunk.get(0) < 200, "and no further halving keeps it failing: " + shrunk);
  }

  @Test
  void resultIsOneMinimalForRandomFailures() {
    qt().withExamples(100)
        .forAll(
            lists().of(integers().between(0, 9)).ofSizeBetween(0, 60),
            integers().between(2, 4),
            integers().between(0, 1000))
        .checkAssert((generated, k, salt) -> {
          // Plant k nines at positions chosen by the salt, so every example fails.
          List<Integer> ops = new ArrayList<>(generated);
          for (int i = 0; i < k; i++) {
            ops.add((salt * (i + 7)) % (ops.size() + 1), 9);
          }
          Shrinker.Test<Integer> atLeastKNines = c -> c.stream().filter(n -> n == 9).count() >= k;
          List<Integer> shrunk = new Shrinker<>(atLeastKNines, n -> List.of(), 100_000).shrink(ops);
          assertTrue(atLeastKNines.fails(shrunk));
          for (int i = 0; i < shrunk.size(); i++) {
            List<Integer> without = new ArrayList<>(shrunk);
            without.remove(i);
            assertTrue(!atLeastKNines.fails(without), "removing element " + i + " of " + shrunk + " still fails");
          }
        });
  }

  @Test
  void refusesAPassingStartAndStopsAtItsBudget() {
    assertThrows(IllegalArgumentException.class, () -> new Shrinker<Integer>(c -> false, HALVE, 10).shrink(List.of(1)));
    Shrinker<Integer> bounded = new Shrinker<>(c -> !c.isEmpty(), HALVE, 5);
    List<Integer> result = bounded.shrink(List.of(1, 2, 3, 4, 5, 6, 7, 8));
    assertTrue(!result.isEmpty() && bounded.testsRun() <= 6);
  }
}
