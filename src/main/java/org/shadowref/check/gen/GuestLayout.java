package org.shadowref.check.gen;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.World;

/**
 * Builds one generated guest's memory: a P2M with every type (RAM, read-only RAM, MMIO, holes, RAM
 * moved to high frames under large pages), address spaces whose virtual addresses are composed
 * from table-index classes (first, second, middle, last, and the upper half of 32-bit tables)
 * rather than fixed slots, tables placed in any guest frame (shared between spaces, reused at
 * another level, linked into each other, self-mapped, in read-only RAM or MMIO), entries with
 * the swarm's flags and reserved bits at every level, large pages at zero, non-zero and
 * misaligned bases, windows that map tables as data, and CR3 values that are not page-aligned.
 * What it found worth touching (virtual pages, windows onto tables, roots) the operation
 * generator draws from.
 */
final class GuestLayout {
  static final int RAM_FRAMES = 56;
  static final int HYPERVISOR_FRAMES = 160;
  /**
   * Room in the P2M for RAM under a 2 MiB page at 2 MiB (gfn 512) and a 4 MiB page at 4 MiB (gfn
   * 1024, and the first page of its upper half, gfn 1536).
   */
  static final int GFN_COUNT = 1536 + 16;
  static final long HIGH_2M = 512;
  static final long HIGH_4M = 1024;

  final Random random;
  final Swarm swarm;
  final World world;
  final PagingMode mode;
  /** CR3 values of the main mode's address spaces (page-aligned ones first). */
  final List<Long> roots = new ArrayList<>();
  /** CR3 values of the second mode's spaces (empty without one). */
  final List<Long> secondRoots = new ArrayList<>();
  /** Page-aligned virtual addresses worth touching. */
  final List<Long> vas = new ArrayList<>();
  /** Those of them inside large pages (an instruction's operand there updates a large leaf's A and D). */
  final List<Long> largeVas = new ArrayList<>();
  /** Virtual pages that map a page-table frame, in runs of consecutive pages. */
  final List<Long> windows = new ArrayList<>();
  /** Guest frames an entry may point at: data of every P2M type, tables, high RAM, the top of the physical space. */
  final List<Long> targets = new ArrayList<>();
  /** Guest frames that hold tables, and the level each was found at. */
  final List<Long> tableFrames = new ArrayList<>();
  final List<Integer> tableLevels = new ArrayList<>();
  final long mmioGfn;
  final long holeGfn;
  /**
   * Guest frames of RAM at or above 4 GiB (gfn 2^20 times a value that fits PSE-36's eight bits
   * and MAXPHYADDR), held by the P2M sparsely: only an engine that keeps every address bit reaches
   * them, through a PSE-36 page, a 2 MiB or 1 GiB page at that base, or a 64-bit l1e.
   */
  final long wideGfn;
  /** The last frame below MAXPHYADDR, RAM: its address has every implemented bit set. */
  final long topGfn;

  private final boolean[] used = new boolean[RAM_FRAMES];
  private final List<Long> dataFrames = new ArrayList<>();
  /** Table frames found only under the second mode's roots (for a cross-format guest, its 4-byte tables). */
  private final List<Long> secondTables = new ArrayList<>();
  private final Set<Long> vaSet = new LinkedHashSet<>();
  private boolean rootNext;

  GuestLayout(Random random, Swarm swarm) {
    this.random = random;
    this.swarm = swarm;
    this.mode = swarm.mode;
    world = new World(2, RAM_FRAMES, HYPERVISOR_FRAMES, new CpuModel(swarm.maxPhysAddr), GFN_COUNT);
    mmioGfn = RAM_FRAMES;
    holeGfn = RAM_FRAMES + 1;
    wideGfn = (1L + random.nextInt((int) Math.min(0xFF, (1L << (swarm.maxPhysAddr - 32)) - 1))) << 20;
    topGfn = (1L << (swarm.maxPhysAddr - 12)) - 1;
    build();
  }

  /** Moves the RAM of frame {@code from} up to gfn {@code to}; {@code from} is used up. */
  private void moveRam(int from, long to) {
    world.relocate(Addr.gfn(from), Addr.gfn(to));
    used[from] = true;
  }

  private GuestPhysicalMemory physical() {
    return world.machine().physical();
  }

  private void build() {
    // RAM under large pages at non-zero bases: a few frames moved up to 2 MiB and 4 MiB.
    for (int i = 0; i < 3; i++) {
      moveRam(RAM_FRAMES - 1 - i, HIGH_2M + i);
      moveRam(RAM_FRAMES - 4 - i, HIGH_4M + i);
      targets.add(HIGH_2M + i);
      targets.add(HIGH_4M + i);
    }
    // Wide RAM at the first and the last 4 KiB of a 2 MiB and of a 4 MiB page at the wide base.
    long[] wide = {wideGfn, wideGfn + 511, wideGfn + 1023};
    for (int i = 0; i < wide.length; i++) {
      moveRam(RAM_FRAMES - 7 - i, wide[i]);
      targets.add(wide[i]);
    }
    moveRam(RAM_FRAMES - 10, topGfn);
    // The first page of the upper half of the 4 MiB page at 4 MiB: a 2-on-3 shadow splinters that
    // half into its own l1, so a splinter that maps the wrong half shows there.
    moveRam(RAM_FRAMES - 11, HIGH_4M + 512);
    targets.add(HIGH_4M + 512);
    int data = 3 + random.nextInt(5);
    for (int i = 0; i < data; i++) {
      long gfn = fresh();
      dataFrames.add(gfn);
      targets.add(gfn);
      // Recognisable contents, so a read through a wrong translation shows.
      physical().write(Addr.gpaOf(Addr.gfn(gfn), 0), 8, 0x5EED_0000_0000_0000L | gfn);
      physical().write(Addr.gpaOf(Addr.gfn(gfn), 4088), 8, 0xE7D0_0000_0000_0000L | gfn);
    }
    world.mapMmio(Addr.gfn(mmioGfn));
    targets.add(mmioGfn);
    targets.add(holeGfn);
    targets.add(topGfn);
    for (int space = 0; space < swarm.spaces; space++) {
      buildSpace(mode, roots, swarm.mappingsPerSpace);
    }
    PagingMode second = swarm.secondMode;
    if (second != null) {
      for (int space = 0; space < 1 + random.nextInt(2); space++) {
        buildSpace(second, secondRoots, 2 + random.nextInt(5));
      }
    }
    discoverTables();
    for (int i = 0; i < swarm.links; i++) {
      link();
    }
    discoverTables();
    mapWindows(mode, roots);
    if (second != null) {
      mapWindows(second, secondRoots);
    }
    oddRoots(mode, roots);
    if (second != null) {
      oddRoots(second, secondRoots);
    }
    for (long root : roots) {
      discoverVas(mode, root);
    }
    for (long root : secondRoots) {
      discoverVas(second == null ? mode : second, root);
    }
    retype();
    vas.addAll(vaSet);
    if (windows.isEmpty()) {
      windows.add(vas.isEmpty() ? 0x1000L : vas.get(0));
    }
    if (vas.isEmpty()) {
      vas.add(0x1000L);
    }
    startRegisters();
  }

  /** A random guest RAM frame not yet used; a used one (shared) once they run out. */
  private long fresh() {
    List<Long> free = new ArrayList<>();
    for (int gfn = 0; gfn < RAM_FRAMES; gfn++) {
      if (!used[gfn]) {
        free.add((long) gfn);
      }
    }
    if (free.isEmpty()) {
      return random.nextInt(RAM_FRAMES - 8);
    }
    long gfn = free.get(random.nextInt(free.size()));
    used[(int) gfn] = true;
    world.reserve(Addr.gfn(gfn));
    return gfn;
  }

  /** A frame for a new table: fresh, or (shared tables) a frame already in use as a table or as data. */
  private @Gfn long tableFrame() {
    if (!rootNext && random.nextDouble() < swarm.sharedTables) {
      List<Long> pool = random.nextBoolean() && !tableFrames.isEmpty() ? tableFrames : dataFrames;
      if (!pool.isEmpty()) {
        return Addr.gfn(pool.get(random.nextInt(pool.size())));
      }
    }
    rootNext = false;
    long gfn = fresh();
    tableFrames.add(gfn);
    tableLevels.add(0);
    return Addr.gfn(gfn);
  }

  private void buildSpace(PagingMode spaceMode, List<Long> rootList, int mappings) {
    rootNext = true;
    PageTableBuilder tables = new PageTableBuilder(physical(), spaceMode, this::tableFrame);
    rootList.add(tables.root());
    List<Long> mine = new ArrayList<>();
    for (int m = 0; m < mappings; m++) {
      int leafLevel = 1;
      if (random.nextDouble() < swarm.largePages) {
        leafLevel = spaceMode == PagingMode.FOUR_LEVEL && random.nextInt(3) == 0 ? 3 : 2;
      }
      long va = newVa(spaceMode, mine, leafLevel);
      mine.add(va);
      tables.map(Addr.gva(va), Addr.gpa(0), leafLevel, EntryBits.P, directoryFlags(spaceMode));
      if (tables.entryAddressFor(Addr.gva(va), leafLevel) < 0) {
        continue; // a shared table frame cut the path the builder just made
      }
      tables.setEntry(Addr.gva(va), leafLevel, leaf(spaceMode, leafLevel));
      for (int level = leafLevel + 1; level <= spaceMode.levels(); level++) {
        if (tables.entryAddressFor(Addr.gva(va), level) < 0) {
          break; // a table that is also on this path at a lower level just lost its present bit
        }
        if (random.nextDouble() < swarm.directoryFlags) {
          long entry = tables.readEntry(Addr.gva(va), level);
          long frame = entry & frameMask(spaceMode);
          long flags = spaceMode == PagingMode.PAE && level == 3 ? EntryBits.P
              : (swarm.flags(random, spaceMode.entryBytes() == 8) & ~EntryBits.PS) | (random.nextInt(6) == 0 ? 0 : EntryBits.P);
          tables.setEntry(Addr.gva(va), level, frame | flags);
        }
      }
      if (random.nextDouble() < swarm.reservedBits) {
        int level = leafLevel + random.nextInt(spaceMode.levels() - leafLevel + 1);
        if (tables.entryAddressFor(Addr.gva(va), level) >= 0) { // not cut off by a directory entry made not present
          long entry = tables.readEntry(Addr.gva(va), level);
          tables.setEntry(Addr.gva(va), level, entry | reservedBit(spaceMode, level));
        }
      }
      if (leafLevel > 1) {
        // A large page is touched anywhere inside, not only at its base (a splinter's every index class).
        long inside = va + insideLarge(spaceMode.pageSize(leafLevel));
        if (vaSet.add(inside)) {
          largeVas.add(inside);
        }
      } else {
        vaSet.add(va);
      }
    }
    for (int d = 0; d < swarm.devices; d++) {
      // A device page as a kernel maps it: every right, and usually A and D set already (the
      // entries a shadow engine's MMIO fast path serves), else both still clear.
      long va = newVa(spaceMode, mine, 1);
      long all = EntryBits.P | EntryBits.RW | EntryBits.US;
      // Directory entries with fewer rights half the time: the leaf's marker alone must not let
      // through what a directory forbids.
      tables.map(Addr.gva(va), Addr.gpaOf(Addr.gfn(mmioGfn), 0), 1,
          random.nextInt(3) == 0 ? all : all | EntryBits.A | EntryBits.D,
          random.nextBoolean() ? all : directoryFlags(spaceMode));
      if (tables.entryAddressFor(Addr.gva(va), 1) >= 0) {
        mine.add(va);
        vaSet.add(va);
      }
    }
  }

  /** Directory flags for tables the builder creates: usually full rights, sometimes less, sometimes odd bits. */
  private long directoryFlags(PagingMode spaceMode) {
    long flags = EntryBits.P | EntryBits.RW | EntryBits.US;
    flags &= random.nextInt(6) == 0 ? ~EntryBits.RW : -1L;
    flags &= random.nextInt(6) == 0 ? ~EntryBits.US : -1L;
    flags |= random.nextInt(3) == 0 ? EntryBits.A : 0;
    if (spaceMode != PagingMode.TWO_LEVEL && random.nextInt(5) == 0) {
      flags |= EntryBits.NX;
    }
    return flags;
  }

  /**
   * A virtual address whose index at every level is first, second, middle, second-to-last, last
   * or (32-bit tables) in the upper half; often sharing the upper levels of an earlier one, so
   * several mappings land in one table.
   */
  private long newVa(PagingMode spaceMode, List<Long> earlier, int leafLevel) {
    int levels = spaceMode.levels();
    long base = earlier.isEmpty() ? 0 : earlier.get(random.nextInt(earlier.size()));
    int shared = earlier.isEmpty() || random.nextDouble() >= swarm.cluster ? levels + 1 : 2 + random.nextInt(levels - 1);
    long va = 0;
    for (int level = levels; level >= leafLevel; level--) {
      int index = level >= shared ? spaceMode.index(base, level) : indexClass(spaceMode.entriesPerTable(level), spaceMode, level);
      va |= (long) index << spaceMode.indexShift(level);
    }
    return canonical(spaceMode, va);
  }

  private static long canonical(PagingMode spaceMode, long va) {
    return spaceMode == PagingMode.FOUR_LEVEL ? (va << 16) >> 16 : va & 0xFFFF_FFFFL;
  }

  /** An index in a table of {@code entries}: its ends, its middle, and (32-bit tables) its upper half. */
  int indexClass(int entries, PagingMode spaceMode, int level) {
    if (spaceMode == PagingMode.PAE && level == 3) {
      return random.nextInt(4);
    }
    switch (random.nextInt(7)) {
      case 0:
        return 0;
      case 1:
        return entries - 1;
      case 2:
        return 1;
      case 3:
        return entries - 2;
      case 4:
        return entries > 512 ? 512 + random.nextInt(entries - 512) : random.nextInt(entries);
      default:
        return random.nextInt(entries);
    }
  }

  long frameMask(PagingMode spaceMode) {
    return spaceMode == PagingMode.TWO_LEVEL ? EntryBits.ADDR_MASK_32 : EntryBits.ADDR_MASK_64;
  }

  /** A target frame for an entry: data of any type, a table, high RAM, or beyond the P2M. */
  long target() {
    if (random.nextInt(4) == 0 && !tableFrames.isEmpty()) {
      return tableFrames.get(random.nextInt(tableFrames.size()));
    }
    return targets.get(random.nextInt(targets.size()));
  }

  /** A leaf entry at {@code level} (PS set above level 1). */
  private long leaf(PagingMode spaceMode, int level) {
    boolean eight = spaceMode.entryBytes() == 8;
    long flags = swarm.flags(random, eight);
    if (level == 1) {
      long frame = target() << 12;
      return (frame & frameMask(spaceMode)) | (flags & ~EntryBits.PAT_LARGE) ;
    }
    flags |= EntryBits.PS;
    long size = spaceMode.pageSize(level);
    long base;
    if (spaceMode == PagingMode.TWO_LEVEL) {
      base = random.nextBoolean() ? 0 : HIGH_4M << 12;
      if (random.nextBoolean()) {
        // PSE-36 high address bits: mostly those of the wide RAM, else any (reserved above MAXPHYADDR).
        long high = random.nextInt(4) != 0 ? wideGfn >>> 20 : 1L + random.nextInt(0xFF);
        base |= high << 13;
      }
    } else {
      long[] bases = {0, level == 2 ? HIGH_2M << 12 : size, wideGfn << 12};
      base = bases[random.nextInt(bases.length)];
    }
    if (random.nextDouble() < swarm.misalignedLarge) {
      int low = spaceMode == PagingMode.TWO_LEVEL ? 21 : 13 + random.nextInt(Long.numberOfTrailingZeros(size) - 13);
      base |= 1L << low; // a reserved low bit of a large page's base
    }
    return base | (flags & ~(size - 1) & ~frameMask(spaceMode)) | (flags & 0xFFF) | (flags & EntryBits.PAT_LARGE);
  }

  /** A reserved bit for an entry at {@code level}: MAXPHYADDR, MAXPHYADDR+1, 51, between, or a mode's own. */
  long reservedBit(PagingMode spaceMode, int level) {
    int maxPhys = swarm.maxPhysAddr;
    if (spaceMode == PagingMode.TWO_LEVEL) {
      // 32-bit entries have reserved bits only in 4 MiB pages: bit 21, and PSE-36 bits above MAXPHYADDR.
      return level == 2 ? EntryBits.PS | (1L << (maxPhys >= 40 ? 21 : 13 + maxPhys - 32 + random.nextInt(40 - maxPhys))) : EntryBits.PAT_4K;
    }
    switch (random.nextInt(7)) {
      case 0:
        return spaceMode == PagingMode.PAE && level == 3 ? 1L << (1 + random.nextInt(2)) : EntryBits.NX;
      case 1:
        return spaceMode == PagingMode.FOUR_LEVEL && level == 4 ? EntryBits.PS
            : spaceMode == PagingMode.PAE && level == 3 ? 1L << (5 + random.nextInt(4)) : 1L << (52 + random.nextInt(11));
      default:
        if (maxPhys >= 52) {
          return 1L << (52 + random.nextInt(11)); // no reserved address bits: ignored or protection-key bits
        }
        int[] classes = {maxPhys, Math.min(51, maxPhys + 1), 51, maxPhys + random.nextInt(52 - maxPhys)};
        return 1L << classes[random.nextInt(classes.length)];
    }
  }

  /** Records every table reachable from the roots (frame and level) by following present non-leaf entries. */
  private void discoverTables() {
    tableFrames.clear();
    tableLevels.clear();
    for (long root : roots) {
      discover(mode, Walker.rootTable(mode, root, swarm.maxPhysAddr) >>> 12, mode.levels(), 0);
    }
    int main = tableFrames.size();
    PagingMode second = swarm.secondMode;
    for (long root : secondRoots) {
      if (second != null) {
        discover(second, Walker.rootTable(second, root, swarm.maxPhysAddr) >>> 12, second.levels(), 0);
      }
    }
    secondTables.clear();
    secondTables.addAll(tableFrames.subList(main, tableFrames.size()));
  }

  private void discover(PagingMode spaceMode, long gfn, int level, int depth) {
    for (int i = 0; i < tableFrames.size(); i++) {
      if (tableFrames.get(i) == gfn && tableLevels.get(i) == level) {
        return;
      }
    }
    if (!world.machine().p2m().type(Addr.gfn(gfn)).isRam() || depth > 8) {
      return;
    }
    tableFrames.add(gfn);
    tableLevels.add(level);
    if (level == 1) {
      return;
    }
    int entries = spaceMode == PagingMode.PAE && level == 3 ? 4 : spaceMode.entriesPerTable(level);
    for (int index = 0; index < entries; index++) {
      long entry = physical().read(Addr.gpaOf(Addr.gfn(gfn), (long) index * spaceMode.entryBytes()), spaceMode.entryBytes());
      boolean leaf = level < spaceMode.levels() && (entry & EntryBits.PS) != 0 && spaceMode.canMapLargePage(level, true);
      if ((entry & EntryBits.P) != 0 && !leaf) {
        discover(spaceMode, (entry & frameMask(spaceMode) & ((1L << swarm.maxPhysAddr) - 1)) >>> 12, level - 1, depth + 1);
      }
    }
  }

  /** Points an entry of one table at another table (or at itself): a self-map or a cross-level link. */
  private void link() {
    if (tableFrames.isEmpty()) {
      return;
    }
    int from = random.nextInt(tableFrames.size());
    int to = random.nextInt(tableFrames.size());
    if (random.nextBoolean()) {
      from = 0; // a recursive map in the first root is the common case
      to = 0;
    }
    long table = tableFrames.get(from);
    int level = tableLevels.get(from);
    PagingMode spaceMode = mode;
    int entries = spaceMode == PagingMode.PAE && level == 3 ? 4 : spaceMode.entriesPerTable(Math.max(1, level));
    int index = indexClass(entries, spaceMode, level);
    long flags = level == 3 && spaceMode == PagingMode.PAE ? EntryBits.P : directoryFlags(spaceMode) | (random.nextBoolean() ? EntryBits.A : 0);
    long value = (tableFrames.get(to) << 12) | flags;
    physical().write(Addr.gpaOf(Addr.gfn(table), (long) index * spaceMode.entryBytes()), spaceMode.entryBytes(), value);
  }

  /** Maps table frames as data at consecutive pages of each space, so stores can reach tables (and cross from one to the next). */
  private void mapWindows(PagingMode spaceMode, List<Long> rootList) {
    if (tableFrames.isEmpty()) {
      return;
    }
    long firstSpaceVa = -1;
    for (long root : rootList) {
      if (random.nextInt(3) == 0 && !rootList.get(0).equals(root)) {
        continue;
      }
      PageTableBuilder tables = builderAt(spaceMode, root);
      int count = swarm.windows;
      long va;
      if (firstSpaceVa >= 0 && random.nextBoolean()) {
        va = firstSpaceVa; // the same window address in another space, onto other tables (a kernel's fixed window)
      } else {
        va = newVa(spaceMode, List.of(), 1);
        int l1 = spaceMode.index(va, 1);
        int room = spaceMode.entriesPerTable(1) - count;
        if (l1 > room) {
          va -= (long) (l1 - room) << 12;
        }
      }
      if (firstSpaceVa < 0) {
        firstSpaceVa = va;
      }
      for (int i = 0; i < count; i++) {
        long gfn = swarm.quiet ? leafTable(i)
            : swarm.crossFormat && spaceMode == mode && !secondTables.isEmpty() && random.nextBoolean()
            ? secondTables.get(random.nextInt(secondTables.size())) // a long-mode window on a 2-level table
            : tableFrames.get(random.nextInt(tableFrames.size()));
        long flags = EntryBits.P | EntryBits.RW | EntryBits.A | EntryBits.D;
        flags |= random.nextInt(3) == 0 ? EntryBits.US : 0;
        flags &= random.nextInt(8) == 0 ? ~EntryBits.RW : -1L;
        flags &= random.nextInt(4) == 0 ? ~(EntryBits.A | EntryBits.D) : -1L;
        long page = va + i * 0x1000L;
        tables.map(Addr.gva(page), Addr.gpaOf(Addr.gfn(gfn), 0), 1, flags, EntryBits.P | EntryBits.RW | EntryBits.US);
        windows.add(page);
        vaSet.add(page);
      }
    }
  }

  /**
   * The {@code n}th distinct l1 table (wrapping), for a quiet guest's windows: stores to several
   * l1 tables at once are what fill every out-of-sync slot.
   */
  private long leafTable(int n) {
    List<Long> l1 = new ArrayList<>();
    for (int i = 0; i < tableFrames.size(); i++) {
      if (tableLevels.get(i) == 1 && !l1.contains(tableFrames.get(i))) {
        l1.add(tableFrames.get(i));
      }
    }
    return l1.isEmpty() ? tableFrames.get(random.nextInt(tableFrames.size())) : l1.get(n % l1.size());
  }

  /** A builder over an existing space (its root frame); new tables come from the same allocator. */
  private PageTableBuilder builderAt(PagingMode spaceMode, long root) {
    long rootGfn = Walker.rootTable(spaceMode, root, swarm.maxPhysAddr) >>> 12;
    rootConsumed = false;
    return new PageTableBuilder(physical(), spaceMode, () -> Addr.gfn(consumeRoot(rootGfn)));
  }

  private boolean rootConsumed;

  /** The builder's constructor asks for its root first: hand back the existing one, then tables. */
  private long consumeRoot(long rootGfn) {
    if (!rootConsumed) {
      rootConsumed = true;
      return rootGfn;
    }
    return tableFrame();
  }

  /**
   * More CR3 values: PAE PDPTs copied to a 32-byte offset (first, second, middle or last slot of
   * a frame), and for the other modes PWT, PCD and ignored low bits.
   */
  private void oddRoots(PagingMode spaceMode, List<Long> rootList) {
    if (!swarm.oddCr3) {
      return;
    }
    int count = rootList.size();
    for (int r = 0; r < count; r++) {
      long root = rootList.get(r);
      if (spaceMode == PagingMode.PAE) {
        int[] slots = {1, 2, 64, 126, 127, 1 + random.nextInt(126)};
        long offset = 32L * slots[random.nextInt(slots.length)];
        long frame = random.nextBoolean() ? root : Addr.gpaOf(Addr.gfn(fresh()), 0);
        for (int i = 0; i < 4; i++) {
          long entry = physical().read(Addr.gpa(root + 8L * i), 8);
          physical().write(Addr.gpa(frame + offset + 8L * i), 8, entry);
        }
        rootList.add(frame + offset);
      } else {
        long low = random.nextBoolean() ? (random.nextInt(4) << 3) : random.nextInt(0x1000) & ~0x7L;
        rootList.add(root | low);
      }
    }
  }

  /** Random descents from a root, preferring present entries: the pages they end on (tables included) are worth touching. */
  private void discoverVas(PagingMode spaceMode, long root) {
    for (int walk = 0; walk < 2 * swarm.mappingsPerSpace + 4; walk++) {
      long table = Walker.rootTable(spaceMode, root, swarm.maxPhysAddr);
      long va = 0;
      boolean inLarge = false;
      for (int level = spaceMode.levels(); level >= 1; level--) {
        int entries = spaceMode == PagingMode.PAE && level == 3 ? 4 : spaceMode.entriesPerTable(level);
        int index = presentIndex(spaceMode, table, entries);
        va |= (long) index << spaceMode.indexShift(level);
        long entry = physical().read(Addr.gpa(table + (long) index * spaceMode.entryBytes()), spaceMode.entryBytes());
        boolean large = level > 1 && level < spaceMode.levels() && (entry & EntryBits.PS) != 0;
        if (large && (entry & EntryBits.P) != 0) {
          va |= insideLarge(spaceMode.pageSize(level));
          inLarge = true;
        }
        if ((entry & EntryBits.P) == 0 || large) {
          break;
        }
        table = entry & frameMask(spaceMode) & ((1L << swarm.maxPhysAddr) - 1);
        if (level == 1 && tableFrames.contains(table >>> 12)) {
          windows.add(canonical(spaceMode, va));
        }
      }
      if (vaSet.size() < 64 && vaSet.add(canonical(spaceMode, va)) && inLarge) {
        largeVas.add(canonical(spaceMode, va));
      }
    }
  }

  /** Whether guest frame {@code gfn} is a table that only the second mode's roots reach (a cross-format guest's 2-level tables). */
  boolean secondModeTable(long gfn) {
    return secondTables.contains(gfn);
  }

  /**
   * The offset of a page inside a large page of {@code size} bytes: its first, the first of its
   * second half (a 2-on-3 shadow splinters a 4 MiB page into two l1 shadows), its last, or any.
   */
  private long insideLarge(long size) {
    long[] inside = {0, size / 2, size - Addr.PAGE_SIZE, random.nextLong() & (size - 1) & ~0xFFFL};
    return inside[random.nextInt(inside.length)];
  }

  /** A present entry's index in the table (three times in four, when it has one), else an index class. */
  private int presentIndex(PagingMode spaceMode, long table, int entries) {
    if (random.nextInt(4) != 0 && physical().machineAddress(Addr.gpa(table)) >= 0) {
      List<Integer> present = new ArrayList<>();
      for (int index = 0; index < entries; index++) {
        if ((physical().read(Addr.gpa(table + (long) index * spaceMode.entryBytes()), spaceMode.entryBytes()) & EntryBits.P) != 0) {
          present.add(index);
        }
      }
      if (!present.isEmpty()) {
        return present.get(random.nextInt(present.size()));
      }
    }
    return indexClass(entries, spaceMode, spaceMode == PagingMode.PAE && entries == 4 ? 3 : 1);
  }

  /**
   * Changes P2M types last (contents stay): table frames to read-only RAM, now and then one to
   * MMIO; data frames to read-only RAM.
   */
  private void retype() {
    for (int i = 0; i < tableFrames.size(); i++) {
      long gfn = tableFrames.get(i);
      if (random.nextDouble() < swarm.readOnlyTables && world.machine().p2m().type(Addr.gfn(gfn)) == P2mType.RAM) {
        if (random.nextInt(8) == 0) {
          world.machine().p2m().mapMmio(Addr.gfn(gfn));
        } else {
          world.makeReadOnly(Addr.gfn(gfn));
        }
      }
    }
    for (long gfn : dataFrames) {
      if (random.nextInt(5) == 0 && world.machine().p2m().type(Addr.gfn(gfn)) == P2mType.RAM) {
        world.makeReadOnly(Addr.gfn(gfn));
      }
    }
    if (random.nextDouble() < swarm.oddTables * 4 && !roots.isEmpty()) {
      // A directory entry that points at MMIO, a hole or read-only data instead of a table.
      long root = Walker.rootTable(mode, roots.get(0), swarm.maxPhysAddr);
      int index = indexClass(mode == PagingMode.PAE ? 4 : mode.entriesPerTable(mode.levels()), mode, mode.levels());
      long[] odd = {mmioGfn, holeGfn, dataFrames.get(0)};
      long flags = mode == PagingMode.PAE ? EntryBits.P : EntryBits.P | EntryBits.RW | EntryBits.US;
      if (world.machine().p2m().type(Addr.gfnOf(Addr.gpa(root))) == P2mType.RAM) {
        physical().write(Addr.gpa(root + (long) index * mode.entryBytes()), mode.entryBytes(),
            (odd[random.nextInt(odd.length)] << 12) | flags);
      }
    }
  }

  /** Each vCPU starts on a root of the main mode with its own control bits; now and then vCPU 1 starts elsewhere. */
  private void startRegisters() {
    for (int vcpu = 0; vcpu < 2; vcpu++) {
      PagingMode start = mode;
      List<Long> rootList = roots;
      PagingMode second = swarm.secondMode;
      if (vcpu == 1 && second != null && (swarm.crossFormat || random.nextInt(3) == 0)) {
        start = second;
        rootList = secondRoots;
      }
      // A quiet guest's vCPU 0 starts where its windows' l1 tables are: under the first root.
      long root = swarm.quiet && vcpu == 0 ? rootList.get(0) : rootList.get(random.nextInt(rootList.size()));
      ControlRegisters regs = ControlRegisters.forMode(start, root);
      regs = regs.withCr0(regs.cr0() | (random.nextInt(4) == 0 ? 0 : ControlRegisters.CR0_WP));
      boolean pse = start == PagingMode.TWO_LEVEL ? random.nextInt(4) != 0 : random.nextBoolean();
      regs = regs.withCr4(regs.cr4() | (pse ? ControlRegisters.CR4_PSE : 0)
          | (random.nextInt(4) == 0 ? ControlRegisters.CR4_SMEP : 0) | (random.nextInt(4) == 0 ? ControlRegisters.CR4_SMAP : 0));
      if (random.nextInt(start == PagingMode.TWO_LEVEL ? 8 : 2) == 0) {
        regs = regs.withEfer(regs.efer() | ControlRegisters.EFER_NXE);
      }
      if (random.nextInt(4) == 0) {
        regs = regs.withRflags(regs.rflags() | ControlRegisters.RFLAGS_AC);
      }
      if (vcpu == 1 && random.nextInt(8) == 0) {
        regs = ControlRegisters.pagingOff().withCr3(regs.cr3());
      }
      world.setRegs(vcpu, regs);
    }
  }

  /** The roots of {@code spaceMode}: the main mode's, the second mode's, or (neither) all of them. */
  List<Long> rootsFor(@Nullable PagingMode spaceMode) {
    if (spaceMode == mode) {
      return roots;
    }
    if (spaceMode != null && spaceMode == swarm.secondMode) {
      return secondRoots;
    }
    List<Long> all = new ArrayList<>(roots);
    all.addAll(secondRoots);
    return all;
  }
}
