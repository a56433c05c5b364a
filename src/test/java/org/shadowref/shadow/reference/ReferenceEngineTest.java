package org.shadowref.shadow.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.check.invariants.InvariantRegistry;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.emulate.InstructionExecutor;
import org.shadowref.emulate.Stores;
import org.shadowref.mmu.PageTableBuilder;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.NativePlatform;
import org.shadowref.shadow.OpResult;
import org.shadowref.shadow.World;
import org.shadowref.shadow.core.FaultResolution;
import org.shadowref.shadow.core.HardwareStep;
import org.shadowref.shadow.core.Shadow;
import org.shadowref.shadow.core.ShadowType;

/** Directed scenarios, one per handler case, each checked against the native machine. */
class ReferenceEngineTest {
  private static final long P = EntryBits.P;
  private static final long RW = EntryBits.RW;
  private static final long US = EntryBits.US;
  private static final long RWU = P | RW | US;
  private static final long DATA_VA = 0x0040_2000L;

  /** A world with one 4 KiB data page at {@link #DATA_VA} mapped with {@code leafFlags}. */
  private static final class Setup {
    final World world = new World(2, 48, 48);
    final PageTableBuilder tables;
    final long dataGfn;

    Setup(PagingMode mode, long leafFlags) {
      tables = world.pageTables(mode);
      dataGfn = world.allocateFrame();
      tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(dataGfn), 0), 1, leafFlags, RWU);
      world.startPaging(tables);
    }

    Twin twin(boolean twoOnTwo) {
      return new Twin(world, ReferenceEngine.Config.DEFAULT.withTwoOnTwo(twoOnTwo));
    }
  }

  /** Every shadow mode: 2-on-2, 2-on-3, 3-on-3, 4-on-4. */
  private static final Object[][] MODES = {
    {PagingMode.TWO_LEVEL, true}, {PagingMode.TWO_LEVEL, false}, {PagingMode.PAE, false}, {PagingMode.FOUR_LEVEL, false}
  };

  @Test
  void readsWritesAndFetchesMatchNativeInEveryShadowMode() {
    for (Object[] mode : MODES) {
      Setup setup = new Setup((PagingMode) mode[0], RWU);
      Twin twin = setup.twin((Boolean) mode[1]);
      assertEquals(OpResult.Status.OK, twin.read(DATA_VA + 8, false).status());
      assertEquals(OpResult.Status.OK, twin.write(DATA_VA + 8, 0x55AA, true).status());
      assertEquals(0x55AA, twin.read(DATA_VA + 8, true).value());
      assertEquals(OpResult.Status.OK, twin.fetch(DATA_VA + 0x100, false).status());
      assertEquals(OpResult.Status.GUEST_FAULT, twin.read(0x7000_0000L, false).status());
    }
  }

  @Test
  void theDirtyBitIsSetByTheFirstWriteAfterAReadAsOnHardware() {
    for (Object[] mode : MODES) {
      Setup setup = new Setup((PagingMode) mode[0], RWU);
      Twin twin = setup.twin((Boolean) mode[1]);
      twin.read(DATA_VA, false);
      long leaf = setup.tables.readEntry(Addr.gva(DATA_VA), 1);
      assertEquals(0, leaf & EntryBits.D, "the world itself is untouched");
      long leafAddress = setup.tables.entryAddressFor(Addr.gva(DATA_VA), 1);
      int size = ((PagingMode) mode[0]).entryBytes();
      assertEquals(EntryBits.A, twin.engine.guest().physical().read(Addr.gpa(leafAddress), size) & (EntryBits.A | EntryBits.D));
      twin.write(DATA_VA, 1, false); // Twin also compares every guest frame with native's
      assertEquals(EntryBits.A | EntryBits.D,
          twin.engine.guest().physical().read(Addr.gpa(leafAddress), size) & (EntryBits.A | EntryBits.D));
    }
  }

  @Test
  void guestOwnFaultsAreInjectedWithTheNativeErrorCode() {
    for (Object[] mode : MODES) {
      PagingMode paging = (PagingMode) mode[0];
      // user access to a supervisor page
      Setup supervisor = new Setup(paging, P | RW);
      OpResult user = supervisor.twin((Boolean) mode[1]).read(DATA_VA, true);
      assertEquals(PfErrorCode.P | PfErrorCode.U, user.errorCode());
      // write to a read-only page with CR0.WP set
      Setup readOnly = new Setup(paging, P | US);
      Twin twin = readOnly.twin((Boolean) mode[1]);
      assertEquals(PfErrorCode.P | PfErrorCode.W, twin.write(DATA_VA, 1, false).errorCode());
      assertEquals(PfErrorCode.P | PfErrorCode.W | PfErrorCode.U, twin.write(DATA_VA, 1, true).errorCode());
      // not present at the leaf
      Setup absent = new Setup(paging, RW | US);
      assertEquals(PfErrorCode.W, absent.twin((Boolean) mode[1]).write(DATA_VA, 1, false).errorCode());
    }
  }

  @Test
  void supervisorWritesToReadOnlyPagesWithWpClearAreEmulatedNotLooped() {
    for (Object[] mode : MODES) {
      Setup setup = new Setup((PagingMode) mode[0], P | US);
      ControlRegisters regs = setup.world.machine().vcpu(0).regs();
      setup.world.setRegs(regs.withCr0(regs.cr0() & ~ControlRegisters.CR0_WP));
      Twin twin = setup.twin((Boolean) mode[1]);
      assertEquals(OpResult.Status.OK, twin.write(DATA_VA, 0x77, false).status());
      assertEquals(0x77, twin.read(DATA_VA, false).value());
      assertEquals(OpResult.Status.OK, twin.write(DATA_VA, 0x78, false).status(), "again, shadows built");
    }
  }

  @Test
  void noExecuteSmepSmapAndReservedBitsFaultAsNative() {
    for (PagingMode paging : new PagingMode[] {PagingMode.PAE, PagingMode.FOUR_LEVEL}) {
      Setup setup = new Setup(paging, RWU | EntryBits.NX);
      ControlRegisters regs = setup.world.machine().vcpu(0).regs();
      setup.world.setRegs(regs.withEfer(regs.efer() | ControlRegisters.EFER_NXE)
          .withCr4(regs.cr4() | ControlRegisters.CR4_SMEP | ControlRegisters.CR4_SMAP));
      Twin twin = setup.twin(false);
      assertEquals(PfErrorCode.P | PfErrorCode.ID, twin.fetch(DATA_VA, false).errorCode());
      assertEquals(PfErrorCode.P | PfErrorCode.ID | PfErrorCode.U, twin.fetch(DATA_VA, true).errorCode());
      assertEquals(PfErrorCode.P, twin.read(DATA_VA, false).errorCode(), "SMAP");
      assertEquals(OpResult.Status.OK, twin.read(DATA_VA, true).status());
      assertEquals(PfErrorCode.P | PfErrorCode.W, twin.write(DATA_VA, 1, false).errorCode(), "SMAP write");
    }
    Setup reserved = new Setup(PagingMode.PAE, RWU | EntryBits.NX); // NX with NXE clear is reserved
    assertEquals(PfErrorCode.P | PfErrorCode.RSVD, reserved.twin(false).read(DATA_VA, false).errorCode());
  }

  @Test
  void mmioReadOnlyRamAndAbsentFramesExitAsNative() {
    for (Object[] mode : MODES) {
      Setup setup = new Setup((PagingMode) mode[0], RWU);
      long ramEnd = setup.world.ramFrames();
      setup.world.mapMmio(Addr.gfn(ramEnd));
      setup.tables.map(Addr.gva(0x0080_0000L), Addr.gpaOf(Addr.gfn(ramEnd), 0), 1, RWU, RWU);
      setup.tables.map(Addr.gva(0x0080_1000L), Addr.gpaOf(Addr.gfn(ramEnd + 1), 0), 1, RWU, RWU);
      long rom = setup.world.allocateFrame();
      setup.world.makeReadOnly(Addr.gfn(rom));
      setup.tables.map(Addr.gva(0x0080_2000L), Addr.gpaOf(Addr.gfn(rom), 0), 1, RWU, RWU);
      Twin twin = setup.twin((Boolean) mode[1]);
      assertEquals(OpResult.Status.MMIO, twin.read(0x0080_0010L, false).status());
      assertEquals(OpResult.Status.UNMAPPED_GFN, twin.write(0x0080_1010L, 5, false).status());
      assertEquals(OpResult.Status.OK, twin.read(0x0080_2000L, true).status());
      assertEquals(OpResult.Status.MMIO, twin.write(0x0080_2000L, 5, true).status());
    }
  }

  @Test
  void superpagesAreSplinteredIntoFl1Shadows() {
    Object[][] cases = {
      {PagingMode.TWO_LEVEL, true, 2}, {PagingMode.TWO_LEVEL, false, 2}, {PagingMode.PAE, false, 2},
      {PagingMode.FOUR_LEVEL, false, 2}, {PagingMode.FOUR_LEVEL, false, 3}
    };
    for (Object[] c : cases) {
      PagingMode paging = (PagingMode) c[0];
      int level = (Integer) c[2];
      World world = new World(1, 48, 48);
      PageTableBuilder tables = world.pageTables(paging);
      long va = level == 3 ? 0x4000_0000L : 0x0080_0000L;
      tables.map(Addr.gva(va), Addr.gpa(0), level, RWU | EntryBits.PS, RWU);
      ControlRegisters regs = ControlRegisters.forMode(paging, tables.root());
      world.setRegs(regs.withCr4(regs.cr4() | ControlRegisters.CR4_PSE));
      Twin twin = new Twin(world, ReferenceEngine.Config.DEFAULT.withTwoOnTwo((Boolean) c[1]));
      // Guest frame 5 (within the large page, not a page table's... any frame) at offset 5 pages.
      assertEquals(OpResult.Status.OK, twin.read(va + 0x5008, false).status(), paging + " L" + level);
      assertEquals(OpResult.Status.OK, twin.write(va + 0x6008, 9, true).status());
      assertEquals(OpResult.Status.UNMAPPED_GFN, twin.read(va + paging.pageSize(level) - 0x1000, false).status(), "beyond the P2M");
      boolean splintered = false;
      for (Shadow shadow : twin.engine.state().shadows()) {
        splintered |= shadow.type().role() == ShadowType.Role.SPLINTER;
      }
      assertTrue(splintered, paging + " L" + level);
    }
  }

  @Test
  void kernelWritesToPageTablesAreEmulatedAndTheShadowsRevalidated() {
    for (Object[] mode : MODES) {
      PagingMode paging = (PagingMode) mode[0];
      Setup setup = new Setup(paging, RWU);
      // Map the l1 table that maps DATA_VA at a VA of its own, so the guest can edit it.
      long l1Entry = setup.tables.entryAddressFor(Addr.gva(DATA_VA), 1);
      long l1Table = l1Entry & ~0xFFFL;
      long window = 0x00C0_0000L;
      setup.tables.map(Addr.gva(window), Addr.gpa(l1Table), 1, RWU, RWU);
      long other = setup.world.allocateFrame();
      Twin twin = setup.twin((Boolean) mode[1]);
      twin.write(DATA_VA, 0x1111, false);
      long entryVa = window + (l1Entry & 0xFFF);
      long newLeaf = Addr.gpaOf(Addr.gfn(other), 0) | RWU;
      // A plain store and an instruction, both to the live page table.
      if (paging.entryBytes() == 8) {
        assertEquals(OpResult.Status.OK, twin.write(entryVa, newLeaf, false).status());
      } else {
        twin.apply(new GuestOp.MemoryAccess(0, Addr.gva(entryVa), AccessKind.WRITE, false, 4, newLeaf));
      }
      assertEquals(0, twin.read(DATA_VA, false).value(), "the new frame is seen at once");
      if (paging == PagingMode.FOUR_LEVEL) {
        assertEquals(OpResult.DONE, twin.store(entryVa, Addr.gpaOf(Addr.gfn(setup.dataGfn), 0) | RWU, false));
        assertEquals(0x1111, twin.read(DATA_VA, false).value());
      }
      assertTrue(twin.engine.isShadowedPageTable(Addr.mfn(World.MFN_OFFSET + (l1Table >>> 12))));
    }
  }

  @Test
  void userWritesToPageTablesUnshadowThePage() {
    for (Object[] mode : MODES) {
      Setup setup = new Setup((PagingMode) mode[0], RWU);
      long l1Entry = setup.tables.entryAddressFor(Addr.gva(DATA_VA), 1);
      long l1Table = l1Entry & ~0xFFFL;
      setup.tables.map(Addr.gva(0x00C0_0000L), Addr.gpa(l1Table), 1, RWU, RWU);
      Twin twin = setup.twin((Boolean) mode[1]);
      twin.read(DATA_VA, false);
      long mfn = World.MFN_OFFSET + (l1Table >>> 12);
      assertTrue(twin.engine.isShadowedPageTable(Addr.mfn(mfn)), mode[0] + " shadows the l1");
      twin.write(0x00C0_0000L + 0xE00, 0, true); // unused entries, from user mode
      assertFalse(twin.engine.isShadowedPageTable(Addr.mfn(mfn)), "the hint: no longer a page table");
      assertEquals(OpResult.Status.OK, twin.read(DATA_VA, false).status(), "reshadowed on demand");
      assertTrue(twin.engine.isShadowedPageTable(Addr.mfn(mfn)));
    }
  }

  @Test
  void writesDuringEventInjectionUnshadowInsteadOfEmulating() {
    for (Object[] mode : MODES) {
      Setup setup = new Setup((PagingMode) mode[0], RWU);
      long l1Table = setup.tables.entryAddressFor(Addr.gva(DATA_VA), 1) & ~0xFFFL;
      setup.tables.map(Addr.gva(0x00C0_0000L), Addr.gpa(l1Table), 1, RWU, RWU);
      Twin twin = setup.twin((Boolean) mode[1]);
      twin.read(DATA_VA, false);
      twin.read(0x00C0_0000L, false);
      GuestOp.MemoryAccess store =
          new GuestOp.MemoryAccess(0, Addr.gva(0x00C0_0E00L), AccessKind.WRITE, false, 8, 0);
      HardwareStep step = twin.engine.hardwareStep(store);
      assertTrue(step.faulted(), "the page table is write-protected");
      FaultResolution resolution =
          twin.engine.pageFault(0, Addr.gva(0x00C0_0E00L), step.errorCode(), store, true);
      assertEquals(FaultResolution.Kind.FIXED, resolution.kind());
      assertFalse(twin.engine.isShadowedPageTable(Addr.mfn(World.MFN_OFFSET + (l1Table >>> 12))));
      assertFalse(twin.engine.hardwareStep(store).faulted(), "the retry goes through");
      twin.assertInvariants("after unshadowing");
    }
  }

  @Test
  void aFaultWhileTheVcpuHoldsTheShadowLockIsNotAShadowFault() {
    Setup setup = new Setup(PagingMode.FOUR_LEVEL, RWU);
    Twin twin = setup.twin(false);
    GuestOp.MemoryAccess read = new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0);
    long before = twin.engine.fingerprint();
    twin.engine.acquireLock(0);
    assertEquals(FaultResolution.Kind.NOT_SHADOW_FAULT,
        twin.engine.pageFault(0, Addr.gva(DATA_VA), 0, read).kind());
    twin.engine.releaseLock(0);
    assertEquals(before, twin.engine.fingerprint(), "the recursive fault changed nothing");
    assertEquals(FaultResolution.Kind.FIXED, twin.engine.pageFault(0, Addr.gva(DATA_VA), 0, read).kind());
  }

  @Test
  void pagingOffIsShadowedOneToOneAndControlChangesSwitchShadows() {
    World world = new World(2, 48, 48);
    long mmio = world.ramFrames();
    world.mapMmio(Addr.gfn(mmio));
    PageTableBuilder tables = world.pageTables(PagingMode.PAE);
    long data = world.allocateFrame();
    tables.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
    Twin twin = new Twin(world);
    assertEquals(OpResult.Status.OK, twin.write(data << 12, 0x42, false).status());
    assertEquals(OpResult.Status.MMIO, twin.read(mmio << 12, false).status());
    assertEquals(OpResult.Status.UNMAPPED_GFN, twin.read((mmio + 1) << 12, true).status());
    ControlRegisters pae = ControlRegisters.forMode(PagingMode.PAE, tables.root());
    twin.apply(new GuestOp.LoadCr3(0, tables.root()));
    twin.apply(new GuestOp.SetControl(0, pae.cr0() | ControlRegisters.CR0_WP, pae.cr4(), 0, 0));
    assertEquals(0x42, twin.read(DATA_VA, false).value());
    // The page table frame is shadowed now: a 1:1 write to it from vCPU 1 (paging off) is emulated.
    long l1Entry = tables.entryAddressFor(Addr.gva(DATA_VA), 1);
    twin.apply(new GuestOp.MemoryAccess(1, Addr.gva(l1Entry), AccessKind.WRITE, false, 8, 0));
    OpResult withdrawn = twin.read(DATA_VA, false);
    assertEquals(OpResult.Status.GUEST_FAULT, withdrawn.status(), "vCPU 0's shadow l1e was revalidated");
    assertEquals(0, withdrawn.errorCode(), "not present, supervisor read");
    twin.apply(new GuestOp.SetControl(0, ControlRegisters.CR0_PE, 0, 0, 0));
    assertEquals(0x42, twin.read(data << 12, false).value());
    twin.apply(new GuestOp.Invlpg(0, Addr.gva(DATA_VA)));
    twin.apply(new GuestOp.FlushTlb(1));
  }

  @Test
  void switchingAddressSpacesReleasesTheOldShadows() {
    World world = new World(1, 48, 48);
    PageTableBuilder first = world.pageTables(PagingMode.FOUR_LEVEL);
    PageTableBuilder second = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    first.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
    second.map(Addr.gva(DATA_VA), Addr.gpaOf(Addr.gfn(data), 0), 1, P | US, RWU);
    world.startPaging(first);
    Twin twin = new Twin(world);
    twin.write(DATA_VA, 3, false);
    int shadowsBefore = twin.engine.state().shadows().size();
    twin.apply(new GuestOp.LoadCr3(0, second.root()));
    assertEquals(PfErrorCode.P | PfErrorCode.W, twin.write(DATA_VA, 4, false).errorCode());
    twin.apply(new GuestOp.LoadCr3(0, first.root()));
    assertEquals(1, twin.engine.state().shadows().size(), "only the new top: was " + shadowsBefore);
    assertEquals(3, twin.read(DATA_VA, true).value());
  }

  @Test
  void runningOutOfShadowMemoryDropsShadowsBelowTheTops() {
    World world = new World(1, 64, 12);
    PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
    long data = world.allocateFrame();
    for (int i = 0; i < 8; i++) {
      tables.map(Addr.gva((long) i << 30), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
    }
    world.startPaging(tables);
    Twin twin = new Twin(world);
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 8; i++) {
        twin.write(((long) i << 30) + 8 * i, i, false);
      }
    }
    assertTrue(twin.engine.state().freeFrames() < 12);
  }

  @Test
  void copiesAreIndependentAndFingerprintsFollowTheState() {
    Setup setup = new Setup(PagingMode.TWO_LEVEL, RWU);
    Twin twin = setup.twin(false);
    ReferenceEngine copy = twin.engine.copy();
    assertEquals(twin.engine.fingerprint(), copy.fingerprint());
    twin.read(DATA_VA, false);
    assertNotEquals(twin.engine.fingerprint(), copy.fingerprint(), "the read built shadows");
    assertEquals(OpResult.Status.OK,
        copy.apply(new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0)).status());
    assertEquals(twin.engine.fingerprint(), copy.fingerprint(), "same ops, same state");
  }

  @Test
  void anEmulatorFailureUnshadowsThePageAndTheCpuThenRunsTheStore() {
    Setup setup = new Setup(PagingMode.FOUR_LEVEL, RWU);
    long l1Entry = setup.tables.entryAddressFor(Addr.gva(DATA_VA), 1);
    long l1Table = l1Entry & ~0xFFFL;
    setup.tables.map(Addr.gva(0x00C0_0000L), Addr.gpa(l1Table), 1, RWU, RWU);
    NativePlatform oracle = new NativePlatform(setup.world.machine().copy(), Twin.CPU);
    InstructionExecutor refusing = (cpuState, code, memory, user) -> EmulationResult.unhandleable(0, "refuses");
    ReferenceEngine engine =
        new ReferenceEngine(setup.world.machine().copy(), ReferenceEngine.Config.DEFAULT, Twin.CPU, refusing);
    long[] gprs = new long[16];
    gprs[CpuState.RAX] = 0x1234;
    gprs[CpuState.RDI] = 0x00C0_0800L;
    GuestOp read = new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0);
    GuestOp store = new GuestOp.Execute(0, Stores.STORE_64, false, gprs);
    long mfn = World.MFN_OFFSET + (l1Table >>> 12);
    boolean[] shadowedAfter = new boolean[3];
    GuestOp[] ops = {read, store, read};
    for (int i = 0; i < ops.length; i++) {
      assertEquals(oracle.apply(ops[i]), engine.apply(ops[i]), ops[i].toString());
      assertEquals(null, oracle.guest().firstGuestDifference(engine.guest()));
      assertEquals(List.of(), InvariantRegistry.violations(engine));
      shadowedAfter[i] = engine.isShadowedPageTable(Addr.mfn(mfn));
    }
    assertTrue(shadowedAfter[0], "the first read shadows the l1");
    assertFalse(shadowedAfter[1], "the refused emulation unshadowed it");
    assertTrue(shadowedAfter[2], "the next read shadows it again");
  }

  @Test
  void aHandlerThatFindsTheWorkDoneByAnotherVcpuJustRetries() {
    Setup setup = new Setup(PagingMode.PAE, RWU);
    Twin twin = setup.twin(false);
    GuestOp.MemoryAccess first = new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0);
    GuestOp.MemoryAccess second = new GuestOp.MemoryAccess(1, Addr.gva(DATA_VA), AccessKind.READ, false, 8, 0);
    // Both vCPUs fault on the hardware walk before either handler runs.
    HardwareStep stepOne = twin.engine.hardwareStep(first);
    HardwareStep stepTwo = twin.engine.hardwareStep(second);
    assertTrue(stepOne.faulted() && stepTwo.faulted());
    assertEquals(FaultResolution.FIXED, twin.engine.pageFault(0, Addr.gva(DATA_VA), stepOne.errorCode(), first));
    long fixed = twin.engine.fingerprint();
    assertEquals(FaultResolution.FIXED, twin.engine.pageFault(1, Addr.gva(DATA_VA), stepTwo.errorCode(), second));
    assertEquals(fixed, twin.engine.fingerprint(), "the second handler found nothing to do");
    assertFalse(twin.engine.hardwareStep(second).faulted());
    twin.assertInvariants("after both handlers");
  }

  @Test
  void storesToAVcpusLiveTopAreEmulatedSinceItCannotBeUnshadowed() {
    Setup setup = new Setup(PagingMode.FOUR_LEVEL, RWU);
    setup.tables.map(Addr.gva(0x00C0_0000L), Addr.gpa(setup.tables.root()), 1, RWU, RWU);
    NativePlatform oracle = new NativePlatform(setup.world.machine().copy(), Twin.CPU);
    InstructionExecutor refusing = (cpuState, code, memory, user) -> EmulationResult.unhandleable(0, "refuses");
    ReferenceEngine engine =
        new ReferenceEngine(setup.world.machine().copy(), ReferenceEngine.Config.DEFAULT, Twin.CPU, refusing);
    long[] gprs = new long[16];
    gprs[CpuState.RAX] = 0;
    gprs[CpuState.RDI] = 0x00C0_0FF8L;
    GuestOp[] ops = {
      new GuestOp.MemoryAccess(0, Addr.gva(0x00C0_0FF0L), AccessKind.WRITE, true, 8, 0),
      new GuestOp.Execute(0, Stores.STORE_64, false, gprs),
      new GuestOp.MemoryAccess(0, Addr.gva(DATA_VA), AccessKind.READ, true, 8, 0)
    };
    for (GuestOp op : ops) {
      assertEquals(oracle.apply(op), engine.apply(op), op.toString());
      assertEquals(null, oracle.guest().firstGuestDifference(engine.guest()));
      assertEquals(List.of(), InvariantRegistry.violations(engine));
    }
    long rootMfn = World.MFN_OFFSET + (setup.tables.root() >>> 12);
    assertTrue(engine.isShadowedPageTable(Addr.mfn(rootMfn)), "the live top stays shadowed");
  }

  @Test
  void paeGuestsMaySwitchBetweenPdptsInOneFrame() {
    Setup setup = new Setup(PagingMode.PAE, RWU);
    long root = setup.tables.root();
    // A second PDPT 0x20 bytes into the same frame, a copy of the first.
    for (int i = 0; i < 4; i++) {
      long pdpte = setup.world.machine().physical().read(Addr.gpa(root + 8L * i), 8);
      setup.world.machine().physical().write(Addr.gpa(root + 0x20 + 8L * i), 8, pdpte);
    }
    setup.tables.map(Addr.gva(0x4000_0000L), Addr.gpa(root), 1, RWU, RWU); // a window on the PDPT frame
    Twin twin = setup.twin(false);
    twin.write(DATA_VA, 5, false);
    twin.apply(new GuestOp.LoadCr3(0, root + 0x20));
    assertEquals(5, twin.read(DATA_VA, false).value());
    // Withdraw the second PDPT's first entry through the window: only CR3 = root + 0x20 loses DATA_VA.
    assertEquals(OpResult.Status.GUEST_FAULT, twin.read(0x4000_0000L, false).status(), "not mapped there");
    twin.apply(new GuestOp.LoadCr3(0, root));
    twin.write(0x4000_0020L, 0, false);
    assertEquals(5, twin.read(DATA_VA, false).value());
    twin.apply(new GuestOp.LoadCr3(0, root + 0x20));
    assertEquals(OpResult.Status.GUEST_FAULT, twin.read(DATA_VA, false).status());
  }
}
