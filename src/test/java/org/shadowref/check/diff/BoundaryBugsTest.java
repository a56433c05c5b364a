package org.shadowref.check.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.SeededBug;

/**
 * The seeded bugs at boundaries (the reference engine's, the optimized engine's and the
 * emulator's added with them), each on a directed scenario that reaches its boundary: the clean
 * engine agrees with native and keeps every invariant at every step, the buggy one does not.
 * Whether the generated cases of the mutation table reach the same boundary is the table's
 * business (proofs/mutants.md); these show that each bug is visible once reached.
 */
class BoundaryBugsTest {
  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;
  private static final long WINDOW = 0x00C0_0000L;

  /** Runs {@code ops} on native beside the clean set, then beside the buggy one; the buggy failure. */
  private static Differential.Failure caught(PlatformSet clean, PlatformSet buggy, World world, GuestOp... ops) {
    org.shadowref.check.trace.GuestSnapshot start = org.shadowref.check.trace.GuestSnapshot.of(world.machine());
    assertNull(Differential.check(clean, start, List.of(ops)), "the clean engine");
    Differential.Failure failure = Differential.check(buggy, start, List.of(ops));
    assertNotNull(failure, "the seeded bug went unseen");
    return failure;
  }

  /** {@code bug} in the reference engine if it carries it, else in the optimized one. */
  private static Differential.Failure caught(SeededBug bug, World world, GuestOp... ops) {
    if (bug.inReference()) {
      return caught(StandardPlatforms.withReferenceBug(null), StandardPlatforms.withReferenceBug(bug), world, ops);
    }
    return caught(StandardPlatforms.withOptimizedBug(null), StandardPlatforms.withOptimizedBug(bug), world, ops);
  }

  private static Differential.Failure caught(X86Emulator.Bug bug, World world, GuestOp... ops) {
    return caught(StandardPlatforms.withReferenceBug(null), StandardPlatforms.withEmulatorBug(bug), world, ops);
  }

  private static GuestOp read(long va) {
    return access(va, AccessKind.READ, false, 8, 0);
  }

  private static GuestOp access(long va, AccessKind kind, boolean user, int size, long value) {
    return new GuestOp.MemoryAccess(0, Addr.gva(va), kind, user, size, value);
  }

  /** A supervisor store of {@code size} bytes (a plain access: the engine emulates it on a shadowed table). */
  private static GuestOp store(long va, int size, long value) {
    return access(va, AccessKind.WRITE, false, size, value);
  }

  private static GuestOp execute(byte[] code, long rdi, long rax, long rbx, long rcx) {
    long[] gprs = new long[16];
    gprs[CpuState.RDI] = rdi;
    gprs[CpuState.RAX] = rax;
    gprs[CpuState.RBX] = rbx;
    gprs[CpuState.RCX] = rcx;
    return new GuestOp.Execute(0, code, false, gprs);
  }

  /** A guest in {@code mode} with data pages at {@code vas} and a window onto the table that maps the first. */
  private static final class Guest {
    final World world;
    final PageTableBuilder tables;
    final long[] frames;

    Guest(PagingMode mode, int ramFrames, long leafFlags, long directoryFlags, long... vas) {
      world = new World(2, ramFrames, 48);
      tables = world.pageTables(mode);
      frames = new long[vas.length + 1];
      for (int i = 0; i <= vas.length; i++) {
        frames[i] = world.allocateFrame();
        // Distinct contents, so a wrong frame shows in the value a read returns.
        world.machine().physical().write(Addr.gpaOf(Addr.gfn(frames[i]), 0), 8, 0x1111_0000L + i);
      }
      for (int i = 0; i < vas.length; i++) {
        tables.map(Addr.gva(vas[i]), Addr.gpaOf(Addr.gfn(frames[i]), 0), 1, leafFlags, directoryFlags);
      }
      if (vas.length > 0) {
        windowOnto(WINDOW, tables.entryAddressFor(Addr.gva(vas[0]), 1) & ~0xFFFL);
      }
      world.startPaging(tables);
    }

    /** Maps the guest-physical page {@code table} at {@code va}, writable, A and D set. */
    void windowOnto(long va, long table) {
      tables.map(Addr.gva(va), Addr.gpa(table), 1, RWU | EntryBits.A | EntryBits.D, RWU);
    }

    /** The address of {@code va}'s entry at {@code level} through a window at {@code window} onto its table. */
    long entryVia(long window, long va, int level) {
      return window + (tables.entryAddressFor(Addr.gva(va), level) & 0xFFF);
    }

    /** A leaf for the spare frame (the last allocated): present, writable, user, A and D set. */
    long spareLeaf() {
      return Addr.gpaOf(Addr.gfn(frames[frames.length - 1]), 0) | RWU | EntryBits.A | EntryBits.D;
    }

    /** Sets vCPU 0's registers (vCPU 1 keeps the ones paging started with). */
    void setRegs(ControlRegisters regs) {
      world.setRegs(0, regs);
    }

    ControlRegisters regs() {
      return world.machine().vcpu(0).regs();
    }
  }

  // ---- the reference engine ----

  @Test
  void aGuestL1eInTheUpperHalfOfA32BitTableIsRevalidated() {
    long va = 0x0040_0000L + 600 * 0x1000L; // guest l1 index 600: the second PAE l1 of its 2-on-3 shadow
    Guest guest = new Guest(PagingMode.TWO_LEVEL, 32, RWU | EntryBits.A, RWU, va);
    caught(SeededBug.UPPER_HALF_NOT_REVALIDATED, guest.world,
        read(va), store(guest.entryVia(WINDOW, va, 1), 4, guest.spareLeaf()), read(va));
  }

  @Test
  void an8ByteStoreOverTwo32BitEntriesRevalidatesBoth() {
    long va = 0x0040_2000L; // l1 index 2; the next page is index 3, in the same 8 bytes
    Guest guest = new Guest(PagingMode.TWO_LEVEL, 32, RWU | EntryBits.A, RWU, va, va + 0x1000);
    long both = guest.spareLeaf() << 32 | guest.spareLeaf();
    caught(SeededBug.STRADDLE_REVALIDATES_FIRST_ENTRY, guest.world,
        read(va), read(va + 0x1000), store(guest.entryVia(WINDOW, va, 1), 8, both), read(va + 0x1000));
  }

  @Test
  void a32BitGuestEntryIsFoundByTheGuestsWidthNotTheShadows() {
    long va = 0x0040_2000L;
    Guest guest = new Guest(PagingMode.TWO_LEVEL, 32, RWU | EntryBits.A, RWU, va);
    caught(SeededBug.SHADOW_WIDTH_FOR_GUEST_ENTRIES, guest.world,
        read(va), store(guest.entryVia(WINDOW, va, 1), 4, guest.spareLeaf()), read(va));
  }

  @Test
  void aFourMegabytePageAboveFourGigabytesKeepsItsPse36Bits() {
    long va = 0x0080_0000L;
    Guest guest = new Guest(PagingMode.TWO_LEVEL, 32, RWU | EntryBits.A, RWU, 0x0040_0000L);
    guest.tables.map(Addr.gva(va), Addr.gpa(0), 2, RWU | EntryBits.A | EntryBits.D | EntryBits.PS, RWU);
    guest.windowOnto(WINDOW + 0x1000, guest.tables.entryAddressFor(Addr.gva(va), 2) & ~0xFFFL);
    guest.setRegs(guest.regs().withCr4(guest.regs().cr4() | ControlRegisters.CR4_PSE));
    long pde = guest.tables.readEntry(Addr.gva(va), 2);
    // The same page moved to 4 GiB: PDE bit 13 is physical-address bit 32 (PSE-36), a hole here.
    caught(SeededBug.PSE36_HIGH_BITS_DROPPED, guest.world,
        read(va), store(guest.entryVia(WINDOW + 0x1000, va, 2), 4, pde | 1L << 13), read(va));
  }

  @Test
  void theUpperHalfOfAFourMegabytePageMapsItsOwnFrames() {
    long va = 0x0080_0000L;
    Guest guest = new Guest(PagingMode.TWO_LEVEL, 1100, RWU | EntryBits.A, RWU, 0x0040_0000L);
    guest.tables.map(Addr.gva(va), Addr.gpa(0), 2, RWU | EntryBits.A | EntryBits.D | EntryBits.PS, RWU);
    guest.setRegs(guest.regs().withCr4(guest.regs().cr4() | ControlRegisters.CR4_PSE));
    guest.world.machine().physical().write(Addr.gpaOf(Addr.gfn(512), 0), 8, 0x5120_0000L);
    caught(SeededBug.SPLINTER_SECOND_HALF_MAPS_FIRST, guest.world, read(va + 0x20_0000L));
  }

  @Test
  void aPaeCr3SelectsItsPdptInsideTheFrame() {
    // Two PDPTs in one frame, as PAE kernels pack them: vCPU 1 runs on the first, mapping va to
    // one frame; vCPU 0 on the second (CR3 32 bytes in), mapping va to another.
    long va = 0x0040_0000L;
    Guest guest = new Guest(PagingMode.PAE, 32, RWU | EntryBits.A, RWU, va);
    PageTableBuilder second = guest.world.pageTables(PagingMode.PAE);
    second.map(Addr.gva(va), Addr.gpaOf(Addr.gfn(guest.frames[1]), 0), 1, RWU | EntryBits.A, RWU);
    long pdpt = guest.tables.root();
    for (int i = 0; i < 4; i++) {
      long entry = guest.world.machine().physical().read(Addr.gpa(second.root() + 8L * i), 8);
      guest.world.machine().physical().write(Addr.gpa(pdpt + 0x20 + 8L * i), 8, entry);
    }
    guest.world.setRegs(1, guest.regs());
    guest.setRegs(guest.regs().withCr3(pdpt + 0x20));
    caught(SeededBug.PAE_CR3_LOW_BITS_DROPPED, guest.world,
        new GuestOp.MemoryAccess(1, Addr.gva(va), AccessKind.READ, false, 8, 0), read(va));
  }

  @Test
  void executeDisableInADirectoryEntryForbidsFetches() {
    long va = 0x0040_0000L;
    Guest guest = new Guest(PagingMode.FOUR_LEVEL, 32, RWU | EntryBits.A, RWU | EntryBits.NX, va);
    guest.setRegs(guest.regs().withEfer(guest.regs().efer() | ControlRegisters.EFER_NXE));
    caught(SeededBug.DIRECTORY_DROPS_NX, guest.world, read(va), access(va, AccessKind.FETCH, false, 4, 0));
  }

  @Test
  void aReadSetsNoDirtyBit() {
    long va = 0x0040_0000L;
    Guest guest = new Guest(PagingMode.FOUR_LEVEL, 32, RWU, RWU, va);
    Differential.Failure failure = caught(SeededBug.WALK_SETS_DIRTY_ON_READ, guest.world, read(va));
    assertEquals(Differential.AGREES_WITH_NATIVE, failure.property(), failure.toString());
  }

  @Test
  void theHardwareKeepsTheGuestsSmap() {
    long va = 0x0040_0000L;
    Guest guest = new Guest(PagingMode.FOUR_LEVEL, 32, RWU | EntryBits.A, RWU, va);
    guest.setRegs(guest.regs().withCr4(guest.regs().cr4() | ControlRegisters.CR4_SMAP));
    caught(SeededBug.HARDWARE_DROPS_SMAP, guest.world, access(va, AccessKind.READ, true, 8, 0), read(va));
  }

  // ---- the optimized engine ----

  @Test
  void prefetchStopsAtTheLastEntryOfTheTable() {
    // Table A maps its last entry; B, the guest frame after A, maps its first. X and C are two
    // more l1 tables: X's shadow is made and dropped just before A's, so A's shadow takes X's
    // frame, just below C's shadow. Prefetch from A's entry 511 past the end reads B's first
    // entry and writes it into C's shadow, whose own first entry is empty.
    long last = 0x0040_0000L + 511 * 0x1000L;
    long next = 0x0060_0000L;
    long x = 0x0080_0000L;
    long c = 0x00A0_1000L;
    Guest guest = new Guest(PagingMode.FOUR_LEVEL, 32, RWU | EntryBits.A, RWU, last, next, x, c);
    guest.windowOnto(WINDOW + 0x1000, guest.tables.entryAddressFor(Addr.gva(x), 2) & ~0xFFFL);
    caught(SeededBug.PREFETCH_PAST_LAST_ENTRY, guest.world,
        read(x), read(c), store(guest.entryVia(WINDOW + 0x1000, x, 2), 8, 0), read(last));
  }

  @Test
  void aPrefetchedLeafForReadOnlyRamStaysReadOnly() {
    long va = 0x0040_0000L;
    Guest guest = new Guest(PagingMode.FOUR_LEVEL, 32, RWU | EntryBits.A | EntryBits.D, RWU, va, va + 0x1000);
    guest.world.makeReadOnly(Addr.gfn(guest.frames[1]));
    caught(SeededBug.PREFETCH_READ_ONLY_RAM_WRITABLE, guest.world, read(va), store(va + 0x1000, 8, 7));
  }

  @Test
  void aStoreToTheHighHalfOfA64BitEntryIsRevalidated() {
    long va = 0x0040_0000L;
    Guest guest = new Guest(PagingMode.FOUR_LEVEL, 32, RWU | EntryBits.A, RWU, va);
    guest.setRegs(guest.regs().withEfer(guest.regs().efer() | ControlRegisters.EFER_NXE));
    // Bits 63:32 of the entry: NX on.
    caught(SeededBug.STORE_INSIDE_ENTRY_NOT_REVALIDATED, guest.world,
        read(va), store(guest.entryVia(WINDOW, va, 1) + 4, 4, EntryBits.NX >>> 32), access(va, AccessKind.FETCH, false, 4, 0));
  }

  @Test
  void theShadowOfAnUpperHalfL1eGoesIntoTheSecondFrame() {
    long upper = 0x0040_0000L + 600 * 0x1000L; // guest l1 index 600: entry 88 of the second PAE l1
    long lower = 0x0040_0000L + 88 * 0x1000L; // guest l1 index 88: entry 88 of the first
    Guest guest = new Guest(PagingMode.TWO_LEVEL, 32, RWU | EntryBits.A, RWU, upper, lower);
    caught(SeededBug.UPPER_HALF_L1E_IN_FIRST_FRAME, guest.world, read(upper), read(lower));
  }

  // ---- the emulator ----

  private static final byte[] CMPXCHG_64 = {0x48, 0x0F, (byte) 0xB1, 0x1F}; // cmpxchg [rdi], rbx
  private static final byte[] REP_STOSQ = {(byte) 0xF3, 0x48, (byte) 0xAB}; // rep stosq
  private static final byte[] MOV_64 = {0x48, (byte) 0x89, 0x07}; // mov [rdi], rax

  @Test
  void aFailedCmpxchgLeavesTheEntry() {
    long va = 0x0040_0000L;
    Guest guest = new Guest(PagingMode.FOUR_LEVEL, 32, RWU | EntryBits.A, RWU, va);
    // RAX is not the entry: the comparison fails, the entry must stay.
    caught(X86Emulator.Bug.CMPXCHG_FAILURE_STORES_SOURCE, guest.world,
        read(va), execute(CMPXCHG_64, guest.entryVia(WINDOW, va, 1), 0, guest.spareLeaf(), 0), read(va));
  }

  @Test
  void repStosWritesEveryElement() {
    long va = 0x0040_0000L;
    Guest guest = new Guest(PagingMode.FOUR_LEVEL, 32, RWU | EntryBits.A, RWU, va, va + 0x1000);
    caught(X86Emulator.Bug.REP_STOS_DROPS_LAST_ELEMENT, guest.world,
        read(va), execute(REP_STOSQ, guest.entryVia(WINDOW, va, 1), guest.spareLeaf(), 0, 2), read(va + 0x1000));
  }

  @Test
  void aStoreCrossingIntoTheNextPageWritesBothParts() {
    long va = 0x0040_0000L;
    Guest guest = new Guest(PagingMode.FOUR_LEVEL, 32, RWU | EntryBits.A, RWU, va, WINDOW + 0x1000);
    // The last 4 bytes of the l1 table (a shadowed page table: emulated) and the first 4 of a data page.
    caught(X86Emulator.Bug.CROSSING_STORE_FIRST_PAGE_ONLY, guest.world,
        read(va), execute(MOV_64, WINDOW + 0xFFC, 0x2222_3333_0000_0000L, 0, 0), read(WINDOW + 0x1000));
  }
}
