package org.shadowref.shadow.core;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.MachineMemory;
import org.shadowref.shadow.invariant.ShadowTable;

/**
 * One shadow: its key, the machine frames holding its entries, and how many references it has
 * (present shadow entries pointing at any of its frames, plus vCPUs whose CR3 is it, plus a pin).
 * Only the engine whose state holds a shadow changes its count.
 *
 * <p>The optimized engine's pool makes its descriptors once and recycles them ({@link #reuse}), so
 * a shadow keeps its key as fields ({@link ShadowId}) and makes a {@link ShadowKey} only when
 * asked for one.
 */
public final class Shadow implements ShadowId {
  /** The most frames a shadow has ({@link ShadowType#L2_32_PAE}'s four). */
  public static final int MAX_FRAMES = 4;

  private ShadowType type;
  private @Gfn long gfn;
  private long keySlot;
  private int flavour;
  /** The key as an object, made when first asked for (null until then). */
  private @Nullable ShadowKey key;
  /** Its slot in the optimized engine's pool (the value the hash index maps its key to); -1 elsewhere. */
  private int slot;
  private final long[] mfns;
  private int parts;
  private int refs;
  /** Set when the shadow leaves its state's index; copies are made of indexed shadows only. */
  private boolean removed;
  /** {@code key.toString()}, made once: invariant checks name every shadow in every model state. */
  private @Nullable String name;

  public Shadow(ShadowKey key, int slot, long[] mfns) {
    this.type = key.type();
    this.gfn = key.gfn();
    this.keySlot = key.slot();
    this.flavour = key.flavour();
    this.key = key;
    this.slot = slot;
    this.mfns = mfns;
    this.parts = mfns.length;
  }

  /** A descriptor for the optimized engine's pool to fill ({@link #reuse}): room for any shadow's frames. */
  public static Shadow spare() {
    return new Shadow(new ShadowKey(ShadowType.L1_64, Addr.gfn(0), 0, 0), -1, new long[MAX_FRAMES]);
  }

  /**
   * Makes this descriptor, out of every store now, the new shadow {@code id} in pool slot {@code
   * slot}, on {@code parts} frames the caller then sets ({@link #setMfn}); no reference yet.
   */
  public void reuse(ShadowId id, int slot, int parts) {
    if (parts > mfns.length) {
      throw new IllegalArgumentException(id + " needs " + parts + " frames, a descriptor has " + mfns.length);
    }
    this.type = id.type();
    this.gfn = id.gfn();
    this.keySlot = id.slot();
    this.flavour = id.flavour();
    this.key = id instanceof ShadowKey made ? made : null;
    this.slot = slot;
    this.parts = parts;
    this.refs = 0;
    this.removed = false;
    this.name = null;
  }

  /** Sets the frame of part {@code part} (a descriptor being filled: {@link #reuse}). */
  public void setMfn(int part, @Mfn long mfn) {
    mfns[part] = mfn;
  }

  /** The key (made once per shadow: the fault path reads the fields instead). */
  public ShadowKey key() {
    ShadowKey made = key;
    if (made == null) {
      made = new ShadowKey(type, gfn, keySlot, flavour);
      key = made;
    }
    return made;
  }

  @Override
  public ShadowType type() {
    return type;
  }

  @Override
  public @Gfn long gfn() {
    return gfn;
  }

  /** The key's slot (splinters); {@link #poolSlot} is the pool's. */
  @Override
  public long slot() {
    return keySlot;
  }

  @Override
  public int flavour() {
    return flavour;
  }

  /** The key's readable name. */
  public String name() {
    String made = name;
    if (made == null) {
      made = key().toString();
      name = made;
    }
    return made;
  }

  public int poolSlot() {
    return slot;
  }

  public int parts() {
    return parts;
  }

  public @Mfn long mfn(int part) {
    if (part >= parts) {
      throw new IndexOutOfBoundsException("part " + part + " of " + parts);
    }
    return Addr.mfn(mfns[part]);
  }

  /** Which of its frames {@code mfn} is. */
  public int partOf(@Mfn long mfn) {
    for (int part = 0; part < parts; part++) {
      if (mfns[part] == mfn) {
        return part;
      }
    }
    throw new IllegalStateException(Addr.hex(mfn) + " is no frame of " + this);
  }

  public @Maddr long entryAddress(int part, int index) {
    return Addr.maddrOf(mfn(part), (long) index * type.entryBytes());
  }

  public long readEntry(MachineMemory machine, int part, int index) {
    return machine.read(entryAddress(part, index), type.entryBytes());
  }

  /** The first index from {@code from} on whose entry in frame {@code part} is not 0, or -1. */
  public int nextSetEntry(MachineMemory machine, int part, int from) {
    int perWord = 8 / type.entryBytes();
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

  /**
   * Whether the shadow left the index (a shadow never returns: a new key gets a new object, or in
   * the optimized engine's pool a descriptor recycled only once no operation may still hold it).
   */
  public boolean isRemoved() {
    return removed;
  }

  public void markRemoved() {
    removed = true;
  }

  /** A copy of an indexed shadow (with frames of its own: the pool refills a recycled descriptor's). */
  public Shadow copy() {
    Shadow copy = new Shadow(key(), slot, java.util.Arrays.copyOf(mfns, MAX_FRAMES)); // room to be recycled
    copy.parts = parts;
    copy.refs = refs;
    copy.name = name;
    return copy;
  }

  public long[] mfnArray() {
    return java.util.Arrays.copyOf(mfns, parts);
  }

  /**
   * What the invariant predicates see of this shadow ({@code pinned}: whether a pin holds a
   * reference; {@code previousRoots}: how many vCPUs' caches of previous roots hold one each).
   */
  public ShadowTable describe(boolean pinned, int previousRoots) {
    return new ShadowTable(
        name(), type.name(), gfn, type.level(), type.shadowsGuestFrame(), mfnArray(), type.entryBytes(),
        refs, pinned, previousRoots, type.childTypeNames(), keySlot, pse(), nxe());
  }

  @Override
  public String toString() {
    return name() + " refs=" + refs;
  }
}
