package org.shadowref.shadow.reference;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.LongConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.core.ShadowKey;
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

  /**
   * The shadow index: the first {@code count} slots hold the shadows in key order. A model state
   * has a dozen shadows at most, and copies and lookups happen for every transition, so a sorted
   * array beats a tree map.
   */
  private @Nullable Shadow[] index;
  private int count;
  /** The shadow in hypervisor frame {@code firstFrame + i}, or null when free. */
  private final @Nullable Shadow[] frameOwner;
  private final int firstFrame;
  private final @Nullable ShadowKey[] roots;
  private int lockOwner;
  private final Collection<Shadow> view;

  ShadowState(int firstFrame, int frameCount, int vcpuCount) {
    this.index = new Shadow[8];
    this.frameOwner = new Shadow[frameCount];
    this.firstFrame = firstFrame;
    this.roots = new ShadowKey[vcpuCount];
    this.lockOwner = NO_OWNER;
    this.view = new View();
  }

  private ShadowState(ShadowState other) {
    this.index = new Shadow[other.index.length];
    this.frameOwner = new Shadow[other.frameOwner.length];
    this.firstFrame = other.firstFrame;
    this.roots = other.roots.clone();
    this.lockOwner = other.lockOwner;
    this.view = new View();
    other.copyShadowsInto(this);
  }

  /** The shadow in slot {@code i < count}. */
  private Shadow at(int i) {
    Shadow shadow = index[i];
    if (shadow == null) {
      throw new IllegalStateException("shadow index slot " + i + " of " + count + " is empty");
    }
    return shadow;
  }

  /** The live, read-only list behind {@link #shadowsView()}. */
  private final class View extends AbstractList<Shadow> {
    @Override
    public Shadow get(int i) {
      if (i < 0 || i >= count) {
        throw new IndexOutOfBoundsException("shadow " + i + " of " + count);
      }
      return at(i);
    }

    @Override
    public int size() {
      return count;
    }
  }

  ShadowState copy() {
    return new ShadowState(this);
  }

  /** Makes {@code target}, a state of an engine on the same machine, equal to this one. */
  void copyInto(ShadowState target) {
    if (target.firstFrame != firstFrame || target.frameOwner.length != frameOwner.length
        || target.roots.length != roots.length) {
      throw new IllegalArgumentException("shadow states of different machines");
    }
    if (target.index.length < count) {
      target.index = new Shadow[index.length];
    }
    for (int i = count; i < target.count; i++) {
      target.index[i] = null;
    }
    Arrays.fill(target.frameOwner, null);
    copyShadowsInto(target);
    System.arraycopy(roots, 0, target.roots, 0, roots.length);
    target.lockOwner = lockOwner;
  }

  /** Puts a copy of every shadow in {@code target}'s index and frames (both large enough, the frames free). */
  private void copyShadowsInto(ShadowState target) {
    for (int i = 0; i < count; i++) {
      Shadow copy = at(i).copy();
      target.index[i] = copy;
      for (int part = 0; part < copy.parts(); part++) {
        target.frameOwner[(int) (copy.mfn(part) - firstFrame)] = copy;
      }
    }
    target.count = count;
  }

  public @Nullable Shadow find(ShadowKey key) {
    for (int i = 0; i < count; i++) {
      Shadow shadow = at(i);
      if (shadow.key().equals(key)) {
        return shadow;
      }
    }
    return null;
  }

  /**
   * Whether {@code shadow} is still in the index: loops over a list of shadows taken before they
   * changed anything ask this of each one, for every entry they touch.
   */
  public boolean holds(Shadow shadow) {
    return !shadow.isRemoved();
  }

  /** Every shadow, in key order. */
  public List<Shadow> shadows() {
    List<Shadow> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(at(i));
    }
    return out;
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
    return frameOwner[(int) i];
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
    for (Shadow owner : frameOwner) {
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
    Shadow shadow = new Shadow(key, mfns, 0);
    for (long mfn : mfns) {
      frameOwner[(int) (mfn - firstFrame)] = shadow;
    }
    int at = 0;
    while (at < count && at(at).key().compareTo(key) < 0) {
      at++;
    }
    if (at < count && at(at).key().equals(key)) {
      throw new IllegalStateException("a shadow under key " + key + " exists already");
    }
    if (count == index.length) {
      @Nullable Shadow[] grown = new Shadow[count * 2];
      System.arraycopy(index, 0, grown, 0, count);
      index = grown;
    }
    System.arraycopy(index, at, index, at + 1, count - at);
    index[at] = shadow;
    count++;
    return shadow;
  }

  void remove(Shadow shadow) {
    for (int i = 0; i < count; i++) {
      if (at(i) == shadow) {
        shadow.markRemoved();
        System.arraycopy(index, i + 1, index, i, count - i - 1);
        count--;
        index[count] = null;
        break;
      }
    }
    for (int part = 0; part < shadow.parts(); part++) {
      frameOwner[(int) (shadow.mfn(part) - firstFrame)] = null;
    }
  }

  /**
   * Feeds the index (each shadow's key, references and frames, in key order: frame ownership
   * follows from it), the roots and the lock to {@code into}; shadow contents are the engine's.
   */
  void fingerprint(LongConsumer into) {
    into.accept(count);
    for (int i = 0; i < count; i++) {
      Shadow shadow = at(i);
      feedKey(shadow.key(), into);
      into.accept(shadow.refs());
      into.accept(shadow.parts());
      for (int part = 0; part < shadow.parts(); part++) {
        into.accept(shadow.mfn(part));
      }
    }
    for (ShadowKey root : roots) {
      into.accept(root == null ? 0 : 1);
      if (root != null) {
        feedKey(root, into);
      }
    }
    into.accept(lockOwner);
  }

  private static void feedKey(ShadowKey key, LongConsumer into) {
    into.accept(key.type().ordinal());
    into.accept(key.gfn());
    into.accept(key.slot());
    into.accept(key.flavour());
  }

  @Override
  public String toString() {
    return count + " shadows, " + freeFrames() + "/" + frameOwner.length + " frames free, lock "
        + (lockOwner == NO_OWNER ? "free" : "held by vcpu" + lockOwner) + ", first frame " + Addr.hex(firstFrame);
  }
}
