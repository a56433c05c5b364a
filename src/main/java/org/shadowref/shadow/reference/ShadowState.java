package org.shadowref.shadow.reference;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.LongConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.core.ShadowId;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowStore;
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
  InvariantIds.SHADOW_STRUCTURE,
  InvariantIds.P2M_COHERENT,
  InvariantIds.LOG_DIRTY
})
public final class ShadowState extends ShadowStore {
  public static final int NO_OWNER = ShadowEngine.NO_OWNER;

  /**
   * The shadow index: the first {@code count} slots hold the shadows in key order. A model state
   * has a dozen shadows at most, and copies and lookups happen for every transition, so a sorted
   * array beats a tree map.
   */
  private @Nullable Shadow[] index;
  private int count;
  /** The shadow in hypervisor frame {@code firstFrame + i}, or null when free. */
  private final @Nullable Shadow[] frameOwner;
  private final Collection<Shadow> view;

  ShadowState(int firstFrame, int frameCount, int vcpuCount) {
    super(firstFrame, frameCount, vcpuCount);
    this.index = new Shadow[8];
    this.frameOwner = new Shadow[frameCount];
    this.view = new View();
  }

  private ShadowState(ShadowState other) {
    super(other);
    this.index = new Shadow[other.index.length];
    this.frameOwner = new Shadow[other.frameOwner.length];
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
    copyRootsAndLockInto(target);
    if (target.index.length < count) {
      target.index = new Shadow[index.length];
    }
    for (int i = count; i < target.count; i++) {
      target.index[i] = null;
    }
    Arrays.fill(target.frameOwner, null);
    copyShadowsInto(target);
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

  @Override
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
  @Override
  public boolean holds(Shadow shadow) {
    return !shadow.isRemoved();
  }

  /** Every shadow, in key order. */
  @Override
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
  @Override
  public Collection<Shadow> shadowsView() {
    return view;
  }

  /** The shadow that owns machine frame {@code mfn}, or null (a guest frame, or a free one). */
  @Override
  public @Nullable Shadow owner(@Mfn long mfn) {
    int i = frameOffset(mfn);
    return i < 0 ? null : frameOwner[i];
  }

  @Override
  public @Nullable Shadow rootShadow(int vcpu) {
    ShadowKey key = roots[vcpu];
    return key == null ? null : find(key);
  }

  @Override
  public int freeFrames() {
    int free = 0;
    for (Shadow owner : frameOwner) {
      if (owner == null) {
        free++;
      }
    }
    return free;
  }

  /** Puts a new shadow in the index on the lowest free frames; the caller zeroes them. */
  @Override
  public Shadow insert(ShadowId id) {
    ShadowKey key = ShadowKey.of(id);
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
    Shadow shadow = new Shadow(key, -1, mfns);
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

  @Override
  public void remove(Shadow shadow) {
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
    into.accept(lockOwner());
  }

  private static void feedKey(ShadowKey key, LongConsumer into) {
    into.accept(key.type().ordinal());
    into.accept(key.gfn());
    into.accept(key.slot());
    into.accept(key.flavour());
  }

  @Override
  public String toString() {
    return describe(count);
  }
}
