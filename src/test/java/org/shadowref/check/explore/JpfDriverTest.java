package org.shadowref.check.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import gov.nasa.jpf.vm.Verify;
import org.junit.jupiter.api.Test;

/** The JPF bridge and driver, against the test stand-in for {@code gov.nasa.jpf.vm.Verify}. */
class JpfDriverTest {
  @Test
  void theBridgeFindsVerifyByReflectionAndDelegatesToIt() {
    JpfVerify verify = JpfVerify.ifRunningInJpf();
    assertNotNull(verify, "the stand-in says it runs inside JPF");
    int before = Verify.choicesMade;
    assertEquals(9, verify.chooseInt(3, 9));
    assertTrue(verify.chooseBoolean());
    assertEquals(before + 2, Verify.choicesMade);
    assertThrows(IllegalArgumentException.class, () -> verify.chooseInt(2, 1));
  }

  @Test
  void aViolationOnTheJpfPathIsAnAssertionError() {
    // Always the highest answer: enqueue, a one; the third step breaks "no three ones".
    AssertionError error =
        assertThrows(AssertionError.class, () -> JpfDriver.run(new ToyModels.BitQueue(4, true), 5));
    assertTrue(error.getMessage().startsWith("no three ones: queue [3, 1, 1, 1, 0]"), error.getMessage());
  }

  /**
   * The driver counts completed steps and reached labels in JPF's counters (which survive
   * backtracking) and prints them, so a run can be judged by what it checked.
   */
  @Test
  void theDriverCountsStepsAndLabelsAndPrintsThem() {
    for (int id = 0; id < 8; id++) {
      Verify.setCounter(id, 0);
    }
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    java.io.PrintStream original = System.out;
    System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      // The stand-in always takes the highest choice: +2 on every step, so plus1 and never stay unreached.
      JpfDriver.run(new ToyModels.Counter(100, 1), 3);
    } finally {
      System.setOut(original);
    }
    JpfOutput output = new JpfOutput();
    for (String line : captured.toString(java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
      output.accept(line);
    }
    assertEquals(3, output.steps());
    assertEquals(1, output.labelsReached());
    assertEquals(3, output.labelsDeclared());
    assertEquals(java.util.Set.of("plus2"), output.reached());
    assertEquals(JpfOutput.Verdict.UNREACHED, output.verdict());
  }

  /** A class first used inside a step, as the reserved-bit tables are. */
  private static final class FirstUsedInAStep {
    static final int CHOICES_AT_INITIALIZATION = Verify.choicesMade;

    static void touch() {}
  }

  /** Classes a step uses are initialized before JPF's first choice, not again on every branch. */
  @Test
  void classesAreInitializedBeforeTheFirstChoice() {
    int before = Verify.choicesMade;
    JpfDriver.run(new ToyModels.Counter(100, 1) {
      @Override
      public void step(int[] state, Choices choices, Events events) {
        FirstUsedInAStep.touch();
        super.step(state, choices, events);
      }
    }, 2);
    assertEquals(before, FirstUsedInAStep.CHOICES_AT_INITIALIZATION);
    assertTrue(Verify.choicesMade > before);
  }

  @Test
  void aSkippedStepAbandonsThePath() {
    int before = Verify.pathsIgnored;
    // Capacity 2: the third enqueue is not enabled, so the path ends there, without error.
    JpfDriver.run(new ToyModels.BitQueue(2, false), 5);
    assertEquals(before + 1, Verify.pathsIgnored);
  }
}
