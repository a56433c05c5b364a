package org.shadowref.check.shrink;

import java.util.ArrayList;
import java.util.List;

/**
 * Shrinks a failing sequence to a small one that still fails: first delta debugging over the
 * sequence (Zeller's ddmin: drop chunks, halving the chunk size until single elements), then
 * each remaining element is replaced by simpler candidates while the failure persists. Both
 * phases repeat until neither makes progress, so the result is 1-minimal: removing any one
 * element, or simplifying any one element further, makes it pass.
 *
 * <p>QuickTheories shrinks each generated value blindly; long operation traces need this
 * domain shrinker, which knows that order matters and that most operations are irrelevant.
 *
 * @param <T> the element type (a guest operation, in practice)
 */
public final class Shrinker<T> {
  /** Whether a candidate sequence still shows the failure being shrunk. */
  public interface Test<T> {
    boolean fails(List<T> candidate);
  }

  /** Simpler versions of one element, simplest first; none for an element already simplest. */
  public interface Simplifier<T> {
    List<T> simpler(T element);
  }

  private final Test<T> test;
  private final Simplifier<T> simplifier;
  private final int maxTests;
  private int testsRun;

  /** @param maxTests a bound on test runs, so shrinking always ends; the best found so far is kept */
  public Shrinker(Test<T> test, Simplifier<T> simplifier, int maxTests) {
    this.test = test;
    this.simplifier = simplifier;
    this.maxTests = maxTests;
  }

  /** How many candidates the last {@link #shrink} tried. */
  public int testsRun() {
    return testsRun;
  }

  /** A 1-minimal failing subsequence of {@code failing}, which must itself fail. */
  public List<T> shrink(List<T> failing) {
    testsRun = 0;
    if (!test.fails(failing)) {
      throw new IllegalArgumentException("the sequence to shrink does not fail");
    }
    List<T> current = new ArrayList<>(failing);
    boolean progress = true;
    while (progress && testsRun < maxTests) {
      List<T> reduced = deltaDebug(current);
      List<T> simplified = simplifyEach(reduced);
      progress = simplified.size() < current.size() || !simplified.equals(current);
      current = simplified;
    }
    return current;
  }

  private List<T> deltaDebug(List<T> input) {
    List<T> current = input;
    int chunks = 2;
    while (current.size() >= 2 && testsRun < maxTests) {
      int chunkSize = (current.size() + chunks - 1) / chunks;
      boolean reduced = false;
      for (int start = 0; start < current.size() && testsRun < maxTests; start += chunkSize) {
        List<T> complement = new ArrayList<>(current.subList(0, start));
        complement.addAll(current.subList(Math.min(current.size(), start + chunkSize), current.size()));
        if (runs(complement)) {
          current = complement;
          chunks = Math.max(chunks - 1, 2);
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        if (chunkSize == 1) {
          break;
        }
        chunks = Math.min(current.size(), chunks * 2);
      }
    }
    if (current.size() == 1 && testsRun < maxTests && runs(new ArrayList<>())) {
      return new ArrayList<>();
    }
    return current;
  }

  private List<T> simplifyEach(List<T> input) {
    List<T> current = new ArrayList<>(input);
    for (int i = 0; i < current.size() && testsRun < maxTests; i++) {
      for (T candidate : simplifier.simpler(current.get(i))) {
        if (testsRun >= maxTests) {
          break;
        }
        List<T> attempt = new ArrayList<>(current);
        attempt.set(i, candidate);
        if (runs(attempt)) {
          current = attempt;
          i--; // simplify the new element further
          break;
        }
      }
    }
    return current;
  }

  private boolean runs(List<T> candidate) {
    testsRun++;
    return test.fails(candidate);
  }
}
