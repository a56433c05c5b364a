package org.shadowref.mmu;

import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.arch.qual.Gva;
import org.shadowref.memory.GuestPhysicalMemory;

/**
 * Builds guest page tables in guest-physical memory, the way a guest kernel would: tables are
 * guest frames handed out by the caller's allocator, entries are written as raw values. Used by
 * tests, models, generators and scenario files; it checks nothing, so malformed tables can be
 * built on purpose.
 */
public final class PageTableBuilder {
  /** Hands out zeroed guest frames for new tables. */
  public interface FrameAllocator {
    @Gfn long allocate();
  }

  private final GuestPhysicalMemory memory;
  private final PagingMode mode;
  private final FrameAllocator allocator;
  private final @Gpa long root;

  public PageTableBuilder(GuestPhysicalMemory memory, PagingMode mode, FrameAllocator allocator) {
    this.memory = memory;
    this.mode = mode;
    this.allocator = allocator;
    this.root = Addr.gpaOf(allocator.allocate(), 0);
  }

  public PagingMode mode() {
    return mode;
  }

  /** The guest-physical address of the top-level table: the value for CR3. */
  public @Gpa long root() {
    return root;
  }

  /**
   * Maps the page containing {@code va} to the frame at {@code target} with a leaf at {@code
   * leafLevel} (1 for 4 KiB; 2 or 3 with PS set in {@code leafFlags} for large pages). Missing
   * tables on the way are allocated; their entries get {@code directoryFlags} (PAE PDPTEs get P
   * only, since other bits are reserved there). Existing directory entries are kept.
   */
  public void map(@Gva long va, @Gpa long target, int leafLevel, long leafFlags, long directoryFlags) {
    long table = root;
    for (int level = mode.levels(); level > leafLevel; level--) {
      long address = entryAddress(table, va, level);
      long entry = memory.read(Addr.gpa(address), mode.entryBytes());
      if ((entry & EntryBits.P) == 0) {
        @Gfn long gfn = allocator.allocate();
        long flags = mode == PagingMode.PAE && level == 3 ? EntryBits.P : directoryFlags;
        entry = Addr.gpaOf(gfn, 0) | flags;
        memory.write(Addr.gpa(address), mode.entryBytes(), entry);
      }
      table = tableOf(entry);
    }
    long frame = target & ~(mode.pageSize(leafLevel) - 1);
    if (mode == PagingMode.TWO_LEVEL && leafLevel == 2) {
      // PSE-36: a 4 MiB PDE carries physical-address bits 39:32 in its bits 20:13.
      frame = (frame & 0xFFC0_0000L) | ((frame >>> 32) & 0xFF) << 13;
    }
    write(entryAddress(table, va, leafLevel), frame | leafFlags);
  }

  /** Sets the entry for {@code va} at {@code level}, which must already be reachable. */
  public void setEntry(@Gva long va, int level, long value) {
    write(entryAddressFor(va, level), value);
  }

  /** The guest-physical address of the entry for {@code va} at {@code level}, or -1 if unreachable. */
  public long entryAddressFor(@Gva long va, int level) {
    long table = root;
    for (int current = mode.levels(); current > level; current--) {
      long entry = memory.read(Addr.gpa(entryAddress(table, va, current)), mode.entryBytes());
      if ((entry & EntryBits.P) == 0) {
        return -1;
      }
      table = tableOf(entry);
    }
    return entryAddress(table, va, level);
  }

  public long readEntry(@Gva long va, int level) {
    long address = entryAddressFor(va, level);
    if (address < 0) {
      throw new IllegalStateException("no table reaches level " + level + " for " + Addr.hex(va));
    }
    return memory.read(Addr.gpa(address), mode.entryBytes());
  }

  private void write(long address, long value) {
    if (address < 0) {
      throw new IllegalStateException("entry is not reachable");
    }
    memory.write(Addr.gpa(address), mode.entryBytes(), value);
  }

  private long entryAddress(long table, long va, int level) {
    return table + (long) mode.index(mode.truncate(va), level) * mode.entryBytes();
  }

  private long tableOf(long entry) {
    return mode == PagingMode.TWO_LEVEL ? entry & EntryBits.ADDR_MASK_32 : entry & EntryBits.ADDR_MASK_64;
  }
}
