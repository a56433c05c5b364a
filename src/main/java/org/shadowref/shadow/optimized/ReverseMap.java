package org.shadowref.shadow.optimized;

import java.util.Arrays;

/**
 * For every machine frame, the shadow l1 entries that map it: so that write access to a frame
 * that becomes a page table can be removed by visiting exactly its mappings, not by scanning
 * every shadow (Xen falls back to a full scan; production rmaps, like KVM's, do not).
 *
 * <p>Per frame a doubly linked list of nodes in primitive arrays; freed nodes go on a free list.
 * The arrays grow by doubling when full, so steady state allocates nothing.
 */
public final class ReverseMap {
  private static final int NONE = -1;
  private static final long[] NO_ENTRIES = new long[0];

  private final int[] head;
  private long[] entryAddress;
  private int[] frameOf;
  private int[] next;
  private int[] prev;
  private int free = NONE;
  private int used;
  private int size;

  public ReverseMap(int frameCount, int initialNodes) {
    head = new int[frameCount];
    Arrays.fill(head, NONE);
    int nodes = Math.max(16, initialNodes);
    entryAddress = new long[nodes];
    frameOf = new int[nodes];
    next = new int[nodes];
    prev = new int[nodes];
  }

  private ReverseMap(ReverseMap other) {
    head = other.head.clone();
    entryAddress = other.entryAddress.clone();
    frameOf = other.frameOf.clone();
    next = other.next.clone();
    prev = other.prev.clone();
    free = other.free;
    used = other.used;
    size = other.size;
  }

  public ReverseMap copy() {
    return new ReverseMap(this);
  }

  /** Number of (frame, entry) pairs recorded. */
  public int size() {
    return size;
  }

  /** Records that the shadow entry at machine address {@code entry} maps {@code frame}. */
  public void add(int frame, long entry) {
    int node = allocate();
    entryAddress[node] = entry;
    frameOf[node] = frame;
    prev[node] = NONE;
    next[node] = head[frame];
    if (head[frame] != NONE) {
      prev[head[frame]] = node;
    }
    head[frame] = node;
    size++;
  }

  /** Forgets that {@code entry} maps {@code frame}; returns whether it was recorded. */
  public boolean remove(int frame, long entry) {
    for (int node = head[frame]; node != NONE; node = next[node]) {
      if (entryAddress[node] == entry) {
        unlink(node);
        return true;
      }
    }
    return false;
  }

  /** Calls {@code visitor} with every shadow entry that maps {@code frame}; it may remove the one it is given. */
  public void forEachMapping(int frame, MappingVisitor visitor) {
    int node = head[frame];
    while (node != NONE) {
      int following = next[node];
      visitor.visit(entryAddress[node]);
      node = following;
    }
  }

  /**
   * The entries recorded for {@code frame}, as a copy: callers that change the map while they
   * visit (revalidation may destroy shadows) iterate over this. No entries: a shared empty array.
   */
  public long[] entries(int frame) {
    int count = count(frame);
    if (count == 0) {
      return NO_ENTRIES;
    }
    long[] out = new long[count];
    int filled = 0;
    for (int node = head[frame]; node != NONE; node = next[node]) {
      out[filled++] = entryAddress[node];
    }
    return out;
  }

  /**
   * The first node recorded for {@code frame}, or -1: with {@link #following} and {@link
   * #entryAt}, a walk of the frame's entries that allocates nothing, for loops that change no map.
   */
  public int firstNode(int frame) {
    return head[frame];
  }

  /** The node after {@code node} in its frame's list, or -1. */
  public int following(int node) {
    return next[node];
  }

  /** The entry {@code node} records. */
  public long entryAt(int node) {
    return entryAddress[node];
  }

  /** Whether anything is recorded for {@code frame}. */
  public boolean isEmpty(int frame) {
    return head[frame] == NONE;
  }

  /** How many shadow entries map {@code frame}. */
  public int count(int frame) {
    int count = 0;
    for (int node = head[frame]; node != NONE; node = next[node]) {
      count++;
    }
    return count;
  }

  /** Receives the shadow entries that map a frame. */
  public interface MappingVisitor {
    void visit(long entryAddress);
  }

  private void unlink(int node) {
    int frame = frameOf[node];
    if (prev[node] != NONE) {
      next[prev[node]] = next[node];
    } else {
      head[frame] = next[node];
    }
    if (next[node] != NONE) {
      prev[next[node]] = prev[node];
    }
    next[node] = free;
    free = node;
    size--;
  }

  private int allocate() {
    if (free != NONE) {
      int node = free;
      free = next[node];
      return node;
    }
    if (used == entryAddress.length) {
      int grown = entryAddress.length * 2;
      entryAddress = Arrays.copyOf(entryAddress, grown);
      frameOf = Arrays.copyOf(frameOf, grown);
      next = Arrays.copyOf(next, grown);
      prev = Arrays.copyOf(prev, grown);
    }
    return used++;
  }
}
