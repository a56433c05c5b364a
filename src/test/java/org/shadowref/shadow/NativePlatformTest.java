package org.shadowref.shadow;

import org.shadowref.emulate.Stores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.mmu.PageTableBuilder;

class NativePlatformTest {
  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;

  private static long[] regs(long rax, long rdi) {
    long[] gprs = new long[16];
    gprs[CpuState.RAX] = rax;
    gprs[CpuState.RDI] = rdi;
    return gprs;
  }

  /** A 4-level guest whose page at 0x40_0000 maps guest frame {@code data}, on the native machine. */
  private record DataPage(World world, PageTableBuilder tables, long data, NativePlatform platform) {
    static DataPage build() {
      World world = new World(1, 32, 16);
      PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
      long data = world.allocateFrame();
      tables.map(Addr.gva(0x40_0000), Addr.gpaOf(Addr.gfn(data), 0), 1, RWU, RWU);
      world.startPaging(tables);
      return new DataPage(world, tables, data, new NativePlatform(world.machine(), new SdmExecutor()));
    }
  }

  @Test
  void storesAndLoadsThroughTheGuestTablesAndSetsAccessedAndDirty() {
    DataPage page = DataPage.build();
    NativePlatform platform = page.platform();
    long data = page.data();
    PageTableBuilder tables = page.tables();

    OpResult store = platform.apply(new GuestOp.MemoryAccess(0, Addr.gva(0x40_0010), AccessKind.WRITE, false, 8, 0x1234));
    assertEquals(OpResult.Status.OK, store.status());
    assertEquals((data + World.MFN_OFFSET) * 4096 + 0x10, store.address());
    OpResult load = platform.apply(new GuestOp.MemoryAccess(0, Addr.gva(0x40_0010), AccessKind.READ, true, 4, 0));
    assertEquals(0x1234, load.value());
    assertEquals(EntryBits.A | EntryBits.D, tables.readEntry(Addr.gva(0x40_0000), 1) & (EntryBits.A | EntryBits.D));
  }

  @Test
  void guestFaultsCarryTheNativeErrorCodeAndCr2() {
    World world = new World(1, 32, 16);
    PageTableBuilder tables = world.pageTables(PagingMode.PAE);
    world.startPaging(tables);
    NativePlatform platform = new NativePlatform(world.machine(), new SdmExecutor());
    OpResult result = platform.apply(new GuestOp.MemoryAccess(0, Addr.gva(0x1234), AccessKind.WRITE, true, 4, 1));
    assertEquals(OpResult.Status.GUEST_FAULT, result.status());
    assertEquals(PfErrorCode.W | PfErrorCode.U, result.errorCode());
    assertEquals(0x1234, result.address());
  }

  @Test
  void pagingOffReachesGuestPhysicalMemoryAndMmioExits() {
    World world = new World(1, 8, 4);
    world.mapMmio(Addr.gfn(9));
    NativePlatform platform = new NativePlatform(world.machine(), new SdmExecutor());
    assertEquals(OpResult.Status.MMIO,
        platform.apply(new GuestOp.MemoryAccess(0, Addr.gva(0x9008), AccessKind.READ, false, 4, 0)).status());
    assertEquals(OpResult.Status.UNMAPPED_GFN,
        platform.apply(new GuestOp.MemoryAccess(0, Addr.gva(0xA000), AccessKind.READ, false, 4, 0)).status());
    OpResult ok = platform.apply(new GuestOp.MemoryAccess(0, Addr.gva(0x1_0000_2000L), AccessKind.WRITE, false, 2, 7));
    assertEquals((2 + World.MFN_OFFSET) * 4096L, ok.address(), "paging off drops bits 63:32");
  }

  @Test
  void executeRunsTheInstructionAndControlOpsUpdateTheVcpu() {
    World world = new World(1, 16, 4);
    PageTableBuilder tables = world.pageTables(PagingMode.FOUR_LEVEL);
    tables.map(Addr.gva(0x5000), Addr.gpa(0x5000), 1, RWU, RWU);
    world.reserve(Addr.gfn(5));
    world.startPaging(tables);
    NativePlatform platform = new NativePlatform(world.machine(), new SdmExecutor());
    assertEquals(OpResult.DONE, platform.apply(new GuestOp.Execute(0, Stores.STORE_64, false, regs(0xAB, 0x5008))));
    assertEquals(0xAB, world.machine().machine().read(Addr.maddr((5 + World.MFN_OFFSET) * 4096L + 8), 8));
    assertEquals(3, world.machine().vcpu(0).cpu().rip());
    assertEquals(OpResult.Status.INVALID,
        platform.apply(new GuestOp.Execute(0, new byte[] {(byte) 0x90}, false, regs(0, 0))).status());

    Platform copy = platform.copy();
    assertEquals(platform.fingerprint(), copy.fingerprint());
    copy.apply(new GuestOp.LoadCr3(0, 0x7000));
    assertEquals(0x7000, copy.guest().vcpu(0).regs().cr3());
    assertNotEquals(platform.fingerprint(), copy.fingerprint());
    assertEquals(OpResult.Status.INVALID,
        copy.apply(new GuestOp.SetControl(0, ControlRegisters.CR0_PG, 0, 0, 0)).status(), "PG without PE");
    long pePg = ControlRegisters.CR0_PE | ControlRegisters.CR0_PG;
    assertEquals(OpResult.Status.INVALID,
        copy.apply(new GuestOp.SetControl(0, pePg, 0, ControlRegisters.EFER_LME, 0)).status(), "long mode needs PAE");
    assertEquals(OpResult.DONE,
        copy.apply(new GuestOp.SetControl(0, pePg, ControlRegisters.CR4_PAE, ControlRegisters.EFER_LME, 0)));
    assertEquals(PagingMode.FOUR_LEVEL, copy.guest().vcpu(0).regs().pagingMode(), "the CPU sets LMA");
    assertEquals(CpuState.Mode.LONG_64, copy.guest().vcpu(0).cpu().mode());
    assertNotNull(platform.guest().firstGuestDifference(copy.guest()), "the copy's CR3 differs");
  }

  /** Copies and overwritten discarded copies behave as the original (what the explorer needs). */
  @Test
  void copiesTakenOrOverwrittenMidwayBehaveAlike() {
    NativePlatform platform = DataPage.build().platform();
    java.util.List<GuestOp> ops = java.util.List.of(
        new GuestOp.MemoryAccess(0, Addr.gva(0x40_0010), AccessKind.WRITE, false, 8, 0x1234),
        new GuestOp.MemoryAccess(0, Addr.gva(0x40_0010), AccessKind.READ, true, 4, 0),
        new GuestOp.Execute(0, Stores.STORE_64, false, regs(0xAB, 0x40_0008)),
        new GuestOp.MemoryAccess(0, Addr.gva(0x40_0008), AccessKind.READ, false, 8, 0),
        new GuestOp.LoadCr3(0, 0x7000),
        new GuestOp.MemoryAccess(0, Addr.gva(0x40_0010), AccessKind.READ, false, 8, 0));
    Forks.assertCopyMidwayBehavesAlike(platform, ops);
  }
}
