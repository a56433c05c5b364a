package org.shadowref.check.emulation;

import java.util.Arrays;
import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.LinearMemory;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.AccessOutcome;
import org.shadowref.mmu.NativeMmu;
import org.shadowref.mmu.PageTableBuilder;

/**
 * A small guest for one instruction: {@link #PAGES} data pages from {@link #DATA} on, built with
 * {@link PageTableBuilder} (4-level for 64-bit code, 2-level for 32-bit code). Page 3 is
 * supervisor-only, page 4 read-only, page 5 not present, so user and supervisor accesses fault
 * in every way a store can. Memory is reached through the native MMU, as on bare hardware.
 *
 * <p>The data pages' words are held here, not in machine memory (whose frames behind them stay
 * zero and are never read): filling them one {@code MachineMemory.write} at a time was most of a
 * case's time. Page tables, which the MMU walks and sets A/D bits in, stay in machine memory.
 * Copies share each data page until either side writes it, as machine memory's copies do.
 *
 * <p>With a {@link PlainRandom} and a pool whose size is a power of two (one draw per word), a
 * data page's words are drawn only when the page is first read, written or compared: the
 * generator's state before the first word is kept, and page p starts 512 p draws later. The words
 * are the ones an eager fill would draw, and the generator passed in ends where that fill would
 * leave it. Most instructions touch one page and most fuzz cases none, and drawing all five pages
 * was most of what remained of a case's time.
 */
public final class EmulationGuest implements LinearMemory {
  public static final long DATA = 0x10000;
  public static final int PAGES = 6;
  private static final int FRAMES = 32;
  private static final long FIRST_DATA_GFN = 8;
  private static final long USER_RW = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long FIRST_DATA_MFN = FIRST_DATA_GFN + FRAMES / 2;
  private static final int MAPPED_PAGES = PAGES - 1;
  private static final int WORDS_PER_PAGE = (int) (Addr.PAGE_SIZE / 8);
  /** Per thread, by {@code CpuState.Mode} ordinal: see {@link #tables}. */
  private static final ThreadLocal<@Nullable EmulationGuest @Nullable []> TABLES = new ThreadLocal<>();

  private final MachineMemory machine;
  private final P2m p2m;
  private final GuestPhysicalMemory physical;
  private final NativeMmu mmu;
  private final ControlRegisters regs;
  private long nextGfn = 1;
  /**
   * The words of data page {@code p} (machine frame {@link #FIRST_DATA_MFN} + p), mapped pages
   * only; null until first touched (drawn then, from {@link #fillState}).
   */
  private final long[] @Nullable [] data;
  /** The words' pool (a copy: copies of the guest share it, and no one writes it). */
  private final long[] pool;
  /** The state of the generator before the first data word was drawn, for pages drawn on first touch. */
  private final long fillState;
  /** Per data page: the array is this guest's alone, so written in place (else cloned first). */
  private final boolean[] ownsData;

  /**
   * Builds the guest with data pages of words drawn from {@code pool} by {@code random} (now, or
   * on first touch: see above); {@code random} is left where drawing all of them would leave it.
   */
  public EmulationGuest(CpuState.Mode mode, long[] pool, Random random) {
    this(tables(mode), pool.clone(), lazyFillState(pool, random), new long[MAPPED_PAGES][]);
    if (!drawsOnFirstTouch(pool, random)) {
      for (int page = 0; page < MAPPED_PAGES; page++) {
        data[page] = draw(pool, random);
        ownsData[page] = true;
      }
    }
  }

  /** Whether pages can be drawn on first touch: a generator that can skip ahead, a pool of 2^k words. */
  private static boolean drawsOnFirstTouch(long[] pool, Random random) {
    return random instanceof PlainRandom && Integer.bitCount(pool.length) == 1;
  }

  /** Where the pages' draws start when drawn on first touch (the generator then skips past them), else 0. */
  private static long lazyFillState(long[] pool, Random random) {
    if (!(random instanceof PlainRandom plain) || !drawsOnFirstTouch(pool, random)) {
      return 0;
    }
    long state = plain.state();
    plain.skip((long) MAPPED_PAGES * WORDS_PER_PAGE);
    return state;
  }

  /** A guest on a copy of {@code original}'s memory (shared until written), with the data given. */
  private EmulationGuest(EmulationGuest original, long[] pool, long fillState, long[] @Nullable [] data) {
    machine = original.machine.copy();
    p2m = original.p2m.copy();
    physical = new GuestPhysicalMemory(machine, p2m);
    mmu = new NativeMmu(physical, CpuModel.DEFAULT);
    regs = original.regs;
    nextGfn = original.nextGfn;
    this.pool = pool;
    this.fillState = fillState;
    this.data = data;
    ownsData = new boolean[MAPPED_PAGES];
  }

  /**
   * This thread's guest of {@code mode} with the page tables built and no data, which new guests
   * copy: the copy shares its memory until written, and building memory, P2M and tables for every
   * guest was a third of a case's time once the data pages were drawn lazily. Per thread because
   * copying a memory updates the original's bookkeeping.
   */
  private static EmulationGuest tables(CpuState.Mode mode) {
    @Nullable EmulationGuest @Nullable [] byMode = TABLES.get();
    if (byMode == null) {
      byMode = new EmulationGuest[CpuState.Mode.values().length];
      TABLES.set(byMode);
    }
    EmulationGuest tables = byMode[mode.ordinal()];
    if (tables == null) {
      tables = new EmulationGuest(mode);
      byMode[mode.ordinal()] = tables;
    }
    return tables;
  }

  /** A guest with the page tables built and no data pages: what {@link #tables} keeps. */
  private EmulationGuest(CpuState.Mode mode) {
    pool = new long[1];
    fillState = 0;
    data = new long[MAPPED_PAGES][];
    ownsData = new boolean[MAPPED_PAGES];
    machine = new MachineMemory(FRAMES);
    // No model checker fingerprints these guests: their frames are compared word by word.
    machine.stopKeepingDigests();
    p2m = new P2m(FRAMES);
    for (int gfn = 0; gfn < FRAMES / 2; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn + FRAMES / 2), true);
    }
    physical = new GuestPhysicalMemory(machine, p2m);
    mmu = new NativeMmu(physical, CpuModel.DEFAULT);
    PagingMode paging = mode == CpuState.Mode.LONG_64 ? PagingMode.FOUR_LEVEL : PagingMode.TWO_LEVEL;
    PageTableBuilder tables = new PageTableBuilder(physical, paging, () -> Addr.gfn(nextGfn++));
    for (int page = 0; page < PAGES - 1; page++) {
      long flags = page == 3 ? EntryBits.P | EntryBits.RW : page == 4 ? EntryBits.P | EntryBits.US : USER_RW;
      tables.map(Addr.gva(DATA + page * Addr.PAGE_SIZE), Addr.gpaOf(Addr.gfn(FIRST_DATA_GFN + page), 0), 1, flags, USER_RW);
    }
    ControlRegisters base = ControlRegisters.forMode(paging, tables.root());
    regs = new ControlRegisters(base.cr0() | ControlRegisters.CR0_WP, base.cr3(), base.cr4(), base.efer(), base.rflags());
  }

  /** One data page's words, drawn in order from {@code random}. */
  private static long[] draw(long[] pool, Random random) {
    long[] words = new long[WORDS_PER_PAGE];
    for (int word = 0; word < WORDS_PER_PAGE; word++) {
      words[word] = pool[random.nextInt(pool.length)];
    }
    return words;
  }

  /** Data page {@code page}'s words, drawn now if not yet touched. */
  private long[] page(int page) {
    long[] words = data[page];
    if (words == null) {
      PlainRandom random = PlainRandom.at(fillState);
      random.skip((long) page * WORDS_PER_PAGE);
      words = draw(pool, random);
      data[page] = words;
      ownsData[page] = true;
    }
    return words;
  }

  private EmulationGuest(EmulationGuest original) {
    this(original, original.pool, original.fillState, original.data.clone());
    Arrays.fill(original.ownsData, false);
  }

  /** An identical guest on its own memory: what the second executor of a comparison runs on. */
  public EmulationGuest copy() {
    return new EmulationGuest(this);
  }

  @Override
  public AccessOutcome translate(@Gva long va, Access access) {
    return mmu.translate(regs, va, access);
  }

  @Override
  public long read(@Maddr long maddr, int size) {
    int page = dataPage(maddr);
    if (page < 0) {
      return machine.read(maddr, size);
    }
    checkAccess(maddr, size);
    long[] words = page(page);
    int word = (int) Addr.pageOffset(maddr) >>> 3;
    int shift = (int) (maddr & 7) * 8;
    long value = words[word] >>> shift;
    int bitsFromFirst = 64 - shift;
    if (bitsFromFirst < size * 8) {
      value |= words[word + 1] << bitsFromFirst;
    }
    return size == 8 ? value : value & ((1L << (size * 8)) - 1);
  }

  @Override
  public void write(@Maddr long maddr, int size, long value) {
    int page = dataPage(maddr);
    if (page < 0) {
      machine.write(maddr, size, value);
      return;
    }
    checkAccess(maddr, size);
    long[] words = page(page);
    if (!ownsData[page]) {
      words = words.clone();
      data[page] = words;
      ownsData[page] = true;
    }
    int word = (int) Addr.pageOffset(maddr) >>> 3;
    int shift = (int) (maddr & 7) * 8;
    long sizeMask = size == 8 ? -1L : (1L << (size * 8)) - 1;
    long bits = value & sizeMask;
    words[word] = (words[word] & ~(sizeMask << shift)) | (bits << shift);
    int bitsFromFirst = 64 - shift;
    if (bitsFromFirst < size * 8) {
      long highMask = sizeMask >>> bitsFromFirst;
      words[word + 1] = (words[word + 1] & ~highMask) | (bits >>> bitsFromFirst);
    }
  }

  /** The data page at machine address {@code maddr}, or -1 for a frame kept in machine memory. */
  private static int dataPage(long maddr) {
    long page = (maddr >>> Addr.PAGE_SHIFT) - FIRST_DATA_MFN;
    return page >= 0 && page < MAPPED_PAGES ? (int) page : -1;
  }

  /** What machine memory checks of an access: its size, and that it stays in one frame. */
  private static void checkAccess(long maddr, int size) {
    if (size != 1 && size != 2 && size != 4 && size != 8) {
      throw new IllegalArgumentException("access size must be 1, 2, 4 or 8, got " + size);
    }
    if (Addr.pageOffset(maddr) + size > Addr.PAGE_SIZE) {
      throw new IllegalArgumentException("machine access at " + Addr.hex(maddr) + " of " + size + " bytes crosses a frame");
    }
  }

  /** Whether machine frame {@code mfn} has the same contents here as in {@code other}. */
  private boolean frameEquals(int mfn, EmulationGuest other) {
    int page = dataPage(Addr.maddrOf(Addr.mfn(mfn), 0));
    if (page < 0) {
      return machine.frameEquals(Addr.mfn(mfn), other.machine, Addr.mfn(mfn));
    }
    // Untouched on both sides, from the same draws: the words are equal without drawing them.
    if (data[page] == null && other.data[page] == null && fillState == other.fillState && Arrays.equals(pool, other.pool)) {
      return true;
    }
    long[] mine = page(page);
    long[] theirs = other.page(page);
    return mine == theirs || Arrays.equals(mine, theirs);
  }

  /** The first machine frame whose contents differ from {@code other}'s, or -1. */
  public long firstDifferentFrame(EmulationGuest other) {
    for (int mfn = 0; mfn < FRAMES; mfn++) {
      if (!frameEquals(mfn, other)) {
        return mfn;
      }
    }
    return -1;
  }

  /** A copy of all of the guest's memory, to check later that nothing was written. */
  public EmulationGuest snapshot() {
    return copy();
  }

  /**
   * The first data frame (not page-table frame: translations legitimately set A/D bits) that
   * differs from {@code snapshot}, or -1.
   */
  public long firstChangedDataFrame(EmulationGuest snapshot) {
    for (int mfn = (int) FIRST_DATA_MFN; mfn < FIRST_DATA_MFN + PAGES; mfn++) {
      if (!frameEquals(mfn, snapshot)) {
        return mfn;
      }
    }
    return -1;
  }
}
