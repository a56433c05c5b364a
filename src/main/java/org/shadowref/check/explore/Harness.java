package org.shadowref.check.explore;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.trace.GuestSnapshot;

/**
 * A model: a small environment that drives a system through nondeterministic {@link Choices}.
 * The explorer enumerates every choice a call makes, so one call of {@link #step} describes all
 * the transitions out of a state; under Java PathFinder the same calls become JPF choice points
 * (see {@link JpfDriver}).
 *
 * <p>Rules a harness must keep, for the search to be exhaustive and its traces replayable:
 *
 * <ul>
 *   <li>Deterministic given the choices: no clocks, randomness, hash-ordered iteration or state
 *       outside {@code S}. The explorer replays choice sequences to rebuild traces and reports a
 *       harness that answers differently the second time.
 *   <li>{@link #fingerprint} feeds the whole state that influences the future, canonically:
 *       equal states feed equal words, and states that differ anywhere feed different words.
 *       State the future cannot depend on (statistics, the last result) stays out of it.
 *   <li>Steps mutate the state they are given: it is the explorer's private copy.
 *   <li>Calls may run at once from several threads ({@link ExplorerOptions#threads}), each on a
 *       state of its own: the harness's own fields are configuration, never written while
 *       searching; scratch space belongs in the state.
 * </ul>
 *
 * @param <S> the model state; the explorer copies and hashes it only through this interface
 */
public interface Harness<S> {
  /**
   * Builds an initial state; every outcome of the choices made is a separate initial state.
   * {@code events} takes notes, coverage and skips as in {@link #step}.
   */
  S initial(Choices choices, Events events);

  /**
   * One transition out of {@code state}, chosen by {@code choices}, performed on {@code state}
   * itself. Report what happened to {@code events}; a violation found while stepping (an
   * oracle disagreeing with the system) is reported there too.
   */
  void step(S state, Choices choices, Events events);

  /** The state's properties, checked in every new state: report each broken one to {@code events}. */
  void check(S state, Events events);

  /** An independent deep copy. */
  S copy(S state);

  /**
   * Makes {@code target} (a state the explorer no longer needs) a copy of {@code source} and
   * returns it; harnesses whose states can be overwritten in place override this to save
   * allocation. The default allocates.
   */
  default S copyInto(S source, S target) {
    return copy(source);
  }

  /** Feeds the whole future-relevant state into {@code into}, canonically. */
  void fingerprint(S state, Fingerprint into);

  /**
   * Every coverage label the harness can report, so a report can show the ones never reached.
   * Labels reported but not listed are shown too.
   */
  default String[] coverageLabels() {
    return new String[0];
  }

  /**
   * The guest a trace starting at {@code initial} runs on, for the trace file; null for models
   * that do not drive a guest (their traces hold choices and notes only).
   */
  default @Nullable GuestSnapshot world(S initial) {
    return null;
  }
}
