package org.shadowref.check.diff;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.check.gen.Guests;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * A long differential campaign: generated guests, each driven by a stream of generated operations
 * on every platform, each step compared with native and followed by every invariant. A guest that
 * diverges is shrunk to a minimal trace and the campaign moves on to the next guest. It counts the
 * classes of outcome it reached (handler cases, operation results by error code, instruction
 * forms), so a reader can see what the campaign exercised, not only that it passed.
 */
public final class Campaign {
  /** Operations per generated guest before the campaign moves on to a fresh one. */
  public static final int OPS_PER_GUEST = 200;

  /** Hears how far the campaign is. */
  public interface Listener {
    void progress(int done, int total, int divergences);
  }

  /** What a campaign did: its operations, time, guests, divergences (shrunk) and coverage. */
  public record Result(int ops, long nanos, int guests, List<Differential.Shrunk> divergences,
      Map<String, Integer> coverage) {
    public Result {
      divergences = List.copyOf(divergences);
      coverage = new TreeMap<>(coverage);
    }

    public long opsPerSecond() {
      return (long) (ops * 1e9 / Math.max(1, nanos));
    }
  }

  private Campaign() {}

  /**
   * Runs {@code ops} operations from {@code seed} ({@code mode} null: every paging mode) on {@code
   * platforms}; divergence traces go to {@code traces}, named after {@code name}.
   */
  public static Result run(PlatformSet platforms, long seed, int ops, @Nullable PagingMode mode, Path traces,
      String name, Listener listener) throws IOException {
    return run(platforms, seed, ops, mode, traces, name, listener, StepObserver.NONE);
  }

  /** {@link #run} with {@code observer} watching every step (input-space coverage). */
  public static Result run(PlatformSet platforms, long seed, int ops, @Nullable PagingMode mode, Path traces,
      String name, Listener listener, StepObserver observer) throws IOException {
    Map<String, Integer> coverage = new TreeMap<>();
    List<Differential.Shrunk> divergences = new ArrayList<>();
    Random random = new Random(seed);
    int done = 0;
    int guests = 0;
    long start = System.nanoTime();
    while (done < ops) {
      Guests.Stream stream = new Guests.Stream(random, mode);
      guests++;
      Differential.Stepper stepper = new Differential.Stepper(platforms, stream.start.world());
      listen(stepper.platforms(), coverage);
      stepper.observe(observer);
      List<GuestOp> sofar = new ArrayList<>();
      for (int i = 0; i < OPS_PER_GUEST && done < ops; i++) {
        GuestOp op = stream.next();
        sofar.add(op);
        Differential.Failure failure = stepper.step(op);
        done++;
        count(coverage, "result " + outcomeClass(op, stepper.lastOracleResult()));
        if (failure != null) {
          divergences.add(Differential.shrinkAndWrite(platforms, stream.start.withOps(sofar), failure, traces,
              name + "-seed" + seed + "-guest" + guests, "diff --seed " + seed));
        }
        listener.progress(done, ops, divergences.size());
        if (failure != null) {
          break;
        }
      }
    }
    return new Result(done, System.nanoTime() - start, guests, divergences, coverage);
  }

  /** Counts the reference engine's fault resolutions (the handler's cases) into {@code coverage}. */
  private static void listen(List<Platform> platforms, Map<String, Integer> coverage) {
    for (Platform platform : platforms) {
      if (platform instanceof ReferenceEngine) {
        ((ReferenceEngine) platform).setResolutionListener(kind -> count(coverage, "handler " + kind));
      }
    }
  }

  /** The class of an outcome: operation kind (instruction bytes for Execute), status, error code. */
  static String outcomeClass(GuestOp op, @Nullable OpResult result) {
    String what = op instanceof GuestOp.MemoryAccess
        ? ((GuestOp.MemoryAccess) op).kind().name().toLowerCase(Locale.ROOT) + ((GuestOp.MemoryAccess) op).size()
        : op instanceof GuestOp.Execute ? "exec " + hex(((GuestOp.Execute) op).code())
        : op.getClass().getSimpleName();
    if (result == null) {
      return what;
    }
    String status = result.status().name().toLowerCase(Locale.ROOT);
    if (result.status() == OpResult.Status.GUEST_FAULT) {
      status += " " + PfErrorCode.describe(result.errorCode());
    }
    return what + ": " + status;
  }

  private static String hex(byte[] code) {
    StringBuilder bytes = new StringBuilder();
    for (byte b : code) {
      bytes.append(String.format(Locale.ROOT, "%02x", b & 0xFF));
    }
    return bytes.toString();
  }

  private static void count(Map<String, Integer> coverage, String key) {
    Integer seen = coverage.get(key);
    coverage.put(key, seen == null ? 1 : seen + 1);
  }
}
