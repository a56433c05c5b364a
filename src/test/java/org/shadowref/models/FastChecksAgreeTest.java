package org.shadowref.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.shadowref.check.explore.Choices;
import org.shadowref.check.explore.Events;
import org.shadowref.check.explore.ExplorationReport;
import org.shadowref.check.explore.Explorer;
import org.shadowref.check.explore.ExplorerOptions;
import org.shadowref.check.explore.Fingerprint;
import org.shadowref.check.explore.Harness;
import org.shadowref.check.explore.Lockstep;
import org.shadowref.check.explore.ModelArgs;
import org.shadowref.check.explore.Strategy;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.check.invariants.ShadowScan;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * The checks the engine models run in every state are the fast forms of plain definitions; here
 * both run side by side in every state the models explore, with the correct engine and with each
 * seeded bug, and must give the same verdict, word for word. The invariants: judged on a scan
 * that finds present entries by word scans ({@link ShadowScan#of}, what the models run) and on one
 * that reads every entry of every frame it looks at ({@link ShadowScan#readingEveryEntry}). State
 * matching: on the system's words alone, as {@link org.shadowref.check.explore.LockstepHarness}
 * matches, and on both platforms' words.
 */
class FastChecksAgreeTest {
  /** A model passed through unchanged; subclasses change one part. */
  private static class Delegating<S> implements Harness<S> {
    final Harness<S> model;

    Delegating(Harness<S> model) {
      this.model = model;
    }

    @Override
    public S initial(Choices choices, Events events) {
      return model.initial(choices, events);
    }

    @Override
    public void step(S state, Choices choices, Events events) {
      model.step(state, choices, events);
    }

    @Override
    public void check(S state, Events events) {
      model.check(state, events);
    }

    @Override
    public S copy(S state) {
      return model.copy(state);
    }

    @Override
    public S copyInto(S source, S target) {
      return model.copyInto(source, target);
    }

    @Override
    public void fingerprint(S state, Fingerprint into) {
      model.fingerprint(state, into);
    }

    @Override
    public String[] coverageLabels() {
      return model.coverageLabels();
    }

    @Override
    public @Nullable GuestSnapshot world(S initial) {
      return model.world(initial);
    }
  }

  /** Runs the model's own check after comparing the fast and the full invariant checks. */
  private static final class Compared<S> extends Delegating<S> {
    private final Function<S, ReferenceEngine> engineOf;
    int states;
    int statesBreakingInvariants;

    Compared(Harness<S> model, Function<S, ReferenceEngine> engineOf) {
      super(model);
      this.engineOf = engineOf;
    }

    @Override
    public void check(S state, Events events) {
      ReferenceEngine engine = engineOf.apply(state);
      List<String> fast = InvariantRegistry.violations(ShadowScan.of(engine));
      List<String> full = InvariantRegistry.violations(ShadowScan.readingEveryEntry(engine));
      assertEquals(full, fast, "the scans disagree on " + engine);
      states++;
      if (!full.isEmpty()) {
        statesBreakingInvariants++;
      }
      model.check(state, events);
    }
  }

  /** Matches states on both platforms' words, the native oracle's included. */
  private static final class BothPlatformsFed extends Delegating<Lockstep> {
    BothPlatformsFed(Harness<Lockstep> model) {
      super(model);
    }

    @Override
    public void fingerprint(Lockstep state, Fingerprint into) {
      state.system().fingerprint(into);
      state.oracle().fingerprint(into);
    }
  }

  private static ReferenceEngine engineOf(Lockstep state) {
    return ((ObservedEngine) state.system()).engine();
  }

  /** Explores {@code model} to {@code depth}, past every violation, comparing in every state. */
  private static <S> Compared<S> explore(Harness<S> model, Function<S, ReferenceEngine> engineOf, int depth) {
    Compared<S> compared = new Compared<>(model, engineOf);
    ExplorationReport report = Explorer.explore(compared, ExplorerOptions.defaults()
        .withStrategy(Strategy.DFS).withDepthBound(depth).withMaxViolations(Integer.MAX_VALUE));
    // Rebuilding a violation's trace checks its last state once more.
    assertTrue(compared.states >= report.states(), "every new state was compared");
    return compared;
  }

  private static String[] bugArguments() {
    List<SeededBug> bugs = SeededBug.ofReference();
    String[] out = new String[bugs.size()];
    for (int i = 0; i < bugs.size(); i++) {
      out[i] = "bug=" + bugs.get(i).cliName();
    }
    return out;
  }

  @Test
  void singleFaultAtItsDefaultBounds() {
    Compared<Lockstep> run = explore(new SingleFault(ModelArgs.parse()), FastChecksAgreeTest::engineOf, 2);
    assertEquals(0, run.statesBreakingInvariants);
  }

  @Test
  void singleFaultWithEachSeededBug() {
    int breaking = 0;
    for (String bug : bugArguments()) {
      SingleFault model = new SingleFault(ModelArgs.parse(bug, "controls=none"));
      breaking += explore(model, FastChecksAgreeTest::engineOf, 2).statesBreakingInvariants;
    }
    assertTrue(breaking > 0, "the seeded bugs broke invariants in some states");
  }

  @Test
  void sequencesWithAndWithoutSeededBugs() {
    assertEquals(0, explore(new Sequences(ModelArgs.parse()), FastChecksAgreeTest::engineOf, 6).statesBreakingInvariants);
    int breaking = 0;
    for (String bug : bugArguments()) {
      breaking += explore(new Sequences(ModelArgs.parse(bug)), FastChecksAgreeTest::engineOf, 4).statesBreakingInvariants;
    }
    assertTrue(breaking > 0, "the seeded bugs broke invariants in some states");
  }

  @Test
  void twoVcpusWithAndWithoutSeededBugs() {
    assertEquals(0, explore(new TwoVcpus(ModelArgs.parse()), (TwoVcpus.State s) -> (ReferenceEngine) s.engine, 8).statesBreakingInvariants);
    int breaking = 0;
    for (String bug : bugArguments()) {
      breaking += explore(new TwoVcpus(ModelArgs.parse(bug)), (TwoVcpus.State s) -> (ReferenceEngine) s.engine, 6).statesBreakingInvariants;
    }
    assertTrue(breaking > 0, "the seeded bugs broke invariants in some states");
  }

  /** The PAE and 2-level worlds, clean and with the seeded bugs only they show. */
  @Test
  void theOtherPagingModesWithAndWithoutTheirSeededBugs() {
    assertEquals(0, explore(new SingleFault(ModelArgs.parse("mode=all", "controls=none")),
        FastChecksAgreeTest::engineOf, 2).statesBreakingInvariants);
    assertEquals(0, explore(new Sequences(ModelArgs.parse("mode=all")), FastChecksAgreeTest::engineOf, 3).statesBreakingInvariants);
    int breaking = 0;
    for (String bug : new String[] {"bug=upper-half-not-revalidated", "bug=shadow-width-for-guest-entries",
        "bug=splinter-second-half-maps-first", "bug=pae-cr3-low-bits-dropped"}) {
      breaking += explore(new SingleFault(ModelArgs.parse(bug, "mode=all", "level=2", "controls=none")),
          FastChecksAgreeTest::engineOf, 2).statesBreakingInvariants;
      breaking += explore(new Sequences(ModelArgs.parse(bug, "mode=all")), FastChecksAgreeTest::engineOf, 3).statesBreakingInvariants;
    }
    assertTrue(breaking > 0, "the seeded bugs broke invariants in some states");
  }

  /**
   * Leaving the native oracle's words out of the fingerprint (they repeat the system's guest)
   * merges no states: both orders find the same states and transitions with them fed.
   */
  @Test
  void matchingOnTheSystemAloneFindsTheStatesMatchingOnBothFinds() {
    for (Strategy strategy : Strategy.values()) {
      ExplorerOptions options = ExplorerOptions.defaults().withStrategy(strategy);
      assertSameSearch(new SingleFault(ModelArgs.parse()), options.withDepthBound(2));
      assertSameSearch(new Sequences(ModelArgs.parse()), options.withDepthBound(6));
      // Every mode at once: states of one mode overwrite discarded states of another.
      assertSameSearch(new Sequences(ModelArgs.parse("mode=all")), options.withDepthBound(3));
    }
  }

  private static void assertSameSearch(Harness<Lockstep> model, ExplorerOptions options) {
    ExplorationReport alone = Explorer.explore(model, options);
    ExplorationReport both = Explorer.explore(new BothPlatformsFed(model), options);
    assertEquals(both.states(), alone.states());
    assertEquals(both.transitions(), alone.transitions());
    assertEquals(both.maxDepth(), alone.maxDepth());
  }
}
