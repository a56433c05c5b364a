package org.shadowref.shadow.core;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.P2m;
import org.shadowref.shadow.Fingerprintable;
import org.shadowref.shadow.GuestMachine;

/**
 * Log-dirty mode, what live migration runs on (Xen's {@code paging_log_dirty}, KVM's dirty
 * bitmap): while it is on, every guest frame the guest may have written since the last clean is
 * in the dirty set, so a migration that sends the dirty frames again loses no write. Frames are
 * marked when the engine lets a write reach them, before the write: over-approximation, never
 * under. The guest sees none of this.
 *
 * <p>It also keeps, as ghost state that only INV-LOG-DIRTY reads, the guest as it was at the last
 * clean: which frames the guest has changed since is then a fact of memory, not of the engine.
 */
public final class DirtyLog implements Fingerprintable {
  private boolean on;
  /** Dirty guest frames below the P2M's arrays, by gfn. */
  private BitSet dirty = new BitSet();
  /** Dirty guest frames above them (RAM the P2M holds sparsely). */
  private TreeSet<Long> dirtyAbove = new TreeSet<>();
  /** The frames the last clean returned, in increasing order. */
  private List<Long> lastCleaned = List.of();
  /** Ghost: the guest at the last clean (or when logging began); null when off. */
  private @Nullable GuestMachine atLastClean;

  /** Whether log-dirty mode is on. */
  public boolean isOn() {
    return on;
  }

  /** Starts logging (or starts again): nothing is dirty, and the guest as it is now is the baseline. */
  void enable(GuestMachine guest) {
    on = true;
    clearSet();
    atLastClean = guest.copy();
  }

  void disable() {
    on = false;
    clearSet();
    atLastClean = null;
  }

  /**
   * Hands the dirty frames over ({@link #lastCleaned}) and starts a new round: nothing dirty, the
   * guest as it is now the baseline. Only while logging.
   */
  void clean(GuestMachine guest) {
    if (!on) {
      throw new IllegalStateException("a clean of a dirty log that is off");
    }
    List<Long> frames = new ArrayList<>();
    for (int gfn = dirty.nextSetBit(0); gfn >= 0; gfn = dirty.nextSetBit(gfn + 1)) {
      frames.add((long) gfn);
    }
    frames.addAll(dirtyAbove);
    lastCleaned = List.copyOf(frames);
    clearSet();
    atLastClean = guest.copy();
  }

  private void clearSet() {
    dirty = new BitSet();
    dirtyAbove = new TreeSet<>();
  }

  /** Whether log-dirty mode keeps writes to {@code gfn} from the hardware: on, and not dirty yet. */
  public boolean protects(@Gfn long gfn) {
    return on && !isDirty(gfn);
  }

  /** Whether {@code gfn} is in the dirty set of this round. */
  public boolean isDirty(@Gfn long gfn) {
    return gfn <= Integer.MAX_VALUE ? dirty.get((int) gfn) : dirtyAbove.contains(gfn);
  }

  /** Marks {@code gfn} dirty; true when it was not. */
  boolean mark(@Gfn long gfn) {
    if (isDirty(gfn)) {
      return false;
    }
    if (gfn <= Integer.MAX_VALUE) {
      dirty.set((int) gfn);
    } else {
      dirtyAbove.add(gfn);
    }
    return true;
  }

  /** Marks every guest frame whose RAM is machine frame {@code mfn} (two, when a page is shared). */
  void markFramesOf(P2m p2m, @Mfn long mfn, MarkListener listener) {
    for (int i = 0; i < p2m.mappableCount(); i++) {
      @Gfn long gfn = p2m.mappableGfn(i);
      if (p2m.type(gfn).isRam() && p2m.mfn(gfn) == mfn && mark(gfn)) {
        listener.marked(gfn, mfn);
      }
    }
  }

  /** Told of each frame newly marked (the engine then gives its mappings write access). */
  interface MarkListener {
    void marked(@Gfn long gfn, @Mfn long mfn);
  }

  /** The frames the last clean returned. */
  public List<Long> lastCleaned() {
    return lastCleaned;
  }

  /** Ghost state for INV-LOG-DIRTY: the guest at the last clean, or null when the log is off. */
  public @Nullable GuestMachine atLastClean() {
    return atLastClean;
  }

  void copyInto(DirtyLog target) {
    target.on = on;
    target.dirty = (BitSet) dirty.clone();
    target.dirtyAbove = new TreeSet<>(dirtyAbove);
    target.lastCleaned = lastCleaned;
    target.atLastClean = atLastClean; // never written: copies share it
  }

  /** Whether logging is on, the dirty set, and the baseline guest (what can change later verdicts). */
  @Override
  public void fingerprint(LongConsumer into) {
    into.accept(on ? 1 : 0);
    long[] words = dirty.toLongArray();
    into.accept(words.length);
    for (long word : words) {
      into.accept(word);
    }
    into.accept(dirtyAbove.size());
    for (long gfn : dirtyAbove) {
      into.accept(gfn);
    }
    GuestMachine baseline = atLastClean;
    if (baseline != null) {
      into.accept(baseline.guestFingerprint());
    }
  }
}
