package org.shadowref.shadow.optimized;

import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowType;

/**
 * One shadow of the optimized engine: its key, its slot in the pool (the value the index maps
 * its key to), the machine frames holding its entries, and its reference count (present shadow
 * entries pointing at it, plus vCPUs whose CR3 is it).
 */
public final class PooledShadow {
  private final ShadowKey key;
  private final int id;
  private final long[] mfns;
  private int refs;

  PooledShadow(ShadowKey key, int id, long[] mfns, int refs) {
    this.key = key;
    this.id = id;
    this.mfns = mfns;
    this.refs = refs;
  }

  public ShadowKey key() {
    return key;
  }

  public ShadowType type() {
    return key.type();
  }

  int id() {
    return id;
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

  PooledShadow copy() {
    return new PooledShadow(key, id, mfns.clone(), refs);
  }

  long[] mfnArray() {
    return mfns.clone();
  }

  @Override
  public String toString() {
    return key + " refs=" + refs;
  }
}
