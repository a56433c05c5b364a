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

  @Test
  void aSkippedStepAbandonsThePath() {
    int before = Verify.pathsIgnored;
    // Capacity 2: the third enqueue is not enabled, so the path ends there, without error.
    JpfDriver.run(new ToyModels.BitQueue(2, false), 5);
    assertEquals(before + 1, Verify.pathsIgnored);
  }
}
