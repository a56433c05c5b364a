package org.shadowref.mmu;

import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;

/**
 * Everything a walk learned: the entries it read level by level, where it stopped and why, the
 * combined rights, and the translated address. Mutable so that hot paths can reuse one instance
 * instead of allocating per walk.
 */
public final class WalkResult {
  private static final int MAX_LEVELS = 4;

  PagingMode mode = PagingMode.FOUR_LEVEL;
  Access access = Access.SUPERVISOR_READ;
  long va;
  FaultKind fault = FaultKind.NONE;
  int errorCode;
  /** Level at which the walk stopped: the faulting entry's level, or the leaf's. */
  int stopLevel;
  /** Entry addresses and values, indexed by level (1..4); valid from the top down to stopLevel. */
  final long[] entryAddress = new long[MAX_LEVELS + 1];
  final long[] entry = new long[MAX_LEVELS + 1];
  boolean user;
  boolean writable;
  boolean noExecute;
  long pageSize;
  long translated;

  void reset(PagingMode mode, long va, Access access) {
    this.mode = mode;
    this.va = va;
    this.access = access;
    fault = FaultKind.NONE;
    errorCode = 0;
    stopLevel = mode.levels();
    user = true;
    writable = true;
    noExecute = false;
    pageSize = 0;
    translated = 0;
    for (int level = 1; level <= MAX_LEVELS; level++) {
      entryAddress[level] = 0;
      entry[level] = 0;
    }
  }

  public PagingMode mode() {
    return mode;
  }

  public Access access() {
    return access;
  }

  public long va() {
    return va;
  }

  public boolean ok() {
    return fault == FaultKind.NONE;
  }

  public FaultKind fault() {
    return fault;
  }

  /** The #PF error code; meaningful only when the walk faulted. */
  public int errorCode() {
    return errorCode;
  }

  public int stopLevel() {
    return stopLevel;
  }

  /** The level of the entry that maps the page (1 for 4 KiB pages); valid when {@link #ok()}. */
  public int leafLevel() {
    return stopLevel;
  }

  public long entryAddress(int level) {
    return entryAddress[level];
  }

  public long entry(int level) {
    return entry[level];
  }

  public boolean user() {
    return user;
  }

  public boolean writable() {
    return writable;
  }

  public boolean noExecute() {
    return noExecute;
  }

  public long pageSize() {
    return pageSize;
  }

  /** The translated address (frame base plus offset) in the walked memory's space. */
  public long translated() {
    return translated;
  }

  public boolean isLargePage() {
    return ok() && stopLevel > 1;
  }

  /** A one-line account, e.g. {@code fault NOT_PRESENT at L2 ec=NP|W} or {@code ok 0x1234}. */
  public String describe() {
    if (ok()) {
      return "ok " + Addr.hex(translated) + " via L" + stopLevel + " " + EntryBits.describe(entry[stopLevel]);
    }
    return "fault " + fault + " at L" + stopLevel + " ec=" + PfErrorCode.describe(errorCode);
  }

  @Override
  public String toString() {
    return describe();
  }
}
