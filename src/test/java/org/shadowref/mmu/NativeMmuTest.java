package org.shadowref.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** The native oracle's outcomes: where an access lands once the walk is done. */
class NativeMmuTest {
  private static final long RW_USER = EntryBits.P | EntryBits.RW | EntryBits.US;

  private final MachineMemory machine = new MachineMemory(32);
  private final P2m p2m = new P2m(32);
  private final GuestPhysicalMemory memory = new GuestPhysicalMemory(machine, p2m);
  private final NativeMmu mmu = new NativeMmu(memory, CpuModel.DEFAULT);
  private long nextGfn = 1;
  private final PageTableBuilder tables;
  private final ControlRegisters regs;

  NativeMmuTest() {
    for (int gfn = 0; gfn < 16; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn + 16), true);
    }
    tables = new PageTableBuilder(memory, PagingMode.FOUR_LEVEL, () -> Addr.gfn(nextGfn++));
    regs = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, tables.root());
  }

  @Test
  void aFaultReportsTheErrorCodeAndTheLinearAddressAsCr2() {
    long va = 0x0000_1234_5678_9ABCL;
    AccessOutcome outcome = mmu.translate(regs, Addr.gva(va), Access.USER_WRITE);
    assertEquals(AccessOutcome.guestFault(PfErrorCode.W | PfErrorCode.U, va), outcome);
  }

  @Test
  void ramReachesTheMachineFrameBehindTheGuestFrame() {
    long va = 0x7000_0123L;
    tables.map(Addr.gva(va), Addr.gpaOf(Addr.gfn(12), 0), 1, RW_USER, RW_USER);
    assertEquals(AccessOutcome.ok((28L << 12) | 0x123), mmu.translate(regs, Addr.gva(va), Access.USER_READ));
  }

  @Test
  void mmioReadOnlyRamAndAbsentFramesExitWithTheGuestPhysicalAddress() {
    p2m.mapMmio(Addr.gfn(20));
    p2m.mapRam(Addr.gfn(13), Addr.mfn(29), false);
    tables.map(Addr.gva(0x1000), Addr.gpaOf(Addr.gfn(20), 0), 1, RW_USER, RW_USER);
    tables.map(Addr.gva(0x2000), Addr.gpaOf(Addr.gfn(13), 0), 1, RW_USER, RW_USER);
    tables.map(Addr.gva(0x3000), Addr.gpaOf(Addr.gfn(25), 0), 1, RW_USER, RW_USER);
    assertEquals(AccessOutcome.mmio(0x14_008L), mmu.translate(regs, Addr.gva(0x1008), Access.USER_READ));
    assertEquals(AccessOutcome.ok((29L << 12) | 8), mmu.translate(regs, Addr.gva(0x2008), Access.USER_READ));
    assertEquals(AccessOutcome.mmio(0xD_008L), mmu.translate(regs, Addr.gva(0x2008), Access.USER_WRITE));
    assertEquals(AccessOutcome.unmapped(0x19_008L), mmu.translate(regs, Addr.gva(0x3008), Access.USER_READ));
  }

  @Test
  void withPagingOffLinearIsGuestPhysical() {
    AccessOutcome outcome = mmu.translate(ControlRegisters.pagingOff(), Addr.gva(0x5ABCL), Access.SUPERVISOR_WRITE);
    assertEquals(AccessOutcome.ok((21L << 12) | 0xABC), outcome);
  }
}
