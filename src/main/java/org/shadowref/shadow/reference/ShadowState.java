package org.shadowref.shadow.reference;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.invariant.InvariantIds;
import org.shadowref.shadow.invariant.Maintains;

/**
 * Everything the reference engine keeps besides guest memory: the shadow index, which hypervisor
 * frame belongs to which shadow, each vCPU's top-level shadow, and the shadow lock. The shadow
 * entries themselves live in machine memory. Plain data: the engine does the reasoning.
 */
@Maintains({
  InvariantIds.NO_AMPLIFY,
  InvariantIds.ISOLATION,
  InvariantIds.WRITE_PROTECT,
  InvariantIds.COHERENT,
  InvariantIds.SHADOW_STRUCTURE
})
public final class ShadowState {
  public static final int NO_OWNER = -1;

  private final TreeMap<ShadowKey, Shadow> index;
  /** Owner of hypervisor frame {@code firstFrame + i}, or null when free. */
  private final @Nullable ShadowKey[] frameOwner;
  private final int firstFrame;
  private final @Nullable ShadowKey[] roots;
  private int lockOwner;
  private final Collection<Shadow> view;

  ShadowState(int firstFrame, int frameCount, int vcpuCount) {
    this.index = new TreeMap<>();
    this.frameOwner = new ShadowKey[frameCount];
    this.firstFrame = firstFrame;
    this.roots = new ShadowKey[vcpuCount];
    this.lockOwner = NO_OWNER;
    this.view = Collections.unmodifiableCollection(index.values());
  }

  private ShadowState(ShadowState other) {
    this.index = new TreeMap<>();
    for (Shadow shadow : other.index.values()) {
      index.put(shadow.key(), shadow.copy());
    }
    this.frameOwner = other.frameOwner.clone();
    this.firstFrame = other.firstFrame;
    this.roots = other.roots.clone();
    this.lockOwner = other.lockOwner;
    this.view = Collections.unmodifiableCollection(index.values());
  }

  ShadowState copy() {
    return new ShadowState(this);
  }

  public @Nullable Shadow find(ShadowKey key) {
    return index.get(key);
  }

  /** Every shadow, in key order. */
  public List<Shadow> shadows() {
    return new ArrayList<>(index.values());
  }

  /**
   * Every shadow, in key order, as a read-only live view: for loops that change nothing (a
   * lookup in every derivation, fingerprints), which would otherwise copy the list each time.
   */
  public Collection<Shadow> shadowsView() {
    return view;
  }

  /** The shadow that owns machine frame {@code mfn}, or null (a guest frame, or a free one). */
  public @Nullable Shadow owner(@Mfn long mfn) {
    long i = mfn - firstFrame;
    if (i < 0 || i >= frameOwner.length) {
      return null;
    }
    ShadowKey key = frameOwner[(int) i];
    return key == null ? null : index.get(key);
  }

  public @Nullable ShadowKey root(int vcpu) {
    return roots[vcpu];
  }

  void setRoot(int vcpu, @Nullable ShadowKey key) {
    roots[vcpu] = key;
  }

  public int lockOwner() {
    return lockOwner;
  }

  void setLockOwner(int vcpu) {
    lockOwner = vcpu;
  }

  public int freeFrames() {
    int free = 0;
    for (ShadowKey owner : frameOwner) {
      if (owner == null) {
        free++;
      }
    }
    return free;
  }

  public int totalFrames() {
    return frameOwner.length;
  }

  /** Puts a new shadow in the index on the lowest free frames; the caller zeroes them. */
  Shadow insert(ShadowKey key) {
    long[] mfns = new long[key.type().frames()];
    int found = 0;
    for (int i = 0; i < frameOwner.length && found < mfns.length; i++) {
      if (frameOwner[i] == null) {
        mfns[found++] = firstFrame + i;
      }
    }
    if (found < mfns.length) {
      throw new IllegalStateException("shadow memory exhausted: " + key + " needs " + mfns.length + " frames");
    }
    for (long mfn : mfns) {
      frameOwner[(int) (mfn - firstFrame)] = key;
    }
    Shadow shadow = new Shadow(key, mfns, 0);
    index.put(key, shadow);
    return shadow;
  }

  void remove(Shadow shadow) {
    index.remove(shadow.key());
    for (int part = 0; part < shadow.parts(); part++) {
      frameOwner[(int) (shadow.mfn(part) - firstFrame)] = null;
    }
  }

  /** A hash over the index, frame ownership, roots and lock (shadow contents are hashed by the engine). */
  long hash() {
    long h = 17;
    for (Shadow shadow : index.values()) {
      h = h * 0x100_0000_01B3L + shadow.key().stableHash();
      h = h * 31 + shadow.refs();
      for (int part = 0; part < shadow.parts(); part++) {
        h = h * 31 + shadow.mfn(part);
      }
    }
    for (ShadowKey root : roots) {
      h = h * 31 + (root == null ? 0 : root.stableHash());
    }
    return h * 31 + lockOwner;
  }

  @Override
  public String toString() {
    return index.size() + " shadows, " + freeFrames() + "/" + frameOwner.length + " frames free, lock "
        + (lockOwner == NO_OWNER ? "free" : "held by vcpu" + lockOwner) + ", first frame " + Addr.hex(firstFrame);
  }
}
