package org.shadowref.check.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The verdict on a JPF run, from its console output. The JPF lines here are written in the
 * format jpf-core prints (its search summary), not recorded from a run: this machine cannot
 * build jpf-core (issue 17).
 */
class JpfOutputTest {
  private static JpfOutput read(String... lines) {
    JpfOutput output = new JpfOutput();
    for (String line : lines) {
      output.accept(line);
    }
    return output;
  }

  /** The false "no errors" issue 17 found: the model's thread stopped before its first step. */
  @Test
  void noErrorsWithoutACountIsVacuous() {
    JpfOutput output = read("JavaPathfinder core system v8.0", "====================================================== results",
        "no errors detected", "====================================================== statistics");
    assertEquals(JpfOutput.Verdict.VACUOUS, output.verdict());
    assertEquals(-1, output.labelsDeclared());
  }

  @Test
  void countsWithEveryLabelAndNoErrorsHold() {
    JpfOutput output = read(JpfDriver.MARK + " reached plus1", JpfDriver.MARK + " steps=0 labels=1/2",
        JpfDriver.MARK + " reached plus2", JpfDriver.MARK + " steps=1000 labels=2/2",
        JpfDriver.MARK + " steps=1417 labels=2/2", "no errors detected");
    assertEquals(JpfOutput.Verdict.HELD, output.verdict());
    assertEquals(1417, output.steps());
    assertEquals(List.of("plus1", "plus2"), List.copyOf(output.reached()));
  }

  @Test
  void aLabelNeverReachedFailsEvenWithNoErrors() {
    JpfOutput output = read(JpfDriver.MARK + " reached plus1", JpfDriver.MARK + " steps=12 labels=1/3", "no errors detected");
    assertEquals(JpfOutput.Verdict.UNREACHED, output.verdict());
  }

  @Test
  void countedStepsButNoCompletedOnesAreVacuous() {
    assertEquals(JpfOutput.Verdict.VACUOUS, read(JpfDriver.MARK + " steps=0 labels=0/3", "no errors detected").verdict());
  }

  @Test
  void anErrorWinsAndARunThatNeverEndedIsUnfinished() {
    JpfOutput error = read(JpfDriver.MARK + " steps=3 labels=1/1",
        "error #1: gov.nasa.jpf.vm.NoUncaughtExceptionsProperty java.lang.AssertionError: INV-WRITE-PROTECT: ...");
    assertEquals(JpfOutput.Verdict.ERROR, error.verdict());
    assertEquals(1, error.errors().size());
    assertEquals(JpfOutput.Verdict.UNFINISHED, read(JpfDriver.MARK + " steps=3 labels=1/1").verdict());
  }
}
