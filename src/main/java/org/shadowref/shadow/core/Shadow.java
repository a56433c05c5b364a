package org.shadowref.shadow.core;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.MachineMemory;
import org.shadowref.shadow.invariant.ShadowTable;

/**
 * One shadow: its key, the machine frames holding its entries, and how many references it has
 * (present shadow entries pointing at any of its frames, plus vCPUs whose CR3 is it, plus a pin).
 * Only the engine whose state holds a shadow changes its count.
 */
public final class Shadow {
  private final ShadowKey key;
  /** Its slot in the optimized engine's pool (the value the hash index maps its key to); -1 elsewhere. */
  private final int slot;
  private final long[] mfns;
  private int refs;
  /** Set when the shadow leaves its state's index; copies are made of indexed shadows only. */
  private boolean removed;
  /** {@code key.toString()}, made once: invariant checks name every shadow in every model state. */
  private @Nullable String name;

  public Shadow(ShadowKey key, int slot, long[] mfns) {
    this.key = key;
    this.slot = slot;
    this.mfns = mfns;
  }

  public ShadowKey key() {
    return key;
  }

  /** The key's readable name. */
  public String name() {
    String made = name;
    if (made == null) {
      made = key.toString();
      name = made;
    }
    return made;
  }

  public ShadowType type() {
    return key.type();
  }

  public int slot() {
    return slot;
  }

  public int parts() {
    return mfns.length;
  }

  public @Mfn long mfn(int part) {
    return Addr.mfn(mfns[part]);
  }

  /** Which of its frames {@code mfn} is. */
  public int partOf(@Mfn long mfn) {
    for (int part = 0; part < mfns.length; part++) {
      if (mfns[part] == mfn) {
        return part;
      }
    }
    throw new IllegalStateException(Addr.hex(mfn) + " is no frame of " + this);
  }

  public @Maddr long entryAddress(int part, int index) {
    return Addr.maddrOf(mfn(part), (long) index * key.type().entryBytes());
  }

  public long readEntry(MachineMemory machine, int part, int index) {
    return machine.read(entryAddress(part, index), key.type().entryBytes());
  }

  /** The first index from {@code from} on whose entry in frame {@code part} is not 0, or -1. */
  public int nextSetEntry(MachineMemory machine, int part, int from) {
    int perWord = 8 / key.type().entryBytes();
    for (int word = machine.nextNonZeroWord(mfn(part), from / perWord); word >= 0;
        word = machine.nextNonZeroWord(mfn(part), word + 1)) {
      for (int index = Math.max(from, word * perWord); index < (word + 1) * perWord; index++) {
        if (readEntry(machine, part, index) != 0) {
          return index;
        }
      }
    }
    return -1;
  }

  public static boolean isPresent(long entry) {
    return (entry & EntryBits.P) != 0;
  }

  public int refs() {
    return refs;
  }

  public void addRef() {
    refs++;
  }

  /** Drops a reference; returns whether none is left. */
  public boolean dropRef() {
    if (refs <= 0) {
      throw new IllegalStateException("reference count of " + key + " would go below zero");
    }
    refs--;
    return refs == 0;
  }

  /** Whether the shadow left the index (a shadow never returns: a new key gets a new object). */
  public boolean isRemoved() {
    return removed;
  }

  public void markRemoved() {
    removed = true;
  }

  /** A copy of an indexed shadow (its frames never change, so the copy shares them). */
  public Shadow copy() {
    Shadow copy = new Shadow(key, slot, mfns);
    copy.refs = refs;
    copy.name = name;
    return copy;
  }

  public long[] mfnArray() {
    return mfns.clone();
  }

  /**
   * What the invariant predicates see of this shadow ({@code pinned}: whether a pin holds a
   * reference; {@code previousRoots}: how many vCPUs' caches of previous roots hold one each).
   */
  public ShadowTable describe(boolean pinned, int previousRoots) {
    ShadowType type = key.type();
    return new ShadowTable(
        name(), type.name(), key.gfn(), type.level(), type.shadowsGuestFrame(), mfnArray(), type.entryBytes(),
        refs, pinned, previousRoots, type.childTypeNames(), key.slot(), key.pse(), key.nxe());
  }

  @Override
  public String toString() {
    return key + " refs=" + refs;
  }
}
