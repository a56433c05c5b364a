package org.shadowref.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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

/** The architectural TLB allowance, rule by rule (SDM vol. 3, 4.10). */
class TlbModelTest {
  private static final long PRESENT_ALL =
      EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A | EntryBits.D;
  private static final long VA = 0x0040_1000L;

  private final MachineMemory machine = new MachineMemory(64);
  private final P2m p2m = new P2m(64);
  private final GuestPhysicalMemory memory = new GuestPhysicalMemory(machine, p2m);
  private final TlbModel tlb = new TlbModel(2);
  private long nextGfn = 1;
  private final PageTableBuilder tables;
  private ControlRegisters regs;

  TlbModelTest() {
    for (int gfn = 0; gfn < 48; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn), true);
    }
    tables = new PageTableBuilder(memory, PagingMode.FOUR_LEVEL, () -> Addr.gfn(nextGfn++));
    tables.map(Addr.gva(VA), Addr.gpa(0x2_0000L), 1, PRESENT_ALL, PRESENT_ALL);
    regs = ControlRegisters.forMode(PagingMode.FOUR_LEVEL, tables.root());
  }

  /** A guest store to the leaf entry, logged as the native machine logs it. */
  private void rewriteLeaf(long value) {
    long address = tables.entryAddressFor(Addr.gva(VA), 1);
    tlb.recordWrite(Addr.gpa(address), 8, memory.read(Addr.gpa(address), 8));
    tables.setEntry(Addr.gva(VA), 1, value);
  }

  private List<AccessOutcome> stale(int vcpu, Access access) {
    return tlb.staleOutcomes(vcpu, memory, regs, CpuModel.DEFAULT, Addr.gva(VA), access);
  }

  @Test
  void aRemappedPageMayStillReachTheOldFrameUntilInvlpg() {
    rewriteLeaf(0x3_0000L | PRESENT_ALL);
    assertTrue(stale(0, Access.USER_READ).contains(AccessOutcome.ok(0x2_0000L)));
    tlb.invalidatePage(0, Addr.gva(VA));
    assertTrue(stale(0, Access.USER_READ).isEmpty());
    assertTrue(stale(1, Access.USER_READ).contains(AccessOutcome.ok(0x2_0000L)), "INVLPG is per vCPU");
  }

  @Test
  void aPageThatBecamePresentNeverFaultsAsNotPresent() {
    rewriteLeaf(0);
    tlb.invalidatePage(0, Addr.gva(VA));
    rewriteLeaf(0x3_0000L | PRESENT_ALL);
    for (AccessOutcome outcome : stale(0, Access.USER_READ)) {
      assertTrue(outcome.kind() != AccessOutcome.Kind.GUEST_FAULT, "not-present entries are never cached");
    }
  }

  @Test
  void reducedRightsMayLetAStaleWriteThroughOnlyIfItWasCachedDirty() {
    rewriteLeaf(0x2_0000L | (PRESENT_ALL & ~EntryBits.RW));
    assertTrue(stale(0, Access.USER_WRITE).contains(AccessOutcome.ok(0x2_0000L)));

    tlb.flushAll(0);
    rewriteLeaf(0x2_0000L | (PRESENT_ALL & ~EntryBits.D));
    rewriteLeaf(0x2_0000L | (PRESENT_ALL & ~EntryBits.D & ~EntryBits.RW));
    for (AccessOutcome outcome : stale(0, Access.USER_WRITE)) {
      assertTrue(!outcome.isOk(), "a clean translation is re-walked for a write, got " + outcome);
    }
  }

  @Test
  void increasedRightsMayFaultSpuriouslyWithTheStaleRights() {
    rewriteLeaf(0x2_0000L | (PRESENT_ALL & ~EntryBits.RW));
    tlb.invalidatePage(0, Addr.gva(VA));
    rewriteLeaf(0x2_0000L | PRESENT_ALL);
    assertEquals(
        List.of(AccessOutcome.guestFault(PfErrorCode.P | PfErrorCode.W | PfErrorCode.U, VA)),
        stale(0, Access.USER_WRITE));
  }

  @Test
  void translationsWithoutTheAccessedBitAreNeverCached() {
    rewriteLeaf(0x2_0000L | (PRESENT_ALL & ~EntryBits.A));
    tlb.invalidatePage(0, Addr.gva(VA));
    rewriteLeaf(0x3_0000L | PRESENT_ALL);
    assertTrue(stale(0, Access.USER_READ).isEmpty());
  }

  @Test
  void cr3LoadsDropNonGlobalTranslationsButKeepGlobalOnes() {
    rewriteLeaf(0x3_0000L | PRESENT_ALL);
    tlb.loadCr3(0, regs.cr3());
    assertTrue(stale(0, Access.USER_READ).isEmpty());

    tlb.flushAll(0);
    regs = regs.withCr4(regs.cr4() | ControlRegisters.CR4_PGE);
    rewriteLeaf(0x2_0000L | PRESENT_ALL | EntryBits.G);
    rewriteLeaf(0x3_0000L | PRESENT_ALL);
    tlb.loadCr3(0, regs.cr3());
    assertTrue(stale(0, Access.USER_READ).contains(AccessOutcome.ok(0x2_0000L)), "global survives CR3");
    tlb.flushAll(0);
    assertTrue(stale(0, Access.USER_READ).isEmpty());
  }

  @Test
  void theLogIsPrunedOnceEveryVcpuHasFlushed() {
    rewriteLeaf(0x3_0000L | PRESENT_ALL);
    rewriteLeaf(0x4_0000L | PRESENT_ALL);
    tlb.flushAll(0);
    assertEquals(2, tlb.loggedWrites(), "vCPU 1 may still hold them");
    tlb.flushAll(1);
    assertEquals(0, tlb.loggedWrites());
  }
}
