package org.shadowref.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.SdmExecutor;
import org.shadowref.emulate.X86Emulator;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.shadow.optimized.OptimizedConfig;
import org.shadowref.shadow.optimized.OptimizedEngine;
import org.shadowref.shadow.reference.ReferenceEngine;

/**
 * A PAE guest whose PDPT frame is also the page table of linear 0..2 MiB, so PDPTEs 0..3 are
 * PTEs 0..3. Found by the swarm generator: setting A/D in PTE 0 used to set bits 5 and 6 of
 * PDPTE 0, reserved there, so every walk after the first faulted with RSVD. Native walks a page
 * once per instruction; the engines walk it again (the handler's guest walk, then the emulator's
 * or the restarted instruction's) and raised a RSVD fault native never saw, or reported it on
 * the first page of a crossing store where native reported the second. Walks no longer write
 * into a PDPT, as a CPU walking with its PDPTE registers never sees such a write.
 */
class PdptAliasTest {
  private static final long P = EntryBits.P;
  private static final long RWU = EntryBits.P | EntryBits.RW | EntryBits.US;

  /** xchg [edi],eax */
  private static final byte[] XCHG = {(byte) 0x87, 0x07};
  /** lock btc dword [edi],6 */
  private static final byte[] LOCK_BTC = {(byte) 0xF0, 0x0F, (byte) 0xBA, 0x3F, 0x06};
  /** rep stosb */
  private static final byte[] REP_STOSB = {(byte) 0xF3, (byte) 0xAA};

  @Test
  void aStoreThroughAPdpteUsedAsItsOwnPteCompletesAsNatively() {
    // Page 0 is the page directory (shadowed once walked), reached through PTE 0 = PDPTE 0.
    assertAllAgree(aliasedWorld(true), XCHG, 0x0FF5, 0, OpResult.Status.OK);
  }

  @Test
  void aCrossingLockedStoreCompletesAsNatively() {
    assertAllAgree(aliasedWorld(true), LOCK_BTC, 0x0FFE, 0, OpResult.Status.OK);
  }

  @Test
  void aCrossingLockedStoreFaultsOnTheSecondPageAsNatively() {
    OpResult result = assertAllAgree(aliasedWorld(false), LOCK_BTC, 0x0FFE, 0, OpResult.Status.GUEST_FAULT);
    assertEquals(0x1000, result.address(), "CR2: the first byte of the not-present page");
    assertEquals(PfErrorCode.W, result.errorCode(), "not present, supervisor write");
  }

  @Test
  void aCrossingRepStosCompletesAsNatively() {
    assertAllAgree(aliasedWorld(true), REP_STOSB, 0x0FF0, 0x20, OpResult.Status.OK);
  }

  /**
   * Runs {@code code} in {@code world} with EDI = {@code edi} and ECX = {@code count} natively and on both engines:
   * the same result, {@code expected}, and the same guest memory and registers.
   */
  private static OpResult assertAllAgree(
      World world, byte[] code, long edi, long count, OpResult.Status expected) {
    NativePlatform oracle = new NativePlatform(world.machine().copy(), new SdmExecutor());
    Platform[] engines = {
      new ReferenceEngine(world.machine().copy(), ReferenceEngine.Config.DEFAULT, new SdmExecutor(), new X86Emulator()),
      new OptimizedEngine(world.machine().copy(), OptimizedConfig.DEFAULT, new SdmExecutor(), new X86Emulator()),
    };
    long[] gprs = new long[GuestOp.Execute.GPRS];
    gprs[CpuState.RAX] = 0x5A5A_5A5AL;
    gprs[CpuState.RCX] = count;
    gprs[CpuState.RDI] = edi;
    GuestOp op = new GuestOp.Execute(0, code, false, gprs);
    OpResult expectedResult = oracle.apply(op);
    assertEquals(expected, expectedResult.status(), "native: " + expectedResult);
    for (Platform engine : engines) {
      assertEquals(expectedResult, engine.apply(op), engine.getClass().getSimpleName());
      assertNull(engine.guest().firstGuestDifference(oracle.guest()), engine.getClass().getSimpleName());
    }
    return expectedResult;
  }

  /** The aliased PAE guest; page 1 (PTE 1 = PDPTE 1) is mapped if {@code pageOnePresent}. */
  private static World aliasedWorld(boolean pageOnePresent) {
    World world = new World(1, 16, 32);
    long pdpt = world.allocateFrame() << 12;
    long pd = world.allocateFrame() << 12;
    long data = world.allocateFrame() << 12;
    long data2 = world.allocateFrame() << 12;
    GuestPhysicalMemory memory = world.machine().physical();
    // Each value is both a valid PDPTE (P only) and a read-only supervisor PTE.
    memory.write(Addr.gpa(pdpt), 8, pd | P);
    memory.write(Addr.gpa(pdpt + 8), 8, pageOnePresent ? data | P : 0);
    memory.write(Addr.gpa(pdpt + 16), 8, data2 | P);
    memory.write(Addr.gpa(pd), 8, pdpt | RWU);
    // CR0.WP clear: the kernel writes the read-only pages.
    world.setRegs(ControlRegisters.forMode(PagingMode.PAE, pdpt));
    return world;
  }
}
