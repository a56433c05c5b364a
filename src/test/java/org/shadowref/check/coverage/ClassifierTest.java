package org.shadowref.check.coverage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.check.coverage.CoverageModel.CompareOutcome;
import org.shadowref.check.coverage.CoverageModel.Cr3Offset;
import org.shadowref.check.coverage.CoverageModel.EntrySize;
import org.shadowref.check.coverage.CoverageModel.Flavour;
import org.shadowref.check.coverage.CoverageModel.Form;
import org.shadowref.check.coverage.CoverageModel.IndexClass;
import org.shadowref.check.coverage.CoverageModel.Offset;
import org.shadowref.check.coverage.CoverageModel.ReservedClass;
import org.shadowref.check.coverage.CoverageModel.Role;
import org.shadowref.check.coverage.CoverageModel.Width;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.World;

/** The classifier puts hand-built operations into the cells a reader would put them in. */
class ClassifierTest {
  private static final long RW = EntryBits.P | EntryBits.RW;

  /** A guest in {@code mode} with the page at {@code va} mapping a data frame, and a classifier watching native. */
  private record Guest(World world, PageTableBuilder tables, Coverage coverage, Classifier classifier,
      NativePlatform platform) {
    static Guest of(PagingMode mode, long va, CpuModel cpu) {
      World world = new World(1, 32, 0, cpu);
      PageTableBuilder tables = world.pageTables(mode);
      long data = world.allocateFrame();
      tables.map(Addr.gva(va), Addr.gpaOf(Addr.gfn(data), 0), 1, RW, RW);
      world.startPaging(tables);
      Coverage coverage = new Coverage();
      Classifier classifier = new Classifier(coverage);
      NativePlatform platform = new NativePlatform(world.machine(), new SdmExecutor());
      classifier.started(List.of(platform));
      return new Guest(world, tables, coverage, classifier, platform);
    }

    /** Applies {@code op} on native with the classifier watching, as a run does. */
    OpResult step(GuestOp op) {
      classifier.before(op);
      OpResult result = platform.apply(op);
      classifier.after(op, result);
      return result;
    }
  }

  private static int store(Form form, EntrySize entries, int bytes, int offset) {
    return CoverageModel.STORE.cell(form.ordinal(), entries.ordinal(), Width.ordinalOf(bytes), offset);
  }

  @Test
  void aTwoByteStoreAtOffsetSevenOfAnEntryStraddlesTwoEntries() {
    assertTrue(CoverageModel.straddlesEntries(EntrySize.EIGHT, Width.W2, Offset.O7));
    assertFalse(CoverageModel.straddlesEntries(EntrySize.EIGHT, Width.W1, Offset.O7));
    assertTrue(CoverageModel.straddlesEntries(EntrySize.FOUR, Width.W2, Offset.O3));

    // The guest's l1 table mapped as data at 0x80_0000: a 2-byte store at its byte 7 is a store
    // into entry 0 of a page table at offset 7.
    Guest guest = Guest.of(PagingMode.FOUR_LEVEL, 0x40_0000, CpuModel.DEFAULT);
    long l1 = guest.tables().entryAddressFor(Addr.gva(0x40_0000), 1) >>> 12;
    guest.tables().map(Addr.gva(0x80_0000), Addr.gpaOf(Addr.gfn(l1), 0), 1, RW, RW);
    OpResult result = guest.step(new GuestOp.MemoryAccess(0, Addr.gva(0x80_0007), AccessKind.WRITE, false, 2, 0));
    assertEquals(OpResult.Status.OK, result.status());
    assertTrue(guest.coverage().reached(store(Form.ACCESS, EntrySize.EIGHT, 2, 7)));
    assertFalse(guest.coverage().reached(store(Form.ACCESS, EntrySize.FOUR, 2, 3)), "no 32-bit table is involved");
    assertTrue(guest.coverage().reached(CoverageModel.SHARING.cell(CoverageModel.Sharing.MAPPED_AS_DATA.ordinal())));
  }

  @Test
  void indexSixHundredOfA32BitL1IsInTheUpperHalf() {
    assertEquals(IndexClass.UPPER_HALF.ordinal(), Classifier.indexClass(600, 1024));
    assertEquals(IndexClass.MIDDLE.ordinal(), Classifier.indexClass(600 - 512, 1024));
    assertEquals(IndexClass.LAST.ordinal(), Classifier.indexClass(1023, 1024));
    assertEquals(IndexClass.LAST.ordinal(), Classifier.indexClass(511, 512));
    assertEquals(IndexClass.FIRST.ordinal(), Classifier.indexClass(0, 4));

    long va = 600L << 12; // l2 index 0, l1 index 600
    Guest guest = Guest.of(PagingMode.TWO_LEVEL, va, CpuModel.DEFAULT);
    guest.step(new GuestOp.MemoryAccess(0, Addr.gva(va), AccessKind.READ, false, 4, 0));
    Coverage coverage = guest.coverage();
    int flavour = Flavour.TWO_LEVEL.ordinal();
    assertTrue(coverage.reached(CoverageModel.INDEX.cell(flavour, Role.L1.ordinal(), IndexClass.UPPER_HALF.ordinal())));
    assertTrue(coverage.reached(CoverageModel.INDEX.cell(flavour, Role.L2.ordinal(), IndexClass.FIRST.ordinal())));
    assertFalse(coverage.reached(CoverageModel.INDEX.cell(flavour, Role.L1.ordinal(), IndexClass.MIDDLE.ordinal())));
  }

  @Test
  void aPaeCr3WithOffset0x20IsNotPageAligned() {
    Guest guest = Guest.of(PagingMode.PAE, 0x40_0000, CpuModel.DEFAULT);
    long root = guest.tables().root();
    guest.world().setRegs(ControlRegisters.forMode(PagingMode.PAE, root + 0x20));
    guest.step(new GuestOp.MemoryAccess(0, Addr.gva(0x40_0000), AccessKind.READ, false, 4, 0));
    assertTrue(guest.coverage().reached(CoverageModel.CR3.cell(Cr3Offset.INSIDE.ordinal())));
    assertFalse(guest.coverage().reached(CoverageModel.CR3.cell(Cr3Offset.PAGE_ALIGNED.ordinal())));
    // The PDPT entry the walk read is entry 0 of the PDPT at 0x20, not entry 4 of the frame.
    assertTrue(guest.coverage().reached(CoverageModel.INDEX.cell(Flavour.PAE.ordinal(), Role.PDPT.ordinal(),
        IndexClass.FIRST.ordinal())));
  }

  @Test
  void reservedBitsAreClassedByTheirPositionAgainstMaxPhysAddr() {
    assertArrayEquals(new ReservedClass[] {ReservedClass.MAXPHYADDR},
        Classifier.reservedClasses(PagingMode.FOUR_LEVEL, 1, false, 40, 40));
    assertArrayEquals(new ReservedClass[] {ReservedClass.MAXPHYADDR_PLUS_1},
        Classifier.reservedClasses(PagingMode.FOUR_LEVEL, 1, false, 37, 36));
    assertArrayEquals(new ReservedClass[] {ReservedClass.BIT_51},
        Classifier.reservedClasses(PagingMode.FOUR_LEVEL, 2, false, 51, 46));
    assertArrayEquals(new ReservedClass[] {ReservedClass.NX_WITHOUT_NXE},
        Classifier.reservedClasses(PagingMode.PAE, 1, false, 63, 40));
    assertArrayEquals(new ReservedClass[] {ReservedClass.PS_WHERE_RESERVED},
        Classifier.reservedClasses(PagingMode.FOUR_LEVEL, 4, false, 7, 40));
    assertArrayEquals(new ReservedClass[] {ReservedClass.PDPTE_RESERVED, ReservedClass.PS_WHERE_RESERVED},
        Classifier.reservedClasses(PagingMode.PAE, 3, false, 7, 40));
    assertArrayEquals(new ReservedClass[] {ReservedClass.BIT21_OF_4M_PDE, ReservedClass.MAXPHYADDR},
        Classifier.reservedClasses(PagingMode.TWO_LEVEL, 2, true, 21, 40));
    assertArrayEquals(new ReservedClass[] {ReservedClass.MAXPHYADDR},
        Classifier.reservedClasses(PagingMode.TWO_LEVEL, 2, true, 17, 36));
    assertArrayEquals(new ReservedClass[] {ReservedClass.LARGE_PAGE_LOW},
        Classifier.reservedClasses(PagingMode.FOUR_LEVEL, 2, true, 13, 40));

    // A walk that stops at an l1e with bit MAXPHYADDR set, under MAXPHYADDR 36.
    Guest guest = Guest.of(PagingMode.FOUR_LEVEL, 0x40_0000, new CpuModel(36));
    long l1e = guest.tables().readEntry(Addr.gva(0x40_0000), 1);
    guest.tables().setEntry(Addr.gva(0x40_0000), 1, l1e | (1L << 36));
    OpResult result = guest.step(new GuestOp.MemoryAccess(0, Addr.gva(0x40_0000), AccessKind.READ, false, 4, 0));
    assertEquals(OpResult.Status.GUEST_FAULT, result.status());
    assertTrue(guest.coverage().reached(CoverageModel.RESERVED.cell(Flavour.FOUR_LEVEL.ordinal(),
        ReservedClass.MAXPHYADDR.ordinal())));
    assertTrue(guest.coverage().reached(CoverageModel.MAXPHYADDR.cell(Flavour.FOUR_LEVEL.ordinal(),
        CoverageModel.MaxPhys.M36.ordinal(), CoverageModel.WalkSeen.RESERVED_FAULT.ordinal())));
  }

  @Test
  void cmpxchg8bOnAPageTableEntryIsClassedBySuccessAndByItsStore() {
    Guest guest = Guest.of(PagingMode.PAE, 0x40_0000, CpuModel.DEFAULT);
    long l1 = guest.tables().entryAddressFor(Addr.gva(0x40_0000), 1) >>> 12;
    guest.tables().map(Addr.gva(0x80_0000), Addr.gpaOf(Addr.gfn(l1), 0), 1, RW, RW);
    long entry = guest.tables().readEntry(Addr.gva(0x40_0000), 1);
    byte[] cmpxchg8b = {(byte) 0xF0, 0x0F, (byte) 0xC7, 0x0F}; // lock cmpxchg8b [edi]
    long[] gprs = new long[GuestOp.Execute.GPRS];
    gprs[CpuState.RDI] = 0x80_0000;
    gprs[CpuState.RAX] = entry & 0xFFFF_FFFFL; // EDX:EAX = the entry: the compare succeeds
    gprs[CpuState.RDX] = entry >>> 32;
    gprs[CpuState.RBX] = entry | EntryBits.A;
    OpResult result = guest.step(new GuestOp.Execute(0, cmpxchg8b, false, gprs));
    assertEquals(OpResult.Status.OK, result.status());
    int compare = CoverageModel.Compare.CMPXCHG8B.ordinal();
    assertTrue(guest.coverage().reached(CoverageModel.COMPARE.cell(compare, CompareOutcome.SUCCEEDS.ordinal())));
    assertFalse(guest.coverage().reached(CoverageModel.COMPARE.cell(compare, CompareOutcome.FAILS.ordinal())));
    assertTrue(guest.coverage().reached(store(Form.CMPXCHG8B, EntrySize.EIGHT, 8, 0)));

    gprs[CpuState.RAX] = 0x1234; // now the compare fails
    guest.step(new GuestOp.Execute(0, cmpxchg8b, false, gprs));
    assertTrue(guest.coverage().reached(CoverageModel.COMPARE.cell(compare, CompareOutcome.FAILS.ordinal())));
  }

  @Test
  void aBlockWritingAnEntryAsTwoHalvesIsClassedByItsShape() {
    Guest guest = Guest.of(PagingMode.PAE, 0x40_0000, CpuModel.DEFAULT);
    long l1 = guest.tables().entryAddressFor(Addr.gva(0x40_0000), 1) >>> 12;
    guest.tables().map(Addr.gva(0x80_0000), Addr.gpaOf(Addr.gfn(l1), 0), 1, RW, RW);
    long[] gprs = new long[GuestOp.Execute.GPRS];
    gprs[CpuState.RDI] = 0x80_0008;
    gprs[CpuState.RSI] = 0x70_0000; // unmapped
    int pae = CoverageModel.Halves.PAE.ordinal();
    Coverage coverage = guest.coverage();
    byte[] highThenLow = {(byte) 0x89, 0x57, 0x04, (byte) 0x89, 0x07}; // mov [edi+4], edx; mov [edi], eax
    assertEquals(OpResult.Status.OK, guest.step(new GuestOp.Execute(0, highThenLow, false, gprs)).status());
    assertTrue(coverage.reached(CoverageModel.HALVES.cell(pae, CoverageModel.HalvesShape.HIGH_FIRST.ordinal())));
    assertFalse(coverage.reached(CoverageModel.HALVES.cell(pae, CoverageModel.HalvesShape.LOW_FIRST.ordinal())));
    assertFalse(coverage.reached(CoverageModel.HALVES.cell(pae, CoverageModel.HalvesShape.INSTRUCTION_BETWEEN.ordinal())));

    byte[] stepBetween = {(byte) 0x89, 0x07, (byte) 0x83, (byte) 0xC7, 0x04, (byte) 0x89, 0x17}; // ...; add edi, 4; ...
    assertEquals(OpResult.Status.OK, guest.step(new GuestOp.Execute(0, stepBetween, false, gprs)).status());
    assertTrue(coverage.reached(CoverageModel.HALVES.cell(pae, CoverageModel.HalvesShape.LOW_FIRST.ordinal())));
    assertTrue(coverage.reached(CoverageModel.HALVES.cell(pae, CoverageModel.HalvesShape.INSTRUCTION_BETWEEN.ordinal())));
    assertFalse(coverage.reached(CoverageModel.HALVES.cell(pae, CoverageModel.HalvesShape.LATER_INSTRUCTION_STOPS.ordinal())));

    byte[] thenFault = {(byte) 0x89, 0x07, (byte) 0x89, 0x16}; // mov [edi], eax; mov [esi], edx
    assertEquals(OpResult.Status.GUEST_FAULT, guest.step(new GuestOp.Execute(0, thenFault, false, gprs)).status());
    assertTrue(coverage.reached(CoverageModel.HALVES.cell(pae, CoverageModel.HalvesShape.LATER_INSTRUCTION_STOPS.ordinal())));
    assertFalse(coverage.reached(CoverageModel.HALVES.cell(CoverageModel.Halves.NOT_PAE.ordinal(),
        CoverageModel.HalvesShape.HIGH_FIRST.ordinal())), "the guest is PAE");
  }

  @Test
  void repStosAcrossTheEndOfATableAndAMovAcrossTwoFramesAreSeen() {
    Guest guest = Guest.of(PagingMode.FOUR_LEVEL, 0x40_0000, CpuModel.DEFAULT);
    long l1 = guest.tables().entryAddressFor(Addr.gva(0x40_0000), 1) >>> 12;
    long next = guest.world().allocateFrame();
    guest.tables().map(Addr.gva(0x80_0000), Addr.gpaOf(Addr.gfn(l1), 0), 1, RW, RW);
    guest.tables().map(Addr.gva(0x80_1000), Addr.gpaOf(Addr.gfn(next), 0), 1, RW, RW);
    long[] gprs = new long[GuestOp.Execute.GPRS];
    gprs[CpuState.RDI] = 0x80_0FF8;
    gprs[CpuState.RCX] = 2;
    byte[] repStosq = {(byte) 0xF3, 0x48, (byte) 0xAB};
    assertEquals(OpResult.Status.OK, guest.step(new GuestOp.Execute(0, repStosq, false, gprs)).status());
    Coverage coverage = guest.coverage();
    assertTrue(coverage.reached(store(Form.STOS, EntrySize.EIGHT, 8, 0)), "the element in the table's last entry");
    assertFalse(coverage.reached(store(Form.STOS, EntrySize.EIGHT, 1, 0)), "elements are 8 bytes, not bytes");
    assertTrue(coverage.reached(CoverageModel.REP_STOS.cell(CoverageModel.RepStos.OUT_OF_TABLE.ordinal())));
    assertFalse(coverage.reached(CoverageModel.REP_STOS.cell(CoverageModel.RepStos.WITHIN_TABLE.ordinal())));

    gprs[CpuState.RDI] = 0x80_0FFE;
    byte[] movDword = {(byte) 0x89, 0x07}; // mov [rdi], eax: two bytes in the table, two in the next frame
    assertEquals(OpResult.Status.OK, guest.step(new GuestOp.Execute(0, movDword, false, gprs)).status());
    int mov = Form.MOV.ordinal();
    int four = Width.ordinalOf(4);
    assertTrue(coverage.reached(CoverageModel.STRADDLE.cell(mov, four, CoverageModel.CrossSide.LEAVES_TABLE.ordinal())));
    assertFalse(coverage.reached(CoverageModel.STRADDLE.cell(mov, four, CoverageModel.CrossSide.ENTERS_TABLE.ordinal())));
  }

  @Test
  void instructionFormsAreReadFromTheBytes() {
    assertEquals(8, InstructionForms.stosBytes(new byte[] {(byte) 0xF3, 0x48, (byte) 0xAB}, true));
    assertEquals(2, InstructionForms.stosBytes(new byte[] {0x66, (byte) 0xAB}, false));
    assertEquals(1, InstructionForms.stosBytes(new byte[] {(byte) 0xAA}, false));
    assertEquals(Form.MOV, InstructionForms.of(new byte[] {(byte) 0x89, 0x07}, false));
    assertEquals(Form.MOV, InstructionForms.of(new byte[] {0x48, (byte) 0x89, 0x07}, true));
    assertEquals(Form.CMPXCHG16B, InstructionForms.of(new byte[] {(byte) 0xF0, 0x48, 0x0F, (byte) 0xC7, 0x0F}, true));
    assertEquals(Form.CMPXCHG8B, InstructionForms.of(new byte[] {(byte) 0xF0, 0x0F, (byte) 0xC7, 0x0F}, true));
    assertEquals(Form.STOS, InstructionForms.of(new byte[] {(byte) 0xF3, (byte) 0xAB}, false));
    assertEquals(Form.BIT, InstructionForms.of(new byte[] {0x0F, (byte) 0xBA, 0x2F, 0x01}, false));
    assertEquals(Form.ALU, InstructionForms.of(new byte[] {(byte) 0xF0, 0x09, 0x07}, false));
    assertNull(InstructionForms.of(new byte[] {(byte) 0x90}, false));
    assertNull(InstructionForms.of(new byte[] {(byte) 0x66}, false));
  }

  @Test
  void aControlBitChangedWithoutCr3LoadIsClassed() {
    Guest guest = Guest.of(PagingMode.PAE, 0x40_0000, CpuModel.DEFAULT);
    ControlRegisters regs = guest.world().machine().vcpu(0).regs();
    guest.step(new GuestOp.SetControl(0, regs.cr0(), regs.cr4() | ControlRegisters.CR4_SMEP, regs.efer(), regs.rflags()));
    assertTrue(guest.coverage().reached(CoverageModel.CONTROL.cell(CoverageModel.ControlBit.SMEP.ordinal(),
        CoverageModel.Change.SET.ordinal())));
    assertFalse(guest.coverage().reached(CoverageModel.CONTROL.cell(CoverageModel.ControlBit.SMEP.ordinal(),
        CoverageModel.Change.CLEARED.ordinal())));
  }

  @Test
  void theModelDeclaresTheArchitecturallyImpossibleCellsUnreachable() {
    // Upper-half indices exist only in 32-bit tables; 16-byte stores only by cmpxchg16b, aligned.
    assertTrue(CoverageModel.indexUnreachable(Flavour.PAE, Role.L1, IndexClass.UPPER_HALF) != null);
    assertNull(CoverageModel.indexUnreachable(Flavour.TWO_LEVEL, Role.SPLINTER, IndexClass.UPPER_HALF));
    assertTrue(CoverageModel.storeUnreachable(Form.MOV, EntrySize.EIGHT, Width.W16, Offset.O0) != null);
    assertTrue(CoverageModel.storeUnreachable(Form.CMPXCHG16B, EntrySize.EIGHT, Width.W16, Offset.O4) != null);
    assertNull(CoverageModel.storeUnreachable(Form.CMPXCHG16B, EntrySize.EIGHT, Width.W16, Offset.O0));
    assertTrue(CoverageModel.reservedUnreachable(Flavour.TWO_LEVEL, ReservedClass.NX_WITHOUT_NXE) != null);
    // FrameType's ordinals are the P2M types', which the classifier relies on.
    assertEquals(org.shadowref.memory.P2mType.values().length, CoverageModel.FrameType.values().length);
    for (int i = 0; i < CoverageModel.FrameType.values().length; i++) {
      assertEquals(org.shadowref.memory.P2mType.values()[i].name(), CoverageModel.FrameType.values()[i].name());
    }
  }
}
