package org.shadowref.shadow.core;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Mfn;

/**
 * Where an engine keeps its shadows besides their entries (which live in machine memory): the
 * index by key, which hypervisor frame belongs to which shadow, each vCPU's top, and the shadow
 * lock. The reference engine's is a plain sorted array; the optimized engine's a pool with a hash
 * index, a free list and reverse maps. Only the engine that owns a store changes it.
 */
public abstract class ShadowStore {
  /** The first hypervisor frame: the store holds frames {@code firstFrame} to {@code firstFrame + totalFrames - 1}. */
  protected final int firstFrame;
  private final int totalFrames;
  /** Each vCPU's top-level shadow, by key: what its CR3 points at. */
  protected final @Nullable ShadowKey[] roots;
  /** The vCPU holding the shadow lock, or {@link ShadowEngine#NO_OWNER}. */
  private int lockOwner = ShadowEngine.NO_OWNER;

  protected ShadowStore(int firstFrame, int totalFrames, int vcpuCount) {
    this.firstFrame = firstFrame;
    this.totalFrames = totalFrames;
    this.roots = new ShadowKey[vcpuCount];
  }

  /** A copy of {@code other}'s frames, roots and lock. */
  protected ShadowStore(ShadowStore other) {
    this.firstFrame = other.firstFrame;
    this.totalFrames = other.totalFrames;
    this.roots = other.roots.clone();
    this.lockOwner = other.lockOwner;
  }

  /** Makes {@code target}'s roots and lock this store's; the two must be of one machine. */
  protected final void copyRootsAndLockInto(ShadowStore target) {
    if (target.firstFrame != firstFrame || target.totalFrames != totalFrames || target.roots.length != roots.length) {
      throw new IllegalArgumentException("shadow stores of different machines");
    }
    System.arraycopy(roots, 0, target.roots, 0, roots.length);
    target.lockOwner = lockOwner;
  }

  /** The offset of hypervisor frame {@code mfn} in the store, or -1 (a guest frame, or beyond). */
  protected final int frameOffset(@Mfn long mfn) {
    long i = mfn - firstFrame;
    return i < 0 || i >= totalFrames ? -1 : (int) i;
  }

  public abstract @Nullable Shadow find(ShadowKey key);

  /** The shadow that owns machine frame {@code mfn}, or null (a guest frame, or a free one). */
  public abstract @Nullable Shadow owner(@Mfn long mfn);

  /** Every shadow, as a list of its own: the store may change while a caller goes through it. */
  public abstract List<Shadow> shadows();

  /** Every shadow, to read only: a loop that changes nothing needs no list of its own. */
  public Iterable<Shadow> shadowsView() {
    return shadows();
  }

  /**
   * Whether {@code shadow} is still in the store: loops over a list of shadows taken before they
   * changed anything ask this of each one, for every entry they touch.
   */
  public abstract boolean holds(Shadow shadow);

  /** Puts a new shadow of {@code key} on free frames; the caller zeroes them. */
  public abstract Shadow insert(ShadowId id);

  /** Takes {@code shadow} out and frees its frames; the caller has cleared its entries. */
  public abstract void remove(Shadow shadow);

  public abstract int freeFrames();

  public final int totalFrames() {
    return totalFrames;
  }

  /** The key of the vCPU's top-level shadow, or null before its first CR3 load. */
  public final @Nullable ShadowKey root(int vcpu) {
    return roots[vcpu];
  }

  /** The top-level shadow vCPU {@code vcpu} runs on, or null before its first CR3 load. */
  public abstract @Nullable Shadow rootShadow(int vcpu);

  /** Makes {@code top} the vCPU's top-level shadow (its CR3). */
  public void setRoot(int vcpu, Shadow top) {
    roots[vcpu] = top.key();
  }

  /** Whether a pin holds a reference to {@code shadow} (only the optimized engine pins). */
  public boolean isPinned(Shadow shadow) {
    return false;
  }

  /**
   * How many vCPUs keep {@code shadow} among their previous roots, each with a reference of its
   * own (only the optimized engine keeps them).
   */
  public int previousRootReferences(Shadow shadow) {
    return 0;
  }

  /** The vCPU holding the shadow lock, or {@link ShadowEngine#NO_OWNER}. */
  public final int lockOwner() {
    return lockOwner;
  }

  public final void setLockOwner(int vcpu) {
    lockOwner = vcpu;
  }

  /** The store in a line, with {@code shadows} shadows in it. */
  protected final String describe(int shadows) {
    return shadows + " shadows, " + freeFrames() + "/" + totalFrames + " frames free, lock "
        + (lockOwner == ShadowEngine.NO_OWNER ? "free" : "held by vcpu" + lockOwner) + ", first frame " + Addr.hex(firstFrame);
  }
}
