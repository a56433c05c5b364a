package org.shadowref.bench;

import java.util.ArrayList;
import java.util.List;
import org.shadowref.arch.PagingMode;
import org.shadowref.memory.MachineMemory;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.Platform;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * One benchmark workload: a guest as it stands before the storm, and the operations of the storm.
 * Built once (see {@link Workloads}); every run starts from a fresh engine on its own copy of the
 * guest, so runs are independent and equal.
 *
 * <p>Its fault count is the number of times the reference engine's page-fault handler runs on it,
 * counted once at build time through the engine's resolution listener. It is the unit of work for
 * both engines: an engine that avoids faults (by prefetching, say) does the same guest work in
 * less time, and that is what its speed-up measures.
 */
public final class Workload {
  private final WorkloadKind kind;
  private final PagingMode mode;
  private final GuestMachine start;
  private final GuestOp[] ops;
  private final int faults;

  Workload(WorkloadKind kind, PagingMode mode, GuestMachine start, List<GuestOp> ops) {
    this.kind = kind;
    this.mode = mode;
    this.start = start.copy();
    this.ops = ops.toArray(new GuestOp[0]);
    int[] handlerRuns = {0};
    run(EngineKind.countingReference(start.copy(), handlerRuns));
    this.faults = handlerRuns[0];
  }

  public WorkloadKind kind() {
    return kind;
  }

  public PagingMode mode() {
    return mode;
  }

  /** Runs of the reference engine's page-fault handler over the whole workload. */
  public int faults() {
    return faults;
  }

  public int opCount() {
    return ops.length;
  }

  public List<GuestOp> ops() {
    return List.of(ops);
  }

  /** A fresh {@code engine} on its own copy of the starting guest: the state before every run. */
  public Platform fresh(EngineKind engine) {
    return engine.build(unshared(start.copy()));
  }

  /**
   * {@code guest} as a benchmark runs it: every machine frame its own and no state digests kept
   * (see {@link MachineMemory#unshare} and {@link MachineMemory#stopKeepingDigests}), so that the
   * simulation's bookkeeping for copies and model checking is not timed as the engines' work.
   */
  private static GuestMachine unshared(GuestMachine guest) {
    guest.machine().unshare();
    guest.machine().stopKeepingDigests();
    return guest;
  }

  /** A fresh reference engine whose handler runs are added to {@code handlerRuns[0]}. */
  public ReferenceEngine countingReference(int[] handlerRuns) {
    return EngineKind.countingReference(unshared(start.copy()), handlerRuns);
  }

  /**
   * Performs every operation on {@code platform} ({@link Platform#perform}: the result records an
   * observer reads are not part of the engine's work): the timed body of a run. Nothing here
   * allocates; the returned digest of every result keeps the work observable to the JIT.
   */
  public long run(Platform platform) {
    long digest = 0;
    for (GuestOp op : ops) {
      digest = digest * 31 + platform.perform(op);
    }
    return digest;
  }

  /** Every operation's result on {@code platform} (untimed: to check the engines agree). */
  public List<OpResult> results(Platform platform) {
    List<OpResult> results = new ArrayList<>(ops.length);
    for (GuestOp op : ops) {
      results.add(platform.apply(op));
    }
    return results;
  }

  @Override
  public String toString() {
    return kind.cliName() + "/" + mode.cliName() + " (" + ops.length + " ops, " + faults + " faults)";
  }
}
