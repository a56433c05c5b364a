package org.shadowref.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;

/** Directed walks: one per rule the walker implements, in each mode it applies to. */
class WalkerTest {
  private static final long RW_USER = EntryBits.P | EntryBits.RW | EntryBits.US;

  private final MachineMemory machine = new MachineMemory(64);
  private final P2m p2m = new P2m(64);
  private final GuestPhysicalMemory memory = new GuestPhysicalMemory(machine, p2m);
  private long nextGfn = 1;

  WalkerTest() {
    for (int gfn = 0; gfn < 48; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn + 8), true);
    }
  }

  private PageTableBuilder builder(PagingMode mode) {
    return new PageTableBuilder(memory, mode, () -> Addr.gfn(nextGfn++));
  }

  private WalkResult walk(PageTableBuilder tables, long va, Access access, ControlRegisters regs) {
    return Walker.walk(new GuestTables(memory), regs, CpuModel.DEFAULT, Addr.gva(va), access, true);
  }

  @Test
  void translatesA4KiBPageInEveryModeAndSetsAccessedAndDirty() {
    for (PagingMode mode : PagingMode.values()) {
      PageTableBuilder tables = builder(mode);
      long va = 0x0040_3123L;
      tables.map(Addr.gva(va), Addr.gpa(0x2_0000L), 1, RW_USER, RW_USER);
      ControlRegisters regs = ControlRegisters.forMode(mode, tables.root());
      WalkResult walk = walk(tables, va, Access.USER_WRITE, regs);
      assertTrue(walk.ok(), mode + ": " + walk);
      assertEquals(0x2_0123L, walk.translated(), mode.cliName());
      long leaf = tables.readEntry(Addr.gva(va), 1);
      assertEquals(EntryBits.A | EntryBits.D, leaf & (EntryBits.A | EntryBits.D), mode.cliName());
    }
  }

  @Test
  void notPresentLeafFaultsWithoutTouchingAccessedBits() {
    PageTableBuilder tables = builder(PagingMode.FOUR_LEVEL);
    long va = 0x7000_1000L;
    tables.map(Addr.gva(va), Addr.gpa(0x3000), 1, EntryBits.RW | EntryBits.US, RW_USER);
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, tables.root());
    WalkResult walk = walk(tables, va, Access.USER_WRITE, regs);
    assertEquals(FaultKind.NOT_PRESENT, walk.fault());
    assertEquals(PfErrorCode.W | PfErrorCode.U, walk.errorCode());
    assertEquals(0, tables.readEntry(Addr.gva(va), 2) & EntryBits.A, "no A bit on a faulting walk");
  }

  @Test
  void reservedBitAboveMaxPhysAddrFaultsWithRsvd() {
    PageTableBuilder tables = builder(PagingMode.PAE);
    long va = 0x1000;
    tables.map(Addr.gva(va), Addr.gpa(0x5000), 1, RW_USER, RW_USER);
    tables.setEntry(Addr.gva(va), 1, tables.readEntry(Addr.gva(va), 1) | (1L << 45));
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.PAE, tables.root());
    WalkResult walk = walk(tables, va, Access.SUPERVISOR_READ, regs);
    assertEquals(FaultKind.RESERVED_BIT, walk.fault());
    assertEquals(PfErrorCode.P | PfErrorCode.RSVD, walk.errorCode());
  }

  @Test
  void supervisorWriteToReadOnlyPageFollowsCr0Wp() {
    PageTableBuilder tables = builder(PagingMode.TWO_LEVEL);
    long va = 0x0080_0000L;
    tables.map(Addr.gva(va), Addr.gpa(0x6000), 1, EntryBits.P, RW_USER);
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.TWO_LEVEL, tables.root());
    assertTrue(walk(tables, va, Access.SUPERVISOR_WRITE, regs).ok(), "WP=0 lets the kernel write");
    WalkResult withWp = walk(tables, va, Access.SUPERVISOR_WRITE, regs.withCr0(regs.cr0() | ControlRegisters.CR0_WP));
    assertEquals(FaultKind.PROTECTION, withWp.fault());
    assertEquals(PfErrorCode.P | PfErrorCode.W, withWp.errorCode());
  }

  @Test
  void largePagesTranslateInEveryMode() {
    PageTableBuilder two = builder(PagingMode.TWO_LEVEL);
    two.map(Addr.gva(0x0040_0000L), Addr.gpa(0x0080_0000L), 2, RW_USER | EntryBits.PS, RW_USER);
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.TWO_LEVEL, two.root());
    WalkResult withoutPse = walk(two, 0x0041_2345L, Access.SUPERVISOR_READ, regs);
    assertFalse(withoutPse.isLargePage(), "PS is ignored without CR4.PSE");
    WalkResult withPse = walk(two, 0x0041_2345L, Access.SUPERVISOR_READ, regs.withCr4(ControlRegisters.CR4_PSE));
    assertEquals(0x0081_2345L, withPse.translated());

    PageTableBuilder four = builder(PagingMode.FOUR_LEVEL);
    four.map(Addr.gva(0x4000_0000L), Addr.gpa(0x8000_0000L), 3, RW_USER | EntryBits.PS, RW_USER);
    WalkResult gig = walk(four, 0x4123_4567L, Access.USER_READ, ControlRegisters.forMode(PagingMode.FOUR_LEVEL, four.root()));
    assertEquals(0x8123_4567L, gig.translated());
    assertEquals(1L << 30, gig.pageSize());
  }

  @Test
  void fetchFromNoExecutePageReportsInstructionFetchOnlyWithNxe() {
    PageTableBuilder tables = builder(PagingMode.FOUR_LEVEL);
    long va = 0x2000;
    tables.map(Addr.gva(va), Addr.gpa(0x7000), 1, RW_USER | EntryBits.NX, RW_USER);
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, tables.root());
    WalkResult noNxe = walk(tables, va, Access.USER_FETCH, regs);
    assertEquals(FaultKind.RESERVED_BIT, noNxe.fault(), "bit 63 is reserved without EFER.NXE");
    assertEquals(PfErrorCode.P | PfErrorCode.RSVD | PfErrorCode.U, noNxe.errorCode());
    WalkResult nxe = walk(tables, va, Access.USER_FETCH, regs.withEfer(regs.efer() | ControlRegisters.EFER_NXE));
    assertEquals(FaultKind.PROTECTION, nxe.fault());
    assertEquals(PfErrorCode.P | PfErrorCode.U | PfErrorCode.ID, nxe.errorCode());
  }

  @Test
  void tablesInFramesWithoutRamReadAsAllOnesAndFaultWithRsvd() {
    PageTableBuilder tables = builder(PagingMode.FOUR_LEVEL);
    long va = 0x3000;
    // Point the level-3 entry at a guest frame the P2M leaves absent.
    tables.map(Addr.gva(va), Addr.gpa(0x7000), 1, RW_USER, RW_USER);
    tables.setEntry(Addr.gva(va), 4, Addr.gpaOf(Addr.gfn(60), 0) | RW_USER);
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, tables.root());
    WalkResult walk = walk(tables, va, Access.SUPERVISOR_READ, regs);
    assertEquals(FaultKind.RESERVED_BIT, walk.fault());
    assertEquals(3, walk.stopLevel());
  }
}
