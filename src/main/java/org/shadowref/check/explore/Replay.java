package org.shadowref.check.explore;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.trace.GuestSnapshot;

/**
 * Re-runs a model along recorded answers (a trace file's {@code origin.choices}): step 0 builds
 * the initial state, each further list drives one step, and every step is checked as during the
 * search. The result is the trace as it happens now, so a fixed bug shows as a trace that no
 * longer ends in a violation.
 */
public final class Replay {
  private Replay() {}

  /** Thrown when the recorded answers do not fit the model as it is now. */
  public static final class ReplayException extends Exception {
    private static final long serialVersionUID = 1L;

    public ReplayException(String message) {
      super(message);
    }
  }

  /**
   * Replays {@code answers}; the returned trace's property is the first violation reported, or
   * the empty string when none was.
   */
  public static <S> Trace run(Harness<S> harness, List<int[]> answers) throws ReplayException {
    if (answers.isEmpty()) {
      throw new ReplayException("no recorded answers: a trace needs at least the initial step");
    }
    SearchEvents events = new SearchEvents(null, true);
    List<Trace.Step> steps = new ArrayList<>();
    S state = null;
    GuestSnapshot world = null;
    for (int index = 0; index < answers.size(); index++) {
      Scripted choices = new Scripted(answers.get(index), index);
      events.reset();
      if (state == null) {
        state = harness.initial(choices, events);
        world = harness.world(harness.copy(state));
      } else {
        harness.step(state, choices, events);
      }
      choices.finish();
      if (events.skipped) {
        throw new ReplayException("step " + index + ": these answers describe no transition in this state");
      }
      if (events.violatedProperty == null) {
        harness.check(state, events);
      }
      steps.add(new Trace.Step(answers.get(index), events.notes, events.ops, events.results));
      if (events.violatedProperty != null) {
        if (index != answers.size() - 1) {
          throw new ReplayException("step " + index + " already violates '" + events.violatedProperty
              + "', before the end of the recorded answers");
        }
        return new Trace(steps, world, events.violatedProperty, events.violationDetail);
      }
    }
    return new Trace(steps, world, "", "");
  }

  /** Answers from a list, checking that the model asks the same number of questions in range. */
  private static final class Scripted implements Choices {
    private final int[] answers;
    private final int step;
    private int position;
    private @Nullable String problem;

    Scripted(int[] answers, int step) {
      this.answers = answers;
      this.step = step;
    }

    @Override
    public int chooseInt(int lowInclusive, int highInclusive) {
      if (position >= answers.length) {
        problem = "step " + step + " asks more than the " + answers.length + " recorded answers";
        return lowInclusive;
      }
      int answer = answers[position++];
      if (answer < lowInclusive || answer > highInclusive) {
        if (problem == null) {
          problem = "step " + step + ", answer " + (position - 1) + ": " + answer + " is outside "
              + lowInclusive + ".." + highInclusive;
        }
        return lowInclusive;
      }
      return answer;
    }

    @Override
    public boolean chooseBoolean() {
      return chooseInt(0, 1) == 1;
    }

    void finish() throws ReplayException {
      if (problem == null && position < answers.length) {
        problem = "step " + step + " used " + position + " of " + answers.length + " recorded answers";
      }
      if (problem != null) {
        throw new ReplayException(problem + ": the trace does not fit this model");
      }
    }
  }
}
