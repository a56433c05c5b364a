package org.shadowref.shadow.entry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.Addr;
import org.shadowref.arch.PagingMode;
import org.shadowref.memory.P2mType;

/** Known propagation examples, computed by hand from the rules, on the concrete interpretation. */
class PropagationTest {
  private static final long MFN = 0x99;
  /** P|RW|US|A|D at guest frame 0x12345. */
  private static final long GUEST = 0x1234_5067L;

  private static long leaf(long guest, P2mType type, boolean pageTable, boolean nxe, ShadowFormat format) {
    return Propagation.leaf(guest, type, Addr.mfn(MFN), pageTable, nxe, format);
  }

  @Test
  void aWritableDirtyRamLeafIsCopiedOntoTheMachineFrame() {
    assertEquals(0x9_9067L, leaf(GUEST, P2mType.RAM, false, false, ShadowFormat.LONG_64));
  }

  @Test
  void writeAccessIsWithheldForPageTablesReadOnlyRamAndCleanEntries() {
    assertEquals(0x9_9025L, leaf(GUEST, P2mType.RAM, true, false, ShadowFormat.LONG_64));
    assertEquals(0x9_9025L, leaf(GUEST, P2mType.RAM_RO, false, false, ShadowFormat.LONG_64));
    assertEquals(0x9_9025L, leaf(0x1234_5027L, P2mType.RAM, false, false, ShadowFormat.LONG_64));
  }

  @Test
  void nothingIsShadowedWithoutPAOrRam() {
    assertEquals(0, leaf(GUEST & ~0x20L, P2mType.RAM, false, false, ShadowFormat.LONG_64));
    assertEquals(0, leaf(GUEST & ~0x1L, P2mType.RAM, false, false, ShadowFormat.LONG_64));
    assertEquals(0, leaf(GUEST, P2mType.MMIO, false, false, ShadowFormat.LONG_64));
    assertEquals(0, leaf(GUEST, P2mType.ABSENT, false, false, ShadowFormat.LONG_64));
  }

  @Test
  void nxIsCopiedOnlyIntoSixtyFourBitShadowsWithNxe() {
    long guest = GUEST | 1L << 63;
    assertEquals(0x8000_0000_0009_9067L, leaf(guest, P2mType.RAM, false, true, ShadowFormat.LONG_64));
    assertEquals(0x9_9067L, leaf(guest, P2mType.RAM, false, false, ShadowFormat.LONG_64));
    assertEquals(0x9_9067L, leaf(guest, P2mType.RAM, false, true, ShadowFormat.LEGACY_32));
  }

  @Test
  void cachingBitsAreCopiedAndGlobalIsNot() {
    // P|A|PWT|PCD|PAT|G
    assertEquals(0x9_90B9L, leaf(0x1B9L, P2mType.RAM, false, false, ShadowFormat.LONG_64));
  }

  @Test
  void directoryEntriesKeepRightsAndNeedA() {
    long shadow = 0x55;
    assertEquals(
        0x5_5027L,
        Propagation.directory(0xABC_D027L, PagingMode.FOUR_LEVEL, 2, Addr.mfn(shadow), true, ShadowFormat.LONG_64));
    assertEquals(
        0x8000_0000_0005_5027L,
        Propagation.directory(
            0x8000_0000_0ABC_D027L, PagingMode.FOUR_LEVEL, 4, Addr.mfn(shadow), true, ShadowFormat.LONG_64));
    assertEquals(
        0,
        Propagation.directory(0x1007L, PagingMode.PAE, 2, Addr.mfn(shadow), false, ShadowFormat.LONG_64));
    assertEquals(
        0x5_5023L,
        Propagation.directory(0x1023L, PagingMode.TWO_LEVEL, 2, Addr.mfn(shadow), false, ShadowFormat.LEGACY_32));
  }

  @Test
  void aPaePdpteNeedsNoAAndCarriesNoRights() {
    assertEquals(
        0x5_5001L,
        Propagation.directory(0x1007L, PagingMode.PAE, 3, Addr.mfn(0x55), true, ShadowFormat.LONG_64));
  }

  @Test
  void aLargeLeafBecomesASmallLeafWithItsPatBitMoved() {
    // P|RW|US|A|D|PS|PAT(12) at 1 GiB, NX
    assertEquals(0x8000_0000_0000_00E7L, Propagation.asSmallLeaf(0x8000_0000_4000_10E7L));
    assertEquals(0x67L, Propagation.asSmallLeaf(0x4000_00E7L));
  }
}
