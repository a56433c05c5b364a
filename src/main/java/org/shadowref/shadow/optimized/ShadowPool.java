package org.shadowref.shadow.optimized;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.SeededBugs;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowEngine;
import org.shadowref.shadow.core.ShadowId;
import org.shadowref.shadow.core.ShadowKey;
import org.shadowref.shadow.core.ShadowStore;
import org.shadowref.shadow.core.ShadowType;

/**
 * The optimized engine's shadow memory: shadows indexed through a {@link LongLongHashTable}
 * keyed by an encoding of (type, guest frame, slot, flavour), each shadow in a slot of a fixed
 * array, frames handed out from a free list, and an owner slot per hypervisor frame. Nothing
 * here allocates when a shadow is found, made or dropped: shadow descriptors are made with the
 * pool, one per slot, and recycled.
 */
public final class ShadowPool extends ShadowStore {
  public static final int NO_OWNER = ShadowEngine.NO_OWNER;
  /** Guest l1 tables each vCPU may hold out of sync at once (Xen's {@code SHADOW_OOS_PAGES}). */
  public static final int OUT_OF_SYNC_SLOTS_PER_VCPU = 3;
  private static final int NONE = -1;
  private static final int WORDS_PER_TABLE = (int) (Addr.PAGE_SIZE / 8);
  /** Key layout: flavour in bits 0-1, type in 2-6, slot in 7-26, guest frame from bit 27. */
  private static final int TYPE_SHIFT = 2;
  private static final int SLOT_SHIFT = 7;
  private static final int GFN_SHIFT = 27;
  private static final long MAX_SLOT = 1L << (GFN_SHIFT - SLOT_SHIFT);
  private static final long MAX_GFN = 1L << (63 - GFN_SHIFT);

  private final LongLongHashTable index;
  private final @Nullable Shadow[] slots;
  /** Slot of the shadow owning hypervisor frame {@code firstFrame + i}, or NONE when free. */
  private final int[] frameOwner;
  /** Free hypervisor frames (offsets from firstFrame), lowest on top. */
  private final int[] freeFrames;
  private int freeCount;
  private final int[] freeSlots;
  private int freeSlotCount;
  /** Descriptors free to fill ({@link Shadow#reuse}): one per slot at first, more only if an operation needed them. */
  private @Nullable Shadow[] spares;
  private int spareCount;
  /**
   * Descriptors of the shadows removed during the current operation: its loops may still hold
   * them and ask {@link #holds}, which must then say no, so they are refilled only from the next
   * operation on ({@link #recycleRetired}).
   */
  private @Nullable Shadow[] retired;
  private int retiredCount;
  /** The slot of each vCPU's top-level shadow (NONE before the first CR3 load): found without a lookup. */
  private final int[] rootSlots;
  /** For every machine frame, the slots of the shadows derived from the guest table in it. */
  private final ReverseMap shadowsOfFrame;
  /** For every machine frame, the addresses of the present shadow leaves that map it. */
  private final LeafReverseMap leafMappings;
  /** For every slot, the addresses of the present directory entries that point at its shadow. */
  private final ReverseMap parentEntries;
  /**
   * Machine frames of guest l1 tables out of sync (unprotected), NONE in an empty slot: {@link
   * #OUT_OF_SYNC_SLOTS_PER_VCPU} slots per vCPU, vCPU v's from v times that, for the tables its
   * stores let go out of sync.
   */
  private final long[] outOfSync;
  /** Per vCPU, which of its slots (0 up to the count per vCPU) comes back in sync next when all are taken. */
  private final int[] nextOutOfSyncVictim;
  /**
   * Per out-of-sync slot: the guest table's words when it went out of sync (Xen's
   * {@code oos_snapshot}), and a bit per word whose shadow entries were written since.
   */
  private final long[][] outOfSyncSnapshots;
  private final long[][] rewrittenSince;
  /** For every machine frame, its out-of-sync slot or NONE: asked for every leaf derived. */
  private final byte[] outOfSyncSlotOfFrame;
  private int outOfSyncCount;
  /** Emulated stores per machine frame since it was last in sync, toward letting it go. */
  private final int[] tableWrites;
  /** Per vCPU, the page table its last emulated store cleared an entry of, or -1 (early unshadow). */
  private final long[] lastClearedTable;
  /** A page table a heuristic gave up on (torn down, flooded), to unshadow as the next operation begins, or -1. */
  private long pendingUnshadow = NONE;
  /** Per machine frame: emulated stores to its page table since a fault last used its shadows (write flooding). */
  private final int[] floodWrites;
  /** Per vCPU, the translation fast emulation remembered from its last emulated page-table store (when held). */
  private final FastEmulation.Remembered[] remembered;
  /** Per vCPU, whether it holds its remembered translation (else it remembers none). */
  private final boolean[] remembers;
  /** How many vCPUs remember one (the common answer, none, is one field read). */
  private int rememberedCount;
  /**
   * Slots of the pinned top-level shadows, least recently installed first (Xen's list of pinned
   * shadows); each pin holds one reference, so an address space the guest switches away from
   * keeps its shadows.
   */
  private final int[] pinned;
  private int pinnedCount;
  /**
   * Per vCPU, the slots of the tops of the address spaces it ran on last, most recent first, NONE
   * after the last (KVM's {@code prev_roots}); each holds a reference.
   */
  private final int[][] previousRoots;
  /** When each previous root was kept, on one clock for every vCPU: the pool lets the oldest go first. */
  private final long[][] previousRootSince;
  private long previousRootClock;
  /**
   * Per vCPU: the top it runs on was unshadowed meanwhile (KVM's obsolete root), so it is not kept
   * when the vCPU leaves it.
   */
  private final boolean[] rootObsolete;
  /** Find by the hash index (else by scanning the slots, the switched-off technique). */
  private final boolean hashIndex;
  private final SeededBugs bugs;

  /**
   * @param frameCount the hypervisor frames the pool may use for shadows (its bound)
   * @param machineFrames every machine frame, for the reverse maps keyed by frame
   */
  ShadowPool(int firstFrame, int frameCount, int vcpuCount, int machineFrames, boolean hashIndex,
      SeededBugs bugs) {
    super(firstFrame, frameCount, vcpuCount);
    int capacity = Math.max(1, frameCount);
    this.index = new LongLongHashTable(capacity);
    this.slots = new Shadow[capacity];
    this.frameOwner = new int[frameCount];
    this.freeFrames = new int[frameCount];
    this.freeSlots = new int[capacity];
    for (int i = 0; i < frameCount; i++) {
      frameOwner[i] = NONE;
      freeFrames[i] = frameCount - 1 - i;
    }
    this.freeCount = frameCount;
    for (int i = 0; i < capacity; i++) {
      freeSlots[i] = capacity - 1 - i;
    }
    this.freeSlotCount = capacity;
    this.spares = new Shadow[capacity];
    for (int i = 0; i < capacity; i++) {
      spares[i] = Shadow.spare();
    }
    this.spareCount = capacity;
    this.retired = new Shadow[capacity];
    this.rootSlots = new int[vcpuCount];
    java.util.Arrays.fill(rootSlots, NONE);
    this.shadowsOfFrame = new ReverseMap(machineFrames, capacity);
    this.leafMappings = new LeafReverseMap(firstFrame, frameCount, machineFrames);
    this.parentEntries = new ReverseMap(capacity, capacity);
    int outOfSyncSlots = vcpuCount * OUT_OF_SYNC_SLOTS_PER_VCPU;
    this.outOfSync = new long[outOfSyncSlots];
    java.util.Arrays.fill(outOfSync, NONE);
    this.nextOutOfSyncVictim = new int[vcpuCount];
    this.outOfSyncSnapshots = new long[outOfSyncSlots][WORDS_PER_TABLE];
    this.rewrittenSince = new long[outOfSyncSlots][WORDS_PER_TABLE / 64];
    this.outOfSyncSlotOfFrame = new byte[machineFrames];
    java.util.Arrays.fill(outOfSyncSlotOfFrame, (byte) NONE);
    this.tableWrites = new int[machineFrames];
    this.lastClearedTable = new long[vcpuCount];
    this.floodWrites = new int[machineFrames];
    java.util.Arrays.fill(lastClearedTable, NONE);
    this.remembered = new FastEmulation.Remembered[vcpuCount];
    for (int vcpu = 0; vcpu < vcpuCount; vcpu++) {
      remembered[vcpu] = new FastEmulation.Remembered();
    }
    this.remembers = new boolean[vcpuCount];
    this.pinned = new int[capacity];
    this.previousRoots = new int[vcpuCount][PreviousRoots.COUNT];
    for (int[] kept : previousRoots) {
      java.util.Arrays.fill(kept, NONE);
    }
    this.previousRootSince = new long[vcpuCount][PreviousRoots.COUNT];
    this.rootObsolete = new boolean[vcpuCount];
    this.hashIndex = hashIndex;
    this.bugs = bugs;
  }

  private ShadowPool(ShadowPool other) {
    super(other);
    this.index = other.index.copy();
    this.slots = new Shadow[other.slots.length];
    for (int i = 0; i < slots.length; i++) {
      Shadow shadow = other.slots[i];
      slots[i] = shadow == null ? null : shadow.copy();
    }
    this.frameOwner = other.frameOwner.clone();
    this.freeFrames = other.freeFrames.clone();
    this.freeCount = other.freeCount;
    this.freeSlots = other.freeSlots.clone();
    this.freeSlotCount = other.freeSlotCount;
    this.spares = new Shadow[slots.length]; // a copy makes its descriptors as it needs them
    this.retired = new Shadow[slots.length];
    this.rootSlots = other.rootSlots.clone();
    this.shadowsOfFrame = other.shadowsOfFrame.copy();
    this.leafMappings = other.leafMappings.copy();
    this.parentEntries = other.parentEntries.copy();
    this.outOfSync = other.outOfSync.clone();
    this.nextOutOfSyncVictim = other.nextOutOfSyncVictim.clone();
    this.outOfSyncSnapshots = deepClone(other.outOfSyncSnapshots);
    this.rewrittenSince = deepClone(other.rewrittenSince);
    this.outOfSyncSlotOfFrame = other.outOfSyncSlotOfFrame.clone();
    this.outOfSyncCount = other.outOfSyncCount;
    this.tableWrites = other.tableWrites.clone();
    this.lastClearedTable = other.lastClearedTable.clone();
    this.pendingUnshadow = other.pendingUnshadow;
    this.floodWrites = other.floodWrites.clone();
    this.remembered = new FastEmulation.Remembered[other.remembered.length];
    for (int vcpu = 0; vcpu < remembered.length; vcpu++) {
      remembered[vcpu] = new FastEmulation.Remembered();
      remembered[vcpu].copyFrom(other.remembered[vcpu]);
    }
    this.remembers = other.remembers.clone();
    this.rememberedCount = other.rememberedCount;
    this.pinned = other.pinned.clone();
    this.pinnedCount = other.pinnedCount;
    this.previousRoots = deepClone(other.previousRoots);
    this.previousRootSince = deepClone(other.previousRootSince);
    this.previousRootClock = other.previousRootClock;
    this.rootObsolete = other.rootObsolete.clone();
    this.hashIndex = other.hashIndex;
    this.bugs = other.bugs;
  }

  /** Shadows by the machine frame of the guest table they derive from (entries are slots). */
  ReverseMap shadowsOfFrame() {
    return shadowsOfFrame;
  }

  /** Present shadow leaves by the machine frame they map (entries are machine addresses). */
  LeafReverseMap leafMappings() {
    return leafMappings;
  }

  /** The out-of-sync slot holding machine frame {@code mfn}, or -1. */
  int outOfSyncSlot(long mfn) {
    if (mfn == NONE) {
      throw new IllegalArgumentException("no frame: ask freeOutOfSyncSlot for an empty slot");
    }
    return mfn < 0 || mfn >= outOfSyncSlotOfFrame.length ? NONE : outOfSyncSlotOfFrame[(int) mfn];
  }

  /** Out-of-sync slots in all, every vCPU's. */
  int outOfSyncSlots() {
    return outOfSync.length;
  }

  /** An empty out-of-sync slot of vCPU {@code vcpu}'s, or -1 when each of its slots holds a frame. */
  int freeOutOfSyncSlot(int vcpu) {
    for (int slot = vcpu * OUT_OF_SYNC_SLOTS_PER_VCPU; slot < (vcpu + 1) * OUT_OF_SYNC_SLOTS_PER_VCPU; slot++) {
      if (outOfSync[slot] == NONE) {
        return slot;
      }
    }
    return NONE;
  }

  /** The slot of vCPU {@code vcpu}'s, all taken, whose table comes back in sync to make room: each in turn. */
  int outOfSyncVictim(int vcpu) {
    int turn = nextOutOfSyncVictim[vcpu];
    nextOutOfSyncVictim[vcpu] = (turn + 1) % OUT_OF_SYNC_SLOTS_PER_VCPU;
    return vcpu * OUT_OF_SYNC_SLOTS_PER_VCPU + turn;
  }

  /** The frame in out-of-sync slot {@code slot}, or -1 when the slot is empty. */
  long outOfSyncFrame(int slot) {
    return outOfSync[slot];
  }

  void setOutOfSync(int slot, long mfn) {
    if ((outOfSync[slot] == NONE) != (mfn == NONE)) {
      outOfSyncCount += mfn == NONE ? -1 : 1;
    }
    if (outOfSync[slot] != NONE) {
      outOfSyncSlotOfFrame[(int) outOfSync[slot]] = (byte) NONE;
    }
    outOfSync[slot] = mfn;
    if (mfn != NONE) {
      outOfSyncSlotOfFrame[(int) mfn] = (byte) slot;
    }
  }

  /**
   * The snapshot of slot {@code slot}: the engine fills it when the slot's table goes out of
   * sync, and compares the table with it at resync.
   */
  long[] outOfSyncSnapshot(int slot) {
    return outOfSyncSnapshots[slot];
  }

  /** Notes that a shadow entry derived from word {@code word} of slot {@code slot}'s table was written. */
  void noteRewritten(int slot, int word) {
    rewrittenSince[slot][word >>> 6] |= 1L << word;
  }

  /** Whether a shadow entry derived from word {@code word} was written since the snapshot. */
  boolean rewritten(int slot, int word) {
    return (rewrittenSince[slot][word >>> 6] & (1L << word)) != 0;
  }

  void clearRewritten(int slot) {
    java.util.Arrays.fill(rewrittenSince[slot], 0);
  }

  private static long[][] deepClone(long[][] rows) {
    long[][] copy = rows.clone();
    for (int i = 0; i < copy.length; i++) {
      copy[i] = copy[i].clone();
    }
    return copy;
  }

  private static int[][] deepClone(int[][] rows) {
    int[][] copy = rows.clone();
    for (int i = 0; i < copy.length; i++) {
      copy[i] = copy[i].clone();
    }
    return copy;
  }

  /** How many frames are out of sync (asked on every fault and INVLPG, so kept, not counted). */
  public int outOfSyncCount() {
    return outOfSyncCount;
  }

  /** Counts an emulated store to the page table in {@code mfn}; returns the count so far. */
  int countTableWrite(int mfn) {
    return ++tableWrites[mfn];
  }

  void resetTableWrites(int mfn) {
    tableWrites[mfn] = 0;
  }

  /** The page table vCPU {@code vcpu}'s last emulated store cleared an entry of, or -1. */
  long lastClearedTable(int vcpu) {
    return lastClearedTable[vcpu];
  }

  void setLastClearedTable(int vcpu, long mfn) {
    lastClearedTable[vcpu] = mfn;
  }

  /** Counts an emulated store to the page table in {@code mfn} since a fault last used it; returns the count. */
  int countFloodWrite(int mfn) {
    return ++floodWrites[mfn];
  }

  /** A fault used the shadows of the page table in {@code mfn}: it is a page table to the guest still. */
  void clearFloodWrites(int mfn) {
    floodWrites[mfn] = 0;
  }

  /** The translation vCPU {@code vcpu} remembers for fast emulation, or null. */
  FastEmulation.@Nullable Remembered remembered(int vcpu) {
    return remembers[vcpu] ? remembered[vcpu] : null;
  }

  /** vCPU {@code vcpu}'s translation to refill (it is held only after {@link #setRemembered}). */
  FastEmulation.Remembered remembering(int vcpu) {
    return remembered[vcpu];
  }

  /** Whether vCPU {@code vcpu} holds its remembered translation (false: it forgets it). */
  void setRemembered(int vcpu, boolean holds) {
    rememberedCount += (holds ? 1 : 0) - (remembers[vcpu] ? 1 : 0);
    remembers[vcpu] = holds;
  }

  /** Whether any vCPU remembers a translation for fast emulation. */
  boolean remembersAny() {
    return rememberedCount > 0;
  }

  /** The page table to unshadow as the next operation begins, or -1. */
  long pendingUnshadow() {
    return pendingUnshadow;
  }

  void setPendingUnshadow(long mfn) {
    pendingUnshadow = mfn;
  }

  /**
   * Pins {@code top}, taking a reference for the pin, or if it is pinned already makes it the most
   * recently used ({@code sh_pin}).
   */
  void pin(Shadow top) {
    int at = pinIndex(top);
    if (at == NONE) {
      if (!bugs.has(SeededBug.PIN_WITHOUT_REFERENCE)) {
        top.addRef();
      }
      pinned[pinnedCount++] = top.poolSlot();
      return;
    }
    System.arraycopy(pinned, at + 1, pinned, at, pinnedCount - at - 1);
    pinned[pinnedCount - 1] = top.poolSlot();
  }

  /**
   * Takes {@code top} off the pinned list ({@code sh_unpin}); returns whether it was on it. The
   * caller drops the pin's reference.
   */
  boolean unpin(Shadow top) {
    int at = pinIndex(top);
    if (at == NONE) {
      return false;
    }
    System.arraycopy(pinned, at + 1, pinned, at, pinnedCount - at - 1);
    pinnedCount--;
    return true;
  }

  /** The least recently pinned top, or null when none is pinned. */
  @Nullable Shadow leastRecentlyPinned() {
    return pinnedCount == 0 ? null : slots[pinned[0]];
  }

  @Override
  public boolean isPinned(Shadow shadow) {
    return pinIndex(shadow) != NONE;
  }

  public int pinnedCount() {
    return pinnedCount;
  }

  /** Pinned top {@code i} (0: the least recently used), {@code i} below {@link #pinnedCount}. */
  Shadow pinned(int i) {
    Shadow top = i < pinnedCount ? slots[pinned[i]] : null;
    if (top == null) {
      throw new IllegalArgumentException("no pinned top " + i + " of " + pinnedCount);
    }
    return top;
  }

  private int pinIndex(Shadow shadow) {
    for (int i = 0; i < pinnedCount; i++) {
      if (pinned[i] == shadow.poolSlot() && slots[pinned[i]] == shadow) {
        return i;
      }
    }
    return NONE;
  }

  /** Previous root {@code i} of vCPU {@code vcpu} (0: the most recent), or null past its last. */
  @Nullable Shadow previousRoot(int vcpu, int i) {
    int slot = previousRoots[vcpu][i];
    return slot == NONE ? null : slots[slot];
  }

  /**
   * Takes previous root {@code i} off vCPU {@code vcpu}'s list, the older ones moving up; its
   * reference is the caller's now.
   */
  Shadow takePreviousRoot(int vcpu, int i) {
    Shadow root = previousRoot(vcpu, i);
    if (root == null) {
      throw new IllegalArgumentException("vcpu" + vcpu + " has no previous root " + i);
    }
    int[] kept = previousRoots[vcpu];
    long[] since = previousRootSince[vcpu];
    System.arraycopy(kept, i + 1, kept, i, kept.length - i - 1);
    System.arraycopy(since, i + 1, since, i, since.length - i - 1);
    kept[kept.length - 1] = NONE;
    since[since.length - 1] = 0;
    return root;
  }

  /**
   * Makes {@code top}, with the reference the caller hands over, vCPU {@code vcpu}'s most recent
   * previous root; returns the oldest one if it fell off the full list (its reference is the
   * caller's to drop), else null.
   */
  @Nullable Shadow keepPreviousRoot(int vcpu, Shadow top) {
    int[] kept = previousRoots[vcpu];
    long[] since = previousRootSince[vcpu];
    Shadow evicted = previousRoot(vcpu, kept.length - 1);
    System.arraycopy(kept, 0, kept, 1, kept.length - 1);
    System.arraycopy(since, 0, since, 1, since.length - 1);
    kept[0] = top.poolSlot();
    since[0] = ++previousRootClock;
    return evicted;
  }

  /** The vCPU whose oldest previous root was kept before every other vCPU's, or -1 when none keeps any. */
  int vcpuWithOldestPreviousRoot() {
    int oldest = NONE;
    long oldestSince = Long.MAX_VALUE;
    for (int vcpu = 0; vcpu < previousRoots.length; vcpu++) {
      int last = previousRootCount(vcpu) - 1;
      if (last >= 0 && previousRootSince[vcpu][last] < oldestSince) {
        oldest = vcpu;
        oldestSince = previousRootSince[vcpu][last];
      }
    }
    return oldest;
  }

  /** How many previous roots, of every vCPU, were kept before {@code since}. */
  private int olderPreviousRoots(long since) {
    int older = 0;
    for (int vcpu = 0; vcpu < previousRoots.length; vcpu++) {
      for (int i = 0; i < PreviousRoots.COUNT; i++) {
        if (previousRoots[vcpu][i] != NONE && previousRootSince[vcpu][i] < since) {
          older++;
        }
      }
    }
    return older;
  }

  /** How many previous roots vCPU {@code vcpu} keeps. */
  int previousRootCount(int vcpu) {
    int count = 0;
    while (count < PreviousRoots.COUNT && previousRoots[vcpu][count] != NONE) {
      count++;
    }
    return count;
  }

  @Override
  public int previousRootReferences(Shadow shadow) {
    int references = 0;
    for (int[] kept : previousRoots) {
      for (int slot : kept) {
        if (slot == shadow.poolSlot() && slots[slot] == shadow) {
          references++;
        }
      }
    }
    return references;
  }

  /** Whether vCPU {@code vcpu}'s top was unshadowed while it ran on it (it is not kept when left). */
  boolean rootObsolete(int vcpu) {
    return rootObsolete[vcpu];
  }

  void setRootObsolete(int vcpu, boolean obsolete) {
    rootObsolete[vcpu] = obsolete;
  }

  /** Present directory entries by the slot of the shadow they point at (entries are machine addresses). */
  ReverseMap parentEntries() {
    return parentEntries;
  }

  /** The shadow in slot {@code slot}, or null. */
  @Nullable Shadow atSlot(long slot) {
    return slots[(int) slot];
  }

  /** A copy of the entries {@code map} records for {@code frame}: scans change the map as they go. */
  static long[] snapshot(ReverseMap map, int frame) {
    return map.entries(frame);
  }

  ShadowPool copy() {
    return new ShadowPool(this);
  }

  /** {@link #encode}, or the seeded bug that forgets the flavour. */
  private long indexKey(ShadowId key) {
    long packed = encode(key);
    return bugs.has(SeededBug.HASH_IGNORES_FLAVOUR) ? packed & ~((1L << TYPE_SHIFT) - 1) : packed;
  }

  /** Whether {@code key}'s fields fit the packed index key. */
  private static boolean indexable(ShadowId key) {
    return key.slot() >= 0 && key.slot() < MAX_SLOT && key.gfn() >= 0 && key.gfn() < MAX_GFN;
  }

  /** The index key of {@code key}: every field packed, so equal keys and only they collide. */
  static long encode(ShadowId key) {
    if (key.slot() < 0 || key.slot() >= MAX_SLOT || key.gfn() < 0 || key.gfn() >= MAX_GFN) {
      throw new IllegalArgumentException("shadow key out of the index's range: " + ShadowKey.of(key));
    }
    return (key.gfn() << GFN_SHIFT) | (key.slot() << SLOT_SHIFT)
        | ((long) key.type().ordinal() << TYPE_SHIFT) | key.flavour();
  }

  /** {@link #find(ShadowKey)} by the key's fields, so a lookup need not make a key. */
  @Nullable Shadow find(ShadowType type, long gfn, long slot, int flavour) {
    if (!hashIndex || bugs.has(SeededBug.HASH_IGNORES_FLAVOUR) || slot < 0 || slot >= MAX_SLOT || gfn < 0
        || gfn >= MAX_GFN) {
      return find(new ShadowKey(type, Addr.gfn(gfn), slot, flavour)); // the rare and the checked cases
    }
    long found = index.get((gfn << GFN_SHIFT) | (slot << SLOT_SHIFT) | ((long) type.ordinal() << TYPE_SHIFT) | flavour,
        NONE);
    return found == NONE ? null : slots[(int) found];
  }

  @Override
  public @Nullable Shadow find(ShadowKey key) {
    if (!indexable(key)) {
      // A guest with a large MAXPHYADDR may point an entry past the index's range (a table in a
      // frame the P2M has nothing behind): such shadows stay out of the index and are found by
      // their key, slot by slot. They are rare; the index stays one packed long per key.
      for (Shadow shadow : slots) {
        if (shadow != null && key.names(shadow)) {
          return shadow;
        }
      }
      return null;
    }
    if (!hashIndex) {
      for (Shadow shadow : slots) {
        // A shadow kept out of the index cannot match an indexable key (and has no index key).
        if (shadow != null && indexable(shadow) && indexKey(shadow) == indexKey(key)) {
          return shadow;
        }
      }
      return null;
    }
    long slot = index.get(indexKey(key), NONE);
    return slot == NONE ? null : slots[(int) slot];
  }

  /** Whether {@code shadow} is still in the pool (not destroyed by an earlier step). */
  @Override
  public boolean holds(Shadow shadow) {
    return slots[shadow.poolSlot()] == shadow;
  }

  /** Every shadow, in slot order. */
  @Override
  public List<Shadow> shadows() {
    List<Shadow> all = new ArrayList<>(index.size());
    for (Shadow shadow : slots) {
      if (shadow != null) {
        all.add(shadow);
      }
    }
    return all;
  }

  /** The shadow that owns machine frame {@code mfn}, or null (a guest frame, or a free one). */
  @Override
  public @Nullable Shadow owner(@Mfn long mfn) {
    int i = frameOffset(mfn);
    if (i < 0) {
      return null;
    }
    int slot = frameOwner[i];
    return slot == NONE ? null : slots[slot];
  }

  /** The top-level shadow vCPU {@code vcpu} runs on, or null before its first CR3 load. */
  @Override
  public @Nullable Shadow rootShadow(int vcpu) {
    int slot = rootSlots[vcpu];
    return slot == NONE ? null : slots[slot];
  }

  /** Makes {@code top} the vCPU's top-level shadow (its CR3). */
  @Override
  public void setRoot(int vcpu, Shadow top) {
    super.setRoot(vcpu, top);
    rootSlots[vcpu] = top.poolSlot();
  }

  @Override
  public int freeFrames() {
    return freeCount;
  }

  /** Puts a new shadow in the index on frames from the free list; the caller zeroes them. */
  @Override
  public Shadow insert(ShadowId id) {
    ShadowType type = id.type();
    if (freeCount < type.frames() || freeSlotCount == 0) {
      throw new IllegalStateException(
          "shadow memory exhausted: " + ShadowKey.of(id) + " needs " + type.frames() + " frames");
    }
    int slot = freeSlots[--freeSlotCount];
    Shadow shadow = takeSpare();
    shadow.reuse(id, slot, type.frames());
    for (int part = 0; part < type.frames(); part++) {
      int frame = freeFrames[--freeCount];
      frameOwner[frame] = slot;
      shadow.setMfn(part, Addr.mfn(firstFrame + frame));
    }
    slots[slot] = shadow;
    if (indexable(shadow)) {
      index.put(indexKey(shadow), slot);
    }
    return shadow;
  }

  /** A free descriptor, or a new one when this operation has used them all (the pool then keeps it). */
  private Shadow takeSpare() {
    Shadow spare = spareCount > 0 ? spares[--spareCount] : null;
    if (spare == null) {
      return Shadow.spare();
    }
    spares[spareCount] = null;
    return spare;
  }

  /** The descriptors of the shadows the last operation removed may be refilled now: no loop holds them. */
  void recycleRetired() {
    if (spareCount + retiredCount > spares.length) {
      spares = java.util.Arrays.copyOf(spares, spareCount + retiredCount);
    }
    System.arraycopy(retired, 0, spares, spareCount, retiredCount);
    spareCount += retiredCount;
    java.util.Arrays.fill(retired, 0, retiredCount, null);
    retiredCount = 0;
  }

  @Override
  public void remove(Shadow shadow) {
    if (isPinned(shadow)) {
      throw new IllegalStateException("pinned shadow " + shadow + " removed from the pool");
    }
    if (previousRootReferences(shadow) > 0) {
      throw new IllegalStateException("previous root " + shadow + " removed from the pool");
    }
    if (indexable(shadow)) {
      index.remove(indexKey(shadow));
    }
    slots[shadow.poolSlot()] = null;
    freeSlots[freeSlotCount++] = shadow.poolSlot();
    if (retiredCount == retired.length) {
      retired = java.util.Arrays.copyOf(retired, 2 * retired.length);
    }
    retired[retiredCount++] = shadow;
    if (bugs.has(SeededBug.POOL_LEAK)) {
      return;
    }
    for (int part = shadow.parts() - 1; part >= 0; part--) {
      int frame = (int) (shadow.mfn(part) - firstFrame);
      frameOwner[frame] = NONE;
      freeFrames[freeCount++] = frame;
    }
  }

  /** A hash over the shadows, their frames and references, the roots, the pins and the lock. */
  long hash() {
    long h = 17;
    for (Shadow shadow : slots) {
      if (shadow == null) {
        continue;
      }
      h = h * 0x100_0000_01B3L + shadow.key().stableHash();
      h = h * 31 + shadow.refs();
      for (int part = 0; part < shadow.parts(); part++) {
        h = h * 31 + shadow.mfn(part);
      }
    }
    for (ShadowKey root : roots) {
      h = h * 31 + (root == null ? 0 : root.stableHash());
    }
    for (int slot = 0; slot < outOfSync.length; slot++) {
      h = h * 31 + outOfSync[slot];
      if (outOfSync[slot] != NONE) {
        h = h * 31 + java.util.Arrays.hashCode(outOfSyncSnapshots[slot]);
        h = h * 31 + java.util.Arrays.hashCode(rewrittenSince[slot]);
      }
    }
    for (int turn : nextOutOfSyncVictim) {
      h = h * 31 + turn;
    }
    for (int writes : tableWrites) {
      h = h * 31 + writes;
    }
    for (long table : lastClearedTable) {
      h = h * 31 + table;
    }
    h = h * 31 + pendingUnshadow;
    for (int writes : floodWrites) {
      h = h * 31 + writes;
    }
    for (int vcpu = 0; vcpu < remembered.length; vcpu++) {
      h = h * 31 + (remembers[vcpu] ? remembered[vcpu].stableHash() : 0);
    }
    for (int i = 0; i < pinnedCount; i++) {
      h = h * 31 + pinned[i]; // the order decides which top is unpinned first
    }
    for (int vcpu = 0; vcpu < previousRoots.length; vcpu++) {
      h = h * 31 + (rootObsolete[vcpu] ? 1 : 0);
      for (int i = 0; i < PreviousRoots.COUNT; i++) {
        // The slot, and the clock only as far as it decides which root the pool lets go first.
        h = (h * 31 + previousRoots[vcpu][i]) * 31 + olderPreviousRoots(previousRootSince[vcpu][i]);
      }
    }
    return h * 31 + lockOwner();
  }

  @Override
  public String toString() {
    return describe(shadows().size());
  }
}
