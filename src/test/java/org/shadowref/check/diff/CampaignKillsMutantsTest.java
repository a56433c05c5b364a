package org.shadowref.check.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.gen.Guests;
import org.shadowref.check.suite.ExamplesClaim;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.optimized.Counters;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;

/**
 * The killer PIT runs against every mutant of the engines and the MMU ({@code mvn -Ppit verify}):
 * the lanes of {@code shadowref check}'s campaign ({@link StandardPlatforms#campaignLanes()}),
 * judged step by step by the same {@link Differential.Stepper}, without the shrinking a campaign
 * does after a divergence (PIT needs only the first failure). One test per lane, so PIT stops at
 * the first lane that kills and runs only the lanes that execute a mutated line; then the
 * examples and the copies check, which check also runs, on every lane. In the plain suite it is
 * one more bounded campaign that must hold.
 */
class CampaignKillsMutantsTest {
  /** Operations per lane: enough to reach every handler case, small enough for PIT. */
  private static final int OPS = 2_000;
  private static final int OPS_PER_GUEST = 50;
  private static final int COPY_CASES = 20;

  @Test
  void everyModeOnReferenceAndOptimized() {
    lane(0, 11);
  }

  @Test
  void twoLevelGuestsOnTwoLevelShadows() {
    lane(1, 12);
  }

  @Test
  void productionAgainstNativeWithATlb() {
    lane(2, 13);
  }

  @Test
  void productionWithASmallPool() {
    lane(3, 14);
  }

  @Test
  void productionTwoOnTwo() {
    lane(4, 15);
  }

  /**
   * What check's copies claim runs, on every lane's engines: a copy taken midway, and a copy
   * overwritten in place, behave as the original (kills mutants of copy, copyInto and the
   * fingerprints, which no campaign executes).
   */
  @Test
  void copiesBehaveAsTheirOriginals() {
    for (Lane lane : StandardPlatforms.campaignLanes()) {
      for (int i = 0; i < COPY_CASES; i++) {
        Random random = new Random(16 + i);
        GeneratedCase generated = Guests.generate(random, 2 + random.nextInt(40), lane.mode());
        for (Platform platform : lane.platforms().build(generated.world())) {
          String differs = CopyCheck.copyMidwayBehavesAlike(platform, generated.ops());
          if (differs != null) {
            fail(lane.name() + ", copy case " + i + ": " + differs);
          }
        }
      }
    }
  }

  /**
   * What check's examples claim runs, on every lane's platforms: each scenario aims at one
   * boundary (the MMIO marker's fast path, PSE-36 RAM above 4 GiB, a refused emulation) that the
   * generated guests of a 2,000-operation lane reach rarely or never.
   */
  @Test
  void examplesAgreeOnEveryLane() throws Exception {
    List<GeneratedCase> examples = ExamplesClaim.asCases(Path.of("examples"));
    assertTrue(examples.size() >= 20, "the examples were read: " + examples.size());
    for (Lane lane : StandardPlatforms.campaignLanes()) {
      for (int i = 0; i < examples.size(); i++) {
        Differential.Failure failure = Differential.check(lane.platforms(), examples.get(i).world(), examples.get(i).ops());
        if (failure != null) {
          fail(lane.name() + ", example " + (i + 1) + ": " + failure);
        }
      }
    }
  }

  @Test
  void thereIsOneTestPerLane() {
    assertEquals(5, StandardPlatforms.campaignLanes().size(), "a lane was added or removed: give it its test here");
  }

  private static void lane(int index, long seed) {
    List<Lane> lanes = StandardPlatforms.campaignLanes();
    Lane lane = lanes.get(index);
    Random random = new Random(seed);
    Map<OptimizedConfig, long[]> acted = new LinkedHashMap<>();
    for (int done = 0; done < OPS; ) {
      Guests.Stream stream = new Guests.Stream(random, lane.mode());
      Differential.Stepper stepper = new Differential.Stepper(lane.platforms(), stream.start.world());
      List<OptimizedEngine> engines = new ArrayList<>();
      stepper.observe(new StepObserver() {
        @Override
        public void started(List<Platform> platforms) {
          for (Platform platform : platforms) {
            if (platform instanceof OptimizedEngine engine) {
              engines.add(engine);
            }
          }
        }
      });
      for (int i = 0; i < OPS_PER_GUEST; i++, done++) {
        Differential.Failure failure = stepper.step(stream.next());
        if (failure != null) {
          fail(lane.name() + ", seed " + seed + ", guest op " + i + ": " + failure);
        }
      }
      for (OptimizedEngine engine : engines) {
        long[] sum = acted.computeIfAbsent(engine.config(), k -> new long[TECHNIQUES.length]);
        for (int t = 0; t < TECHNIQUES.length; t++) {
          sum[t] += TECHNIQUES[t].acted(engine.counters());
        }
      }
    }
    assertTechniquesActed(lane, acted);
  }

  /**
   * A technique that never acts is judged by nothing: the differential check passes whatever its
   * code does. So a lane must see every technique its engines have on act at least once (a
   * mutant that switches one off, or never lets its condition hold, is killed here), and none
   * that is off act at all (a mutant that ignores its switch); what the counters say it did is
   * then judged by the differential check.
   */
  private static void assertTechniquesActed(Lane lane, Map<OptimizedConfig, long[]> acted) {
    assertTrue(!acted.isEmpty(), lane.name() + ": no optimized engine ran");
    for (Map.Entry<OptimizedConfig, long[]> entry : acted.entrySet()) {
      OptimizedConfig config = entry.getKey();
      for (int t = 0; t < TECHNIQUES.length; t++) {
        long times = entry.getValue()[t];
        boolean reachable = TECHNIQUES[t].reachableIn(lane) && !(lane.name().equals(SILENT_LANE) && t == SILENT_TECHNIQUE);
        if (TECHNIQUES[t].on(config) && times <= 0 && reachable) {
          fail(lane.name() + ": " + TECHNIQUES[t].name() + " never acted in " + OPS + " operations on " + config);
        }
        if (!TECHNIQUES[t].on(config) && times != 0) {
          fail(lane.name() + ": " + TECHNIQUES[t].name() + " acted " + times + " times, switched off, on " + config);
        }
      }
    }
  }

  /**
   * The one technique a lane does not reach yet, a gap of the generators (proofs/mutation-pit.md):
   * under out-of-sync shadows an l1 table goes out of sync at its second emulated store, so a
   * teardown's two clearing stores unshadow early only in a directory table, and this lane's
   * small pool leaves its 2,000 operations none emulated.
   */
  private static final String SILENT_LANE = "production, small pool";
  private static final int SILENT_TECHNIQUE = 0;

  /**
   * A technique of the optimized engine: whether a configuration has it on, how often it acted, and
   * the paging mode its guests need (null: any).
   */
  private record Technique(String name, Predicate<OptimizedConfig> onIn, ToLongFunction<Counters> counter,
      @Nullable PagingMode needs) {
    Technique(String name, Predicate<OptimizedConfig> onIn, ToLongFunction<Counters> counter) {
      this(name, onIn, counter, null);
    }

    boolean on(OptimizedConfig config) {
      return onIn.test(config);
    }

    /** Whether the lane's guests can be in the mode the technique needs. */
    boolean reachableIn(Lane lane) {
      return needs == null || lane.mode() == null || lane.mode() == needs;
    }

    long acted(Counters counters) {
      return counter.applyAsLong(counters);
    }
  }

  private static final Technique[] TECHNIQUES = {
    new Technique("early unshadow", OptimizedConfig::earlyUnshadow, Counters::earlyUnshadows),
    new Technique("write flooding", OptimizedConfig::writeFlooding, Counters::floodedTables),
    new Technique("fast emulation", OptimizedConfig::fastEmulation, Counters::fastEmulations),
    new Technique("previous roots", OptimizedConfig::previousRoots, Counters::reusedRoots),
    new Technique("PAE second half", OptimizedConfig::emulateSecondHalf, Counters::emulatedAhead, PagingMode.PAE),
    // Raced walks act at every fault they walk before the lock; a generated race that makes such a
    // walk stale is rarer than one lane's operations (RacedWalksTest and mutants.md show it).
    new Technique("raced walks", OptimizedConfig::racedWalks, Counters::walksBeforeLock),
    // Not yet unpinReusedTops: no generated guest reuses an idle top's frame as data (only example
    // 33 does), a gap the closing note of issue 21 records.
  };
}
