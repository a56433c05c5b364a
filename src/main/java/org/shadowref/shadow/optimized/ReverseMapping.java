package org.shadowref.shadow.optimized;

import java.util.List;
import java.util.function.Predicate;
import org.checkerframework.checker.initialization.qual.NotOnlyInitialized;
import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowType;
import org.shadowref.shadow.entry.MagicEntries;

/**
 * Reverse maps and back pointers (Xen's shadow hash by guest frame, its {@code sh_remove_*_mappings}
 * walks, and the up-pointers of {@code SHOPT_WRITABLE_HEURISTIC}'s relatives): which shadows derive
 * from a guest frame, which shadow leaves map a frame, which directory entries point at a shadow.
 * With them, revalidating a guest write, removing write access to a new page table and
 * unshadowing touch only what they must; without them ({@link OptimizedConfig#reverseMaps} off)
 * every shadow is searched, as the reference engine does. The maps live in the {@link ShadowPool}.
 */
final class ReverseMapping {
  @NotOnlyInitialized private final OptimizedEngine engine;
  private final OptimizedConfig config;
  private final GuestMachine guest;
  private final ShadowPool pool;
  /** Scratch for {@link #rederiveLeavesOf}: the leaves mapping a frame, copied before they change. */
  private long[] leafSnapshot = new long[16];
  private boolean revalidatingMappings;

  ReverseMapping(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, GuestMachine guest, ShadowPool pool) {
    this.engine = engine;
    this.config = config;
    this.guest = guest;
    this.pool = pool;
  }

  /** Whether any shadow is derived from the guest table in {@code mfn}, in sync or not. */
  boolean hasShadows(@Mfn long mfn) {
    if (!config.reverseMaps()) {
      return engine.hasShadowsByScan(mfn);
    }
    return inMachine(mfn) && !pool.shadowsOfFrame().isEmpty((int) mfn);
  }

  /**
   * Whether the guest table in {@code mfn} has shadows and {@code kind} holds for the type of each
   * (a walk of the frame's reverse map that allocates nothing, or a scan of every shadow).
   */
  boolean everyShadowIs(@Mfn long mfn, Predicate<ShadowType> kind) {
    if (!config.reverseMaps()) {
      boolean any = false;
      for (Shadow shadow : pool.shadowsView()) {
        if (engine.derivation().derivedFrom(shadow, mfn)) {
          if (!kind.test(shadow.type())) {
            return false;
          }
          any = true;
        }
      }
      return any;
    }
    if (!inMachine(mfn)) {
      return false;
    }
    ReverseMap shadowsOfFrame = pool.shadowsOfFrame();
    int first = shadowsOfFrame.firstNode((int) mfn);
    for (int node = first; node >= 0; node = shadowsOfFrame.following(node)) {
      Shadow shadow = pool.atSlot(shadowsOfFrame.entryAt(node));
      if (shadow == null || !kind.test(shadow.type())) {
        return false;
      }
    }
    return first >= 0;
  }

  /** Recomputes the entries of every shadow derived from guest bytes {@code offset..+size} of frame {@code mfn}. */
  void revalidateGuestWrite(@Mfn long mfn, int offset, int size) {
    if (!config.reverseMaps()) {
      engine.revalidateGuestWriteByScan(mfn, offset, size);
      return;
    }
    if (!inMachine(mfn) || pool.shadowsOfFrame().isEmpty((int) mfn)) {
      return;
    }
    int first = pool.shadowsOfFrame().firstNode((int) mfn);
    if (pool.shadowsOfFrame().following(first) < 0) { // one shadow, the common case: no copy to go through
      Shadow shadow = pool.atSlot(pool.shadowsOfFrame().entryAt(first));
      if (shadow != null) {
        engine.revalidateBytes(shadow, offset, size);
      }
      return;
    }
    for (long slot : ShadowPool.snapshot(pool.shadowsOfFrame(), (int) mfn)) {
      Shadow shadow = pool.atSlot(slot);
      if (shadow != null) { // else destroyed by an earlier revalidation
        engine.revalidateBytes(shadow, offset, size);
      }
    }
  }

  /**
   * {@code sh_remove_shadows}: drops every shadow of the guest frame at {@code mfn} by clearing
   * the entries that point at it and letting its pins and previous roots go. A top-level shadow
   * a vCPU runs on stays (its CR3 needs it).
   */
  void unshadow(@Mfn long mfn) {
    if (!config.reverseMaps()) {
      engine.unshadowByScan(mfn);
      return;
    }
    if (!inMachine(mfn)) {
      return;
    }
    for (long slot : ShadowPool.snapshot(pool.shadowsOfFrame(), (int) mfn)) {
      Shadow victim = pool.atSlot(slot);
      if (victim == null) {
        continue;
      }
      engine.unshadowing(victim); // pins and previous roots let it go
      // Back pointers: exactly the directory entries that point at the victim.
      for (long address : ShadowPool.snapshot(pool.parentEntries(), victim.poolSlot())) {
        if (!pool.holds(victim)) {
          break;
        }
        @Maddr long maddr = Addr.maddr(address);
        Shadow parent = pool.owner(Addr.mfnOf(maddr));
        if (parent == null) {
          throw new IllegalStateException("back pointer " + Addr.hex(address) + " is in no shadow");
        }
        int part = parent.partOf(Addr.mfnOf(maddr));
        engine.setEntry(parent, part, (int) Addr.pageOffset(maddr) / parent.type().entryBytes(), 0);
      }
    }
  }

  /**
   * Recomputes every present shadow leaf that maps {@code mfn}: run when the frame becomes a
   * shadowed page table (its mappings lose write access) and when it stops being one.
   */
  void revalidateMappingsOf(@Mfn long mfn) {
    rederiveLeavesOf(mfn, false);
  }

  /**
   * {@code sh_remove_all_mappings} after a P2M change: recomputes every shadow leaf that maps
   * {@code oldMfn}, the frame the guest frame left (each now follows the new entry).
   */
  void remapLeavesOf(@Mfn long oldMfn) {
    rederiveLeavesOf(oldMfn, true);
  }

  /**
   * Derives again every present shadow leaf that maps {@code mfn}, found through its reverse map
   * (without reverse maps, by searching every l1 shadow). {@code afterP2mChange}: the P2M repair,
   * where its seeded bugs skip a second shadow's leaves or a splinter's.
   */
  private void rederiveLeavesOf(@Mfn long mfn, boolean afterP2mChange) {
    if (!config.reverseMaps()) {
      engine.revalidateMappingsByScan(mfn);
      return;
    }
    // Iterate over a copy (recomputing a leaf moves its record), kept in one buffer: recomputing
    // leaves changes no page table, so this never runs inside itself.
    if (revalidatingMappings) {
      throw new IllegalStateException("revalidateMappingsOf re-entered for " + Addr.hex(mfn));
    }
    revalidatingMappings = true;
    try {
      int count = pool.leafMappings().count((int) mfn);
      leafSnapshot = pool.leafMappings().entries((int) mfn, leafSnapshot);
      @Nullable Shadow first = null;
      for (int i = 0; i < count; i++) {
        @Maddr long maddr = Addr.maddr(leafSnapshot[i]);
        Shadow shadow = pool.owner(Addr.mfnOf(maddr));
        if (shadow == null) {
          throw new IllegalStateException("reverse map names " + Addr.hex(maddr) + ", which is in no shadow");
        }
        first = first == null ? shadow : first;
        if (afterP2mChange && ((config.has(SeededBug.P2M_MAPPING_LEFT_IN_SECOND_SHADOW) && shadow != first)
            || (config.has(SeededBug.P2M_SPLINTER_MISSED) && shadow.type().role() == ShadowType.Role.SPLINTER))) {
          continue;
        }
        int part = shadow.partOf(Addr.mfnOf(maddr));
        int index = (int) Addr.pageOffset(maddr) / shadow.type().entryBytes();
        engine.setEntry(shadow, part, index, engine.deriveLeaf(shadow, part, index));
      }
    } finally {
      revalidatingMappings = false;
    }
  }

  /**
   * Guest frame {@code gfn} was moved off machine frame {@code oldMfn} (of type {@code oldType}) by
   * a P2M change: its shadows, filed under the old frame, are filed under the new one. Returns them
   * (the caller recomputes them: the new frame's contents may differ).
   */
  List<Shadow> refile(@Gfn long gfn, P2mType oldType, @Mfn long oldMfn) {
    List<Shadow> shadows = engine.shadowsOfGuestFrameByScan(gfn);
    if (!config.reverseMaps()) {
      return shadows;
    }
    @Mfn long newMfn = guestFrameOf(gfn);
    for (Shadow shadow : shadows) {
      if (oldType.isRam()) {
        pool.shadowsOfFrame().remove((int) oldMfn, shadow.poolSlot());
      }
      if (newMfn >= 0) {
        pool.shadowsOfFrame().add((int) newMfn, shadow.poolSlot());
      }
    }
    return shadows;
  }

  // ---------------------------------------------------------------------------------------------
  // Keeping the maps: the engine reports every shadow made and dropped, every entry written

  /** {@code shadow} was made: record it under the guest frame it derives from. */
  void created(Shadow shadow) {
    @Mfn long frame = guestFrameOf(shadow);
    if (config.reverseMaps() && frame >= 0) {
      pool.shadowsOfFrame().add((int) frame, shadow.poolSlot());
    }
  }

  /** {@code shadow}, whose directory entries are cleared already, is about to go. */
  void destroying(Shadow shadow) {
    if (!config.reverseMaps()) {
      return;
    }
    ShadowType type = shadow.type();
    if (!type.holdsPointers()) {
      for (int part = 0; part < shadow.parts(); part++) {
        for (int index = shadow.nextSetEntry(guest.machine(), part, 0); index >= 0;
            index = shadow.nextSetEntry(guest.machine(), part, index + 1)) {
          forgetLeaf(type, engine.readEntry(shadow, part, index), shadow.entryAddress(part, index));
        }
      }
    }
    @Mfn long frame = guestFrameOf(shadow);
    if (frame >= 0) {
      pool.shadowsOfFrame().remove((int) frame, shadow.poolSlot());
    }
  }

  /** The directory entry at {@code address} comes to point at {@code child}. */
  void pointerSet(Shadow child, @Maddr long address) {
    if (config.reverseMaps()) {
      pool.parentEntries().add(child.poolSlot(), address);
    }
  }

  /** The directory entry at {@code address} stops pointing at {@code child}. */
  void pointerCleared(Shadow child, @Maddr long address) {
    if (config.reverseMaps()) {
      pool.parentEntries().remove(child.poolSlot(), address);
    }
  }

  /** The leaf at {@code address} changes from {@code old} to {@code value}: move its record. */
  void leafChanged(ShadowType type, @Maddr long address, long old, long value) {
    if (!config.reverseMaps()) {
      return;
    }
    forgetLeaf(type, old, address);
    if (mapsMemory(type, value) && !config.has(SeededBug.RMAP_NOT_UPDATED)) {
      pool.leafMappings().add((int) type.frameOf(value), address);
    }
  }

  /** Drops the reverse-map record of the leaf {@code entry} at {@code address}, if it maps memory. */
  private void forgetLeaf(ShadowType type, long entry, @Maddr long address) {
    if (mapsMemory(type, entry)) {
      pool.leafMappings().remove((int) type.frameOf(entry), address);
    }
  }

  /** Whether a leaf of {@code type} maps a machine frame: present, not magic, inside the machine. */
  private boolean mapsMemory(ShadowType type, long entry) {
    return Shadow.isPresent(entry) && !(type.entryBytes() == 8 && MagicEntries.isMagic(entry))
        && type.frameOf(entry) < guest.machine().frameCount();
  }

  /** The machine frame of the guest table {@code shadow} derives from, or -1 (no RAM, or not a table's shadow). */
  private @Mfn long guestFrameOf(Shadow shadow) {
    return shadow.type().shadowsGuestFrame() ? guestFrameOf(shadow.gfn()) : Addr.mfn(-1);
  }

  /** The machine frame behind guest frame {@code gfn}, or -1 when it is not RAM. */
  private @Mfn long guestFrameOf(@Gfn long gfn) {
    return guest.p2m().type(gfn).isRam() ? guest.p2m().mfn(gfn) : Addr.mfn(-1);
  }

  private boolean inMachine(@Mfn long mfn) {
    return mfn >= 0 && mfn < guest.machine().frameCount();
  }
}
