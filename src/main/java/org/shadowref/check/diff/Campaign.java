package org.shadowref.check.diff;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;
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

  /** Hears how far the campaign is, and may ask it to stop early (a user's Ctrl-C). */
  public interface Listener {
    void progress(int done, int total, int divergences);

    /** True once the campaign should stop after the operation it is running; what it did is still reported. */
    default boolean stopRequested() {
      return false;
    }
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

  /** One lane's part of a campaign over lanes. */
  public record LaneResult(Lane lane, Result result) {}

  /** Operations a shard of a lane runs at most: lanes are cut into shards so two threads share them evenly. */
  static final int SHARD_OPS = 2_000;

  private Campaign() {}

  /**
   * Runs {@code ops} operations in all over {@code lanes} (each its weight's share), cut into
   * shards run on {@code threads} threads. Each shard has its own seed drawn from {@code seed},
   * the lane and the shard's number, so the results do not depend on the threads' timing. An
   * observer from {@code observers} watches every step of each shard (shards run on several
   * threads, so each gets its own; what they record must be safe to share).
   */
  public static List<LaneResult> runLanes(List<Lane> lanes, long seed, int ops, int threads, Path traces,
      String name, Listener listener, Supplier<StepObserver> observers) throws IOException {
    int totalWeight = 0;
    for (Lane lane : lanes) {
      totalWeight += lane.weight();
    }
    List<java.util.concurrent.Callable<Result>> shards = new ArrayList<>();
    List<Integer> laneOf = new ArrayList<>();
    int[] laneOps = new int[lanes.size()];
    for (int l = 0; l < lanes.size(); l++) {
      laneOps[l] = Math.max(1, (int) ((long) ops * lanes.get(l).weight() / totalWeight));
    }
    int all = 0;
    for (int op : laneOps) {
      all += op;
    }
    if (all < ops) {
      // What the weights' rounding left over goes to the first lane, so the campaign runs exactly ops.
      laneOps[0] += ops - all;
      all = ops;
    }
    int[] shardsOfLane = new int[lanes.size()];
    int shardCount = 0;
    int mostShards = 0;
    for (int l = 0; l < lanes.size(); l++) {
      shardsOfLane[l] = Math.max(1, (laneOps[l] + SHARD_OPS - 1) / SHARD_OPS);
      shardCount += shardsOfLane[l];
      mostShards = Math.max(mostShards, shardsOfLane[l]);
    }
    int[] done = new int[shardCount];
    int[] divergences = new int[done.length];
    final int total = all;
    Object lock = new Object();
    // The lanes interleave (every lane's first shard, then every lane's second, ...), so a run
    // stopped early has tried every configuration, not only the first lane's.
    for (int k = 0; k < mostShards; k++) {
      for (int l = 0; l < lanes.size(); l++) {
        int count = shardsOfLane[l];
        if (k >= count) {
          continue;
        }
        Lane lane = lanes.get(l);
        int shardOps = laneOps[l] / count + (k < laneOps[l] % count ? 1 : 0);
        long shardSeed = shardSeed(seed, l, k);
        int slot = shards.size();
        String shardName = name + "-" + lane.name().replaceAll("[^A-Za-z0-9]+", "-") + "-shard" + k;
        Listener shardListener = new Listener() {
          @Override
          public void progress(int d, int t, int v) {
            synchronized (lock) {
              done[slot] = d;
              divergences[slot] = v;
              listener.progress(sum(done), total, sum(divergences));
            }
          }

          @Override
          public boolean stopRequested() {
            return listener.stopRequested();
          }
        };
        shards.add(() -> run(lane.platforms(), shardSeed, shardOps, lane.mode(), traces, shardName, shardListener,
            observers.get()));
        laneOf.add(l);
      }
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, threads));
    List<Result> results = new ArrayList<>();
    try {
      for (java.util.concurrent.Future<Result> future : pool.invokeAll(shards)) {
        results.add(future.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("campaign interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException unchecked) {
        throw unchecked;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(cause);
    } finally {
      pool.shutdownNow();
    }
    List<LaneResult> out = new ArrayList<>();
    for (int l = 0; l < lanes.size(); l++) {
      int laneOpsDone = 0;
      long nanos = 0;
      int guests = 0;
      List<Differential.Shrunk> found = new ArrayList<>();
      Map<String, Integer> coverage = new TreeMap<>();
      for (int i = 0; i < results.size(); i++) {
        if (laneOf.get(i) != l) {
          continue;
        }
        Result shard = results.get(i);
        laneOpsDone += shard.ops();
        nanos += shard.nanos();
        guests += shard.guests();
        found.addAll(shard.divergences());
        for (Map.Entry<String, Integer> entry : shard.coverage().entrySet()) {
          coverage.merge(entry.getKey(), entry.getValue(), Integer::sum);
        }
      }
      out.add(new LaneResult(lanes.get(l), new Result(laneOpsDone, nanos, guests, found, coverage)));
    }
    return out;
  }

  /**
   * The seed of shard {@code shard} of lane {@code lane}. A lane's first thousand shards keep the
   * seeds every earlier campaign used (so recorded figures stay reproducible); later shards, which
   * only campaigns of millions of operations reach, move to a range of their own so that no two
   * lanes ever run the same guests.
   */
  static long shardSeed(long seed, int lane, int shard) {
    return seed * 1_000_003L + lane * 1_000L + shard % 1_000 + (shard / 1_000) * 1_000_000_007L;
  }

  private static int sum(int[] values) {
    int total = 0;
    for (int value : values) {
      total += value;
    }
    return total;
  }

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
    while (done < ops && !listener.stopRequested()) {
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
        if (failure != null || listener.stopRequested()) {
          break;
        }
      }
    }
    return new Result(done, System.nanoTime() - start, guests, divergences, coverage);
  }

  /** Counts the reference engine's fault resolutions (the handler's cases) into {@code coverage}. */
  private static void listen(List<Platform> platforms, Map<String, Integer> coverage) {
    for (Platform platform : platforms) {
      if (platform instanceof ReferenceEngine reference) {
        reference.setResolutionListener(kind -> count(coverage, "handler " + kind));
      }
    }
  }

  /** The class of an outcome: operation kind (instruction bytes for Execute), status, error code. */
  static String outcomeClass(GuestOp op, @Nullable OpResult result) {
    String what = op instanceof GuestOp.MemoryAccess access
        ? access.kind().name().toLowerCase(Locale.ROOT) + access.size()
        : op instanceof GuestOp.Execute execute ? "exec " + hex(execute.code())
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
