package org.shadowref.shadow.entry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.memory.P2mType;
import org.shadowref.mmu.FaultKind;
import org.shadowref.mmu.Walker;

/** Known magic entries and fix-ups on the concrete interpretation. */
class MagicEntriesTest {
  @Test
  void theMarkersHaveTheDocumentedLayout() {
    assertEquals(0x000F_0000_0000_0001L, MagicEntries.GUEST_NOT_PRESENT);
    assertEquals(0x000F_0000_FEE0_0801L, MagicEntries.encodeMmio(Addr.gfn(0xFEE00)));
  }

  @Test
  void anMmioEntryDecodesToItsGfn() {
    long entry = MagicEntries.encodeMmio(Addr.gfn(0xF_FFFF_FFFFL));
    assertTrue(MagicEntries.isMagic(entry));
    assertTrue(MagicEntries.isMmio(entry));
    assertFalse(MagicEntries.isGuestNotPresent(entry));
    assertEquals(0xF_FFFF_FFFFL, MagicEntries.mmioGfn(entry));
  }

  @Test
  void theNotPresentMarkerIsNotMmio() {
    assertTrue(MagicEntries.isMagic(MagicEntries.GUEST_NOT_PRESENT));
    assertTrue(MagicEntries.isGuestNotPresent(MagicEntries.GUEST_NOT_PRESENT));
    assertFalse(MagicEntries.isMmio(MagicEntries.GUEST_NOT_PRESENT));
  }

  @Test
  void ordinaryEntriesAreNotMagic() {
    long propagated =
        Propagation.leaf(0x67, P2mType.RAM, Addr.mfn(0xF_FFFF_FFFFL), false, true, ShadowFormat.LONG_64);
    assertFalse(MagicEntries.isMagic(propagated));
    assertFalse(MagicEntries.isMagic(0));
    assertFalse(MagicEntries.isMagic(MagicEntries.TAG)); // not present: the hardware never checks
  }

  @Test
  void aGfnThatDoesNotFitIsRejected() {
    assertThrows(
        IllegalArgumentException.class, () -> MagicEntries.encodeMmio(Addr.gfn(MagicEntries.GFN_LIMIT)));
    assertThrows(IllegalArgumentException.class, () -> MagicEntries.encodeMmio(Addr.gfn(-1)));
  }

  @Test
  void magicEntriesNeedAHostMaxPhysAddrOfAtMost48() {
    assertTrue(MagicEntries.usable(new CpuModel(48)));
    assertFalse(MagicEntries.usable(new CpuModel(49)));
  }

  @Test
  void theFixUpTurnsAReservedBitFaultIntoTheGuestsNotPresentFault() {
    ControlRegisters pae = ControlRegisters.forMode(PagingMode.PAE, 0);
    int hardware = PfErrorCode.P | PfErrorCode.RSVD | PfErrorCode.W | PfErrorCode.U;
    assertEquals(PfErrorCode.W | PfErrorCode.U, MagicEntries.guestNotPresentErrorCode(hardware, pae));
    assertEquals(
        Walker.errorCode(FaultKind.NOT_PRESENT, Access.USER_WRITE, pae),
        MagicEntries.guestNotPresentErrorCode(hardware, pae));
  }

  @Test
  void theFixUpReportsAFetchOnlyWhereTheGuestsPagingWould() {
    int fetch = PfErrorCode.P | PfErrorCode.RSVD | PfErrorCode.ID;
    ControlRegisters twoLevel =
        ControlRegisters.forMode(PagingMode.TWO_LEVEL, 0).withEfer(ControlRegisters.EFER_NXE);
    ControlRegisters longMode =
        ControlRegisters.forMode(PagingMode.FOUR_LEVEL, 0)
            .with(8, ControlRegisters.EFER_NXE, true);
    Access supervisorFetch = Access.of(AccessKind.FETCH, false);
    assertEquals(0, MagicEntries.guestNotPresentErrorCode(fetch, twoLevel));
    assertEquals(
        Walker.errorCode(FaultKind.NOT_PRESENT, supervisorFetch, twoLevel),
        MagicEntries.guestNotPresentErrorCode(fetch, twoLevel));
    assertEquals(PfErrorCode.ID, MagicEntries.guestNotPresentErrorCode(fetch, longMode));
    assertEquals(
        Walker.errorCode(FaultKind.NOT_PRESENT, supervisorFetch, longMode),
        MagicEntries.guestNotPresentErrorCode(fetch, longMode));
  }
}
