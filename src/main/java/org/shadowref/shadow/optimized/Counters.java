package org.shadowref.shadow.optimized;

/**
 * What the optimized engine's techniques did, for tests and benchmarks. Plain counters: not
 * engine state (copies start from zero, the fingerprint leaves them out).
 */
public final class Counters {
  long handlerRuns;
  long fastNotPresent;
  long fastMmio;
  long falseAlarms;
  long prefetched;
  long poolReclaims;
  long unpinned;
  long earlyUnshadows;
  long floodedTables;
  long fastEmulations;
  long reusedRoots;
  long reusedTopsGivenUp;
  long emulatedAhead;
  long walksBeforeLock;
  long racedWalksRetried;

  /** Page-fault handler runs, fast path included. */
  public long handlerRuns() {
    return handlerRuns;
  }

  /** Not-present faults the fast path sent to the guest. */
  public long fastNotPresent() {
    return fastNotPresent;
  }

  /** MMIO accesses the fast path sent to the device model. */
  public long fastMmio() {
    return fastMmio;
  }

  /** Reserved-bit faults whose magic entry was gone: retried. */
  public long falseAlarms() {
    return falseAlarms;
  }

  /** Shadow l1 entries filled by prefetch with something present (a mapping or a marker). */
  public long prefetched() {
    return prefetched;
  }

  /** Times the pool ran short and tore down the shadows below the tops. */
  public long poolReclaims() {
    return poolReclaims;
  }

  /** Pinned tops let go to make room in the pool. */
  public long unpinned() {
    return unpinned;
  }

  /** Page tables taken for torn down by early unshadow. */
  public long earlyUnshadows() {
    return earlyUnshadows;
  }

  /** Page tables given up as flooded: written again and again by emulation, and not used. */
  public long floodedTables() {
    return floodedTables;
  }

  /** Write faults emulated at once on a remembered translation (fast emulation). */
  public long fastEmulations() {
    return fastEmulations;
  }

  /** CR3 loads and control changes that ran on a vCPU's cached previous root instead of building one. */
  public long reusedRoots() {
    return reusedRoots;
  }

  /** Idle tops given up because an emulated store reused their frame as data. */
  public long reusedTopsGivenUp() {
    return reusedTopsGivenUp;
  }

  /** Instructions emulated after a PAE guest's emulated page-table store (its second half, or what came before it). */
  public long emulatedAhead() {
    return emulatedAhead;
  }

  /** Guest walks made before the shadow lock (raced walks). */
  public long walksBeforeLock() {
    return walksBeforeLock;
  }

  /** Walks made before the lock that were stale under it (another vCPU or the hypervisor changed what they read), made again. */
  public long racedWalksRetried() {
    return racedWalksRetried;
  }
}
