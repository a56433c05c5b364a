package org.shadowref.check.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplayTest {
  private static List<int[]> answers(Trace trace) {
    List<int[]> answers = new ArrayList<>();
    for (Trace.Step step : trace.steps()) {
      answers.add(step.choices());
    }
    return answers;
  }

  @Test
  void aFoundTraceReplaysToTheSameViolation() throws Exception {
    Trace found = Explorer.explore(new ToyModels.BitQueue(4, true), ExplorerOptions.defaults()).firstViolation();
    assertNotNull(found);
    Trace replayed = Replay.run(new ToyModels.BitQueue(4, true), answers(found));
    assertEquals(found.property(), replayed.property());
    assertEquals(found.render(), replayed.render());
  }

  @Test
  void aFixedModelRunsTheTraceWithoutViolation() throws Exception {
    Trace found = Explorer.explore(new ToyModels.BitQueue(4, true), ExplorerOptions.defaults()).firstViolation();
    assertNotNull(found);
    Trace replayed = Replay.run(new ToyModels.BitQueue(4, false), answers(found));
    assertEquals("", replayed.property());
    assertEquals(3, replayed.length());
  }

  @Test
  void answersThatDoNotFitAreRejected() {
    ToyModels.BitQueue queue = new ToyModels.BitQueue(1, false);
    String outOfRange = assertThrows(Replay.ReplayException.class,
        () -> Replay.run(queue, List.of(new int[0], new int[] {1, 5}))).getMessage();
    assertTrue(outOfRange.contains("step 1, answer 1: 5 is outside 0..1"), outOfRange);
    String tooMany = assertThrows(Replay.ReplayException.class,
        () -> Replay.run(queue, List.of(new int[0], new int[] {1, 0, 0}))).getMessage();
    assertTrue(tooMany.contains("step 1 used 2 of 3 recorded answers"), tooMany);
    String disabled = assertThrows(Replay.ReplayException.class,
        () -> Replay.run(queue, List.of(new int[0], new int[] {0}))).getMessage();
    assertTrue(disabled.contains("step 1: these answers describe no transition"), disabled);
  }
}
