package org.shadowref.check.diff;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.gen.GeneratedCase;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.check.invariants.ShadowScan;
import org.shadowref.check.shrink.Shrinker;
import org.shadowref.check.spec.ProgressSpec;
import org.shadowref.check.trace.TraceFile;
import org.shadowref.check.trace.TraceWriter;
import org.shadowref.check.trace.GuestSnapshot;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * The differential properties, checked step by step over one guest and its operations: every
 * platform returns what native returns and leaves the guest in the same state, and every engine
 * that exposes its shadows satisfies every invariant after every step and resolves the step's
 * faults as the progress decision table says ({@link ProgressSpec}). A failure is shrunk with
 * the domain {@link Shrinker} and written as a replayable trace.
 */
public final class Differential {
  /** The property that agreement with native checks. */
  public static final String AGREES_WITH_NATIVE = "agrees-with-native";
  /** The property that the invariant predicates check. */
  public static final String INVARIANTS = "invariants";
  /** The property that the progress decision table ({@link ProgressSpec}) checks. */
  public static final String PROGRESS = "progress";

  /** Where and how a case failed. */
  public record Failure(String property, int step, String detail) {
    @Override
    public String toString() {
      return property + " broken at step " + step + ": " + detail;
    }
  }

  /** A shrunk failure and the trace file that replays it. */
  public record Shrunk(Failure failure, GeneratedCase minimal, int originalOps, int shrinkTests, Path trace) {}

  private Differential() {}

  /** The first failure of {@code ops} on {@code world}, or null when every step holds. */
  public static @Nullable Failure check(PlatformSet set, GuestSnapshot world, List<GuestOp> ops) {
    Stepper stepper = new Stepper(set, world);
    for (GuestOp op : ops) {
      Failure failure = stepper.step(op);
      if (failure != null) {
        return failure;
      }
    }
    return null;
  }

  /** Runs platforms one operation at a time, judging each step (for campaigns). */
  public static final class Stepper {
    private final List<String> names;
    private final List<Platform> platforms;
    private int index;
    private @Nullable OpResult lastOracle;
    private final ProgressSpec progress = new ProgressSpec();
    private StepObserver observer = StepObserver.NONE;
    /** Native with a TLB model, when the set's engine is judged so; null for exact judgement. */
    private final @Nullable TlbOracle tlb;

    public Stepper(PlatformSet set, GuestSnapshot world) {
      names = set.names();
      platforms = set.build(world);
      tlb = set.tlbJudged() ? new TlbOracle((NativePlatform) platforms.get(0)) : null;
    }

    /** Has {@code watcher} see every step from now on (coverage). */
    public void observe(StepObserver watcher) {
      observer = watcher;
      watcher.started(platforms);
    }

    /** Applies {@code op} everywhere; the failure it shows, or null. */
    public @Nullable Failure step(GuestOp op) {
      int at = index++;
      observer.before(op);
      TlbOracle withTlb = tlb;
      if (withTlb != null) {
        // Progress is not asked of an engine that may serve stale translations: a fault it takes
        // may be one a TLB would have hidden, so the decision table's "must be fixed" cannot hold.
        return stepWithTlb(withTlb, op, at);
      }
      progress.before(platforms.get(0).guest(), op);
      OpResult oracle = platforms.get(0).apply(op);
      lastOracle = oracle;
      for (int p = 1; p < platforms.size(); p++) {
        Platform platform = platforms.get(p);
        OpResult result;
        try {
          result = platform.apply(op);
        } catch (RuntimeException crash) {
          // An engine that throws has not given the guest what native gave it.
          return new Failure(AGREES_WITH_NATIVE, at, "'" + op + "': " + names.get(p) + " threw " + crash);
        }
        if (!result.equals(oracle)) {
          return new Failure(AGREES_WITH_NATIVE, at,
              "'" + op + "': " + names.get(p) + " returned " + result + " where native returned " + oracle);
        }
        String state = platform.guest().firstGuestDifference(platforms.get(0).guest());
        if (state != null) {
          return new Failure(AGREES_WITH_NATIVE, at, "after '" + op + "', " + names.get(p) + " vs native: " + state);
        }
        if (platform instanceof ShadowView view) {
          Failure broken = invariants(platform, view, names.get(p), op, at);
          if (broken != null) {
            return broken;
          }
          String stuck = progress.violation(op, oracle, view);
          if (stuck != null) {
            return new Failure(PROGRESS, at, "'" + op + "' on " + names.get(p) + ": " + stuck);
          }
        }
      }
      observer.after(op, oracle);
      return null;
    }

    /**
     * The step against native with a TLB. An instruction is preceded by a flush of its vCPU's TLB
     * on both sides: a stale translation used inside an instruction cannot be replayed on native.
     * So is a raced access, with its racing store's vCPU: the pair is judged as one operation.
     */
    private @Nullable Failure stepWithTlb(TlbOracle oracle, GuestOp op, int at) {
      Platform engine = platforms.get(1);
      String name = names.get(1);
      List<GuestOp> steps = op instanceof GuestOp.Execute ? List.of(new GuestOp.FlushTlb(op.vcpu()), op)
          : op instanceof GuestOp.Raced raced
              ? List.of(new GuestOp.FlushTlb(op.vcpu()), new GuestOp.FlushTlb(raced.store().vcpu()), op)
              : List.of(op);
      for (GuestOp step : steps) {
        OpResult result;
        try {
          result = engine.apply(step);
        } catch (RuntimeException crash) {
          return new Failure(AGREES_WITH_NATIVE, at, "'" + step + "': " + name + " threw " + crash);
        }
        lastOracle = result;
        String complaint = oracle.judge(step, result, engine.guest());
        if (complaint != null) {
          return new Failure(AGREES_WITH_NATIVE, at, name + " vs native with a TLB: " + complaint);
        }
        if (engine instanceof ShadowView view) {
          Failure broken = invariants(engine, view, name, step, at);
          if (broken != null) {
            return broken;
          }
        }
        observer.after(step, result);
      }
      return null;
    }

    /** Judges every invariant on {@code engine} (seen as {@code view}) after {@code op}; the observer sees the same scan. */
    private @Nullable Failure invariants(Platform engine, ShadowView view, String name, GuestOp op, int at) {
      ShadowScan scan = ShadowScan.of(view);
      List<String> violations = InvariantRegistry.violations(scan);
      observer.judged(engine, scan);
      return violations.isEmpty() ? null : new Failure(INVARIANTS, at, "after '" + op + "', " + name + ": " + violations.get(0));
    }

    /** What native returned for the last operation, or null before the first. */
    public @Nullable OpResult lastOracleResult() {
      return lastOracle;
    }

    /** The platforms, native first (for coverage and inspection). */
    public List<Platform> platforms() {
      return platforms;
    }
  }

  /**
   * Shrinks a failing case to a 1-minimal one that still breaks the same property, and writes it
   * as a trace into {@code directory}.
   */
  public static Shrunk shrinkAndWrite(PlatformSet set, GeneratedCase failing, Failure failure, Path directory,
      String name, String origin) throws IOException {
    return shrinkAndWrite(set, failing, failure, directory, name, origin, "");
  }

  /**
   * As above, recording {@code args} in the trace's origin: {@code bug=NAME} when the failure was
   * found with a seeded bug switched on, so that {@code replay} switches it on again.
   */
  public static Shrunk shrinkAndWrite(PlatformSet set, GeneratedCase failing, Failure failure, Path directory,
      String name, String origin, String args) throws IOException {
    GuestSnapshot world = failing.world();
    Shrinker<GuestOp> shrinker = new Shrinker<>(
        candidate -> {
          Failure again = check(set, world, candidate);
          return again != null && again.property().equals(failure.property());
        },
        new GuestOpSimplifier(world.vcpus().size()),
        2000);
    List<GuestOp> minimal = shrinker.shrink(failing.ops());
    Failure shrunkFailure = check(set, world, minimal);
    Failure reported = shrunkFailure == null ? failure : shrunkFailure;
    GeneratedCase small = failing.withOps(minimal);
    Files.createDirectories(directory);
    Path file = directory.resolve(name + ".json");
    TraceWriter.write(small.toTrace(new TraceFile.Origin(origin, args, reported.property(), reported.detail(),
        new ArrayList<>())), file);
    return new Shrunk(reported, small, failing.ops().size(), shrinker.testsRun(), file);
  }
}
