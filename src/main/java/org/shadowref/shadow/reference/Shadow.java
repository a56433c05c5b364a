package org.shadowref.shadow.reference;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowType;

/**
 * One shadow: its key, the machine frames holding its entries, and how many references it has
 * (present shadow entries pointing at any of its frames, plus vCPUs whose CR3 is it).
 */
public final class Shadow {
  private final ShadowKey key;
  private final long[] mfns;
  private int refs;
  /** Set when the shadow leaves its state's index; copies are made of indexed shadows only. */
  private boolean removed;
  /** {@code key.toString()}, made once: invariant checks name every shadow in every model state. */
  private @Nullable String name;

  Shadow(ShadowKey key, long[] mfns, int refs) {
    this.key = key;
    this.mfns = mfns;
    this.refs = refs;
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

  public int parts() {
    return mfns.length;
  }

  public @Mfn long mfn(int part) {
    return Addr.mfn(mfns[part]);
  }

  public int refs() {
    return refs;
  }

  void addRef() {
    refs++;
  }

  /** Drops a reference; returns whether none is left. */
  boolean dropRef() {
    if (refs <= 0) {
      throw new IllegalStateException("reference count of " + key + " would go below zero");
    }
    refs--;
    return refs == 0;
  }

  /** Whether the shadow left the index (a shadow never returns: a new key gets a new object). */
  boolean isRemoved() {
    return removed;
  }

  void markRemoved() {
    removed = true;
  }

  /** A copy of an indexed shadow (its frames never change, so the copy shares them). */
  Shadow copy() {
    Shadow copy = new Shadow(key, mfns, refs);
    copy.name = name;
    return copy;
  }

  long[] mfnArray() {
    return mfns.clone();
  }

  @Override
  public String toString() {
    return key + " refs=" + refs;
  }
}
