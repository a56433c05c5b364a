package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.NotOnlyInitialized;
import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.core.Derivation;
import org.shadowref.shadow.core.SeededBug;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowId;
import org.shadowref.shadow.core.ShadowType;

/**
 * Prefetch ({@code sh_prefetch}): a demand fault on an l1e also fills the next entries of its l1
 * shadow that are still empty, with exactly what a demand fault on each would make, so that a
 * guest touching its pages in order takes one fault per run instead of one per page. The guest's
 * A/D bits are not touched: a guest entry without A propagates to an empty entry. Switch:
 * {@link OptimizedConfig#prefetch}, the most entries to fill (0: off).
 */
final class Prefetch {
  @NotOnlyInitialized private final OptimizedEngine engine;
  private final OptimizedConfig config;
  private final GuestMachine guest;
  private final ShadowPool pool;
  private final Counters counters;
  /** Scratch for the derivations of splinters and tables without RAM. */
  private final Derivation.Leaf leaf = new Derivation.Leaf();

  Prefetch(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, GuestMachine guest, ShadowPool pool, Counters counters) {
    this.engine = engine;
    this.config = config;
    this.guest = guest;
    this.pool = pool;
    this.counters = counters;
  }

  /**
   * After a demand fault filled entry {@code index} of frame {@code part} of {@code l1}: fills the
   * following empty entries, up to the distance. A table's l1es all come from one guest frame,
   * found once; the entries are read straight from it.
   */
  void after(Shadow l1, int part, int index) {
    int bound = config.has(SeededBug.PREFETCH_PAST_LAST_ENTRY) ? l1.type().entriesPerFrame() : l1.type().entriesPerFrame() - 1;
    int last = Math.min(bound, index + config.prefetch());
    ShadowId key = l1;
    ShadowType type = key.type();
    PagingMode guestMode = type.mode().guestMode();
    int guestBytes = guestMode.entryBytes();
    int shadowBytes = type.entryBytes();
    @Mfn long shadowFrame = l1.mfn(part);
    long guestTable = type.role() == ShadowType.Role.TABLE ? guest.physical().machineAddress(Addr.gpaOf(key.gfn(), 0)) : -1;
    engine.events().prefetching(index, last, type.entriesPerFrame(), guestTable < 0);
    for (int next = index + 1; next <= last && pool.holds(l1); next++) {
      @Maddr long address = Addr.maddrOf(shadowFrame, (long) next * shadowBytes);
      if (guest.machine().read(address, shadowBytes) != 0) {
        continue;
      }
      Derivation.Source source;
      if (guestTable < 0) {
        source = engine.derivation().leafOf(key, part, next, leaf); // a splinter, the 1:1 map, or no RAM behind it
      } else {
        long guestEntry = guest.machine().read(
            Addr.maddr(guestTable + (long) type.guestIndex(part, next) * guestBytes), guestBytes);
        engine.events().prefetched(guestEntry);
        if (config.has(SeededBug.PREFETCH_SETS_ACCESSED)) {
          guestEntry |= EntryBits.A;
        }
        source = engine.derivation().tableLeaf(key, guestEntry, leaf);
      }
      long value = engine.leafValue(key, source, leaf, readOnlyRamType(), !config.has(SeededBug.PREFETCH_WRITABLE_PAGE_TABLE));
      if (config.has(SeededBug.PREFETCH_OFF_BY_ONE) && next < last) {
        engine.setEntry(l1, part, next + 1, value);
      } else if (value != 0) { // else the entry stays as it is: empty
        engine.setEntry(l1, part, next, value);
      }
      if (Shadow.isPresent(value)) {
        counters.prefetched++;
      }
    }
  }

  /** What a prefetched leaf takes read-only RAM for: itself, but RAM under the seeded bug. */
  private P2mType readOnlyRamType() {
    return config.has(SeededBug.PREFETCH_READ_ONLY_RAM_WRITABLE) ? P2mType.RAM : P2mType.RAM_RO;
  }
}
