package org.shadowref.check.emulation;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import org.junit.jupiter.api.Test;

/** The emulator against the independent oracle on random instructions, and on random bytes. */
class EmulationCheckTest {
  @Test
  void emulatorAgreesWithTheOracleOnRandomInstructionsOfTheSubset() {
    qt().withExamples(3000).forAll(longs().all()).checkAssert(seed -> assertNull(EmulationCheck.compare(seed)));
  }

  @Test
  void randomBytesNeverThrowAndNeverWriteWhenRefused() {
    int[] tried = {0};
    qt().withExamples(3000).forAll(longs().all()).checkAssert(seed -> {
      tried[0]++;
      assertNull(EmulationCheck.fuzz(seed));
    });
    System.out.println("emulator fuzz: " + tried[0] + " random byte strings tried");
  }
}
