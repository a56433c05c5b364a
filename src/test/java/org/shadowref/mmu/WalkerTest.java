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

  @Test
  void paePdpteHasNoAccessedBitAndReservesTheRightsBits() {
    PageTableBuilder tables = builder(PagingMode.PAE);
    long va = 0x4020_3000L;
    tables.map(Addr.gva(va), Addr.gpa(0x9000), 1, RW_USER, RW_USER);
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.PAE, tables.root());
    long pdpte = tables.readEntry(Addr.gva(va), 3);
    assertTrue(walk(tables, va, Access.USER_READ, regs).ok());
    assertEquals(pdpte, tables.readEntry(Addr.gva(va), 3), "a PAE PDPTE is never marked accessed");
    assertEquals(EntryBits.A, tables.readEntry(Addr.gva(va), 2) & EntryBits.A);

    tables.setEntry(Addr.gva(va), 3, pdpte | EntryBits.RW);
    WalkResult walk = walk(tables, va, Access.USER_READ, regs);
    assertEquals(FaultKind.RESERVED_BIT, walk.fault(), "R/W is reserved in a PAE PDPTE");
    assertEquals(3, walk.stopLevel());
    assertEquals(PfErrorCode.P | PfErrorCode.RSVD | PfErrorCode.U, walk.errorCode());
  }

  @Test
  void aPaeWalkWritesNoAccessedOrDirtyBitIntoThePdptEvenWhereItIsAlsoThePageTable() {
    long pdpt = 0x1000;
    long pd = 0x2000;
    memory.write(Addr.gpa(pdpt), 8, pd | EntryBits.P); // PDPTE 0, and PTE 0: linear 0 maps the PD
    memory.write(Addr.gpa(pd), 8, pdpt | RW_USER); // the PDPT frame is the page table of 0..2 MiB
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.PAE, pdpt);
    for (int i = 0; i < 2; i++) {
      WalkResult walk = Walker.walk(new GuestTables(memory), regs, CpuModel.DEFAULT, Addr.gva(0x10),
          Access.SUPERVISOR_WRITE, true);
      assertTrue(walk.ok(), "walk " + i + ": " + walk);
      assertEquals(pd | 0x10, walk.translated());
    }
    assertEquals(pd | EntryBits.P, memory.read(Addr.gpa(pdpt), 8), "A and D (bits 5, 6) are reserved in a PDPTE");
    assertEquals(pdpt | RW_USER | EntryBits.A, memory.read(Addr.gpa(pd), 8), "the PDE outside the PDPT is marked");
  }

  @Test
  void pml4eWithPageSizeSetIsAReservedBitFault() {
    PageTableBuilder tables = builder(PagingMode.FOUR_LEVEL);
    long va = 0x0000_0080_0000_1000L;
    tables.map(Addr.gva(va), Addr.gpa(0xA000), 1, RW_USER, RW_USER);
    tables.setEntry(Addr.gva(va), 4, tables.readEntry(Addr.gva(va), 4) | EntryBits.PS);
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, tables.root());
    WalkResult walk = walk(tables, va, Access.SUPERVISOR_WRITE, regs);
    assertEquals(FaultKind.RESERVED_BIT, walk.fault());
    assertEquals(4, walk.stopLevel());
    assertEquals(PfErrorCode.P | PfErrorCode.RSVD | PfErrorCode.W, walk.errorCode());
  }

  @Test
  void reservedAddressBitsFollowMaxPhysAddr() {
    PageTableBuilder tables = builder(PagingMode.FOUR_LEVEL);
    long va = 0x5000;
    tables.map(Addr.gva(va), Addr.gpa(0xB000), 1, RW_USER, RW_USER);
    tables.setEntry(Addr.gva(va), 1, tables.readEntry(Addr.gva(va), 1) | (1L << 38));
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, tables.root());
    GuestTables guest = new GuestTables(memory);
    WalkResult wide = Walker.walk(guest, regs, new CpuModel(40), Addr.gva(va), Access.SUPERVISOR_READ, false);
    assertEquals((1L << 38) | 0xB000L, wide.translated(), "bit 38 is an address bit with MAXPHYADDR 40");
    WalkResult narrow = Walker.walk(guest, regs, new CpuModel(36), Addr.gva(va), Access.SUPERVISOR_READ, false);
    assertEquals(FaultKind.RESERVED_BIT, narrow.fault(), "bit 38 is reserved with MAXPHYADDR 36");
  }

  @Test
  void pse36ReservedBitsFollowMaxPhysAddr() {
    PageTableBuilder tables = builder(PagingMode.TWO_LEVEL);
    long va = 0x0040_1234L;
    // A 4 MiB page at 0x20_0040_0000: address bits 39:32 = 0x20 go to entry bits 20:13 (bit 18).
    tables.map(Addr.gva(va), Addr.gpa(0x0040_0000L), 2, RW_USER | EntryBits.PS | (0x20L << 13), RW_USER);
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.TWO_LEVEL, tables.root()).withCr4(ControlRegisters.CR4_PSE);
    GuestTables guest = new GuestTables(memory);
    WalkResult wide = Walker.walk(guest, regs, new CpuModel(40), Addr.gva(va), Access.SUPERVISOR_READ, false);
    assertEquals(0x20_0040_1234L, wide.translated());
    WalkResult narrow = Walker.walk(guest, regs, new CpuModel(36), Addr.gva(va), Access.SUPERVISOR_READ, false);
    assertEquals(FaultKind.RESERVED_BIT, narrow.fault(), "bits 20:17 are reserved with MAXPHYADDR 36");
  }

  @Test
  void aRecursiveSlotMapsTheTopTableAsAPage() {
    PageTableBuilder tables = builder(PagingMode.FOUR_LEVEL);
    long slot = 0x1FE;
    long va = (slot << 39) | (slot << 30) | (slot << 21) | (slot << 12) | 0x0AB8;
    long root = tables.root();
    memory.write(Addr.gpa(root + slot * 8), 8, root | RW_USER);
    ControlRegisters regs = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, root);
    WalkResult walk = walk(tables, va, Access.SUPERVISOR_WRITE, regs);
    assertTrue(walk.ok(), walk.toString());
    assertEquals(root | 0x0AB8, walk.translated(), "every level reads the same self-referencing entry");
    assertEquals(root | RW_USER | EntryBits.A | EntryBits.D, memory.read(Addr.gpa(root + slot * 8), 8));
  }
}
