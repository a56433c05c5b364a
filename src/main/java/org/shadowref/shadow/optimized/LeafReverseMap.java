package org.shadowref.shadow.optimized;

import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Maddr;

/**
 * For every machine frame, the present shadow leaves that map it: what write-access removal and
 * revalidation visit when a frame becomes, or stops being, a shadowed page table.
 *
 * <p>The links are preallocated, one set per leaf slot of the shadow pool (a 4 KiB frame holds at
 * most 1024 entries), so a leaf's node is its own position: recording and forgetting a mapping is
 * O(1) and never allocates, and nothing grows as the pool fills. (KVM's rmap allocates descriptors
 * from a per-vCPU cache it tops up before taking the MMU lock; here the whole pool's worth is set
 * aside once, as Xen sets aside the metadata of its shadow pool.)
 *
 * <p>Links are stored plus one, so that 0 means "none" and new arrays need no filling: {@code
 * head[frame]} and {@code next[slot]} hold a slot + 1; {@code prev[slot]} holds 0 when the slot is
 * in no list, 1 when it is first in its list, else the previous slot + 2.
 */
public final class LeafReverseMap {
  /** Entries of the narrowest shadow format (4 bytes) in one frame. */
  private static final int SLOTS_PER_FRAME = (int) (Addr.PAGE_SIZE / 4);
  private static final int UNLINKED = 0;
  private static final int FIRST = 1;

  private final int firstFrame;
  private final int poolFrames;
  private final int[] head;
  private final int[] next;
  private final int[] prev;
  /** Per linked slot: the machine frame its leaf maps. */
  private final int[] frameOf;
  private int size;

  /**
   * @param firstFrame the pool's first machine frame
   * @param poolFrames how many frames the pool may hold shadows in
   * @param machineFrames every machine frame (the frames leaves may map)
   */
  public LeafReverseMap(int firstFrame, int poolFrames, int machineFrames) {
    this.firstFrame = firstFrame;
    this.poolFrames = poolFrames;
    this.head = new int[machineFrames];
    this.next = new int[poolFrames * SLOTS_PER_FRAME];
    this.prev = new int[poolFrames * SLOTS_PER_FRAME];
    this.frameOf = new int[poolFrames * SLOTS_PER_FRAME];
  }

  private LeafReverseMap(LeafReverseMap other) {
    this.firstFrame = other.firstFrame;
    this.poolFrames = other.poolFrames;
    this.head = other.head.clone();
    this.next = other.next.clone();
    this.prev = other.prev.clone();
    this.frameOf = other.frameOf.clone();
    this.size = other.size;
  }

  public LeafReverseMap copy() {
    return new LeafReverseMap(this);
  }

  /** Number of leaves recorded. */
  public int size() {
    return size;
  }

  /** Records that the shadow leaf at {@code entry} maps {@code frame}. */
  public void add(int frame, @Maddr long entry) {
    int slot = slotOf(entry);
    if (prev[slot] != UNLINKED) {
      throw new IllegalStateException("shadow leaf " + Addr.hex(entry) + " is recorded twice");
    }
    int first = head[frame] - 1;
    next[slot] = first + 1;
    prev[slot] = FIRST;
    if (first >= 0) {
      prev[first] = slot + 2;
    }
    head[frame] = slot + 1;
    frameOf[slot] = frame;
    size++;
  }

  /** Forgets that the leaf at {@code entry} maps {@code frame}; returns whether it was recorded. */
  public boolean remove(int frame, @Maddr long entry) {
    int slot = slotOf(entry);
    if (prev[slot] == UNLINKED) {
      return false;
    }
    if (frameOf[slot] != frame) {
      throw new IllegalStateException("shadow leaf " + Addr.hex(entry) + " is recorded as mapping frame "
          + Addr.hex(frameOf[slot]) + ", not " + Addr.hex(frame));
    }
    int before = prev[slot] - 2;
    int after = next[slot] - 1;
    if (before < 0) {
      head[frame] = after + 1;
    } else {
      next[before] = after + 1;
    }
    if (after >= 0) {
      prev[after] = before < 0 ? FIRST : before + 2;
    }
    prev[slot] = UNLINKED;
    next[slot] = 0;
    size--;
    return true;
  }

  /** Whether anything maps {@code frame}. */
  public boolean isEmpty(int frame) {
    return head[frame] == 0;
  }

  /** How many recorded leaves map {@code frame}. */
  public int count(int frame) {
    int count = 0;
    for (int slot = head[frame] - 1; slot >= 0; slot = next[slot] - 1) {
      count++;
    }
    return count;
  }

  /**
   * The addresses of the leaves mapping {@code frame}, copied into {@code out} (or into a larger
   * array when it is too small; the result is that array): callers that change the map while they
   * visit iterate over the copy, the first {@link #count} of its elements.
   */
  public long[] entries(int frame, long[] out) {
    int count = count(frame);
    long[] into = out.length >= count ? out : new long[Math.max(count, 2 * out.length)];
    int filled = 0;
    for (int slot = head[frame] - 1; slot >= 0; slot = next[slot] - 1) {
      into[filled++] = addressOf(slot);
    }
    return into;
  }

  private int slotOf(@Maddr long entry) {
    long frame = Addr.mfnOf(entry) - firstFrame;
    if (frame < 0 || frame >= poolFrames || (entry & 3) != 0) {
      throw new IllegalArgumentException(Addr.hex(entry) + " is no leaf slot of the shadow pool");
    }
    return (int) (frame * SLOTS_PER_FRAME + Addr.pageOffset(entry) / 4);
  }

  private @Maddr long addressOf(int slot) {
    return Addr.maddrOf(Addr.mfn(firstFrame + slot / SLOTS_PER_FRAME), (long) (slot % SLOTS_PER_FRAME) * 4);
  }
}
