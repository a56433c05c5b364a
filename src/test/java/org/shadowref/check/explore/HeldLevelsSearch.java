package org.shadowref.check.explore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A breadth-first search written the plain way, as the explorer searched before its levels kept
 * answers instead of states: every level holds its states whole, and states are matched on
 * their fingerprints in a {@code HashSet}. Tests compare the explorer with it.
 */
public final class HeldLevelsSearch {
  private HeldLevelsSearch() {}

  /** What the search found: distinct states, transitions run, the deepest level reached, violations. */
  public record Counts(long states, long transitions, int maxDepth, long violations) {}

  /** Searches {@code harness} breadth-first to {@code depthBound} (-1: none), one thread. */
  public static <S> Counts search(Harness<S> harness, int depthBound) {
    Set<List<Long>> seen = new HashSet<>();
    SearchEvents events = new SearchEvents(null, false);
    Fingerprint fingerprint = new Fingerprint();
    long transitions = 0;
    long violations = 0;
    int maxDepth = 0;
    List<S> level = new ArrayList<>();
    ChoiceOdometer odometer = new ChoiceOdometer();
    odometer.reset();
    do {
      odometer.beginRun();
      events.reset();
      S state = harness.initial(odometer, events);
      if (!events.skipped && isNew(harness, state, seen, fingerprint) && checked(harness, state, events)) {
        level.add(state);
      } else if (events.violatedProperty != null) {
        violations++;
      }
    } while (odometer.advance());
    for (int depth = 0; !level.isEmpty() && (depthBound < 0 || depth < depthBound); depth++) {
      List<S> next = new ArrayList<>();
      for (S parent : level) {
        odometer.reset();
        do {
          S state = harness.copy(parent);
          odometer.beginRun();
          events.reset();
          harness.step(state, odometer, events);
          transitions++;
          if (events.skipped) {
            continue;
          }
          if (events.violatedProperty != null) {
            violations++;
          } else if (isNew(harness, state, seen, fingerprint)) {
            maxDepth = depth + 1;
            if (checked(harness, state, events)) {
              next.add(state);
            } else {
              violations++;
            }
          }
        } while (odometer.advance());
      }
      level = next;
    }
    return new Counts(seen.size(), transitions, maxDepth, violations);
  }

  private static <S> boolean isNew(Harness<S> harness, S state, Set<List<Long>> seen, Fingerprint fingerprint) {
    harness.fingerprint(state, fingerprint.reset());
    return seen.add(List.of(fingerprint.high(), fingerprint.low()));
  }

  private static <S> boolean checked(Harness<S> harness, S state, SearchEvents events) {
    harness.check(state, events);
    return events.violatedProperty == null;
  }
}
