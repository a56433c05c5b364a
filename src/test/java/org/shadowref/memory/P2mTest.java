package org.shadowref.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gfn;

/** The P2M's digest follows its entries through changes, copies and restores. */
class P2mTest {
  private static List<Long> digest(P2m p2m) {
    List<Long> words = new ArrayList<>();
    p2m.fingerprint(words::add);
    return words;
  }

  @Test
  void theDigestIsAFunctionOfTheEntries() {
    P2m p2m = new P2m(8);
    p2m.mapRam(Addr.gfn(1), Addr.mfn(3), true);
    List<Long> mapped = digest(p2m);
    P2m copy = p2m.copy();
    assertEquals(mapped, digest(copy));
    copy.mapRam(Addr.gfn(1), Addr.mfn(3), false);
    List<Long> readOnly = digest(copy);
    assertNotEquals(mapped.get(0), readOnly.get(0), "the type changed: both halves change");
    assertNotEquals(mapped.get(1), readOnly.get(1));
    assertEquals(mapped, digest(p2m), "the original is untouched");
    copy.mapRam(Addr.gfn(1), Addr.mfn(3), true);
    assertEquals(mapped, digest(copy), "the same entries again, the same digest");
    copy.mapRam(Addr.gfn(1), Addr.mfn(4), true);
    assertNotEquals(mapped, digest(copy));
    P2m restored = new P2m(8);
    restored.restoreFrom(copy);
    assertEquals(digest(copy), digest(restored));
    restored.unmap(Addr.gfn(1));
    assertEquals(digest(new P2m(8)), digest(restored));
    assertNotEquals(digest(new P2m(8)), digest(new P2m(9)), "sizes differ");
  }

  @Test
  void framesAboveTheArraysAreMappedSparselyAndCountInEverything() {
    P2m p2m = new P2m(8);
    List<Long> empty = digest(p2m);
    @Gfn long high = Addr.gfn(0x10_0001L);
    @Gfn long top = Addr.gfn(P2m.GFN_LIMIT - 1);
    p2m.mapRam(top, Addr.mfn(2), true);
    p2m.mapRam(high, Addr.mfn(3), false);
    p2m.mapMmio(Addr.gfn(9));
    assertEquals(P2mType.RAM_RO, p2m.type(high));
    assertEquals(3, p2m.mfn(high));
    assertEquals(P2mType.RAM, p2m.type(top));
    assertEquals(P2mType.MMIO, p2m.type(Addr.gfn(9)));
    assertEquals(P2mType.ABSENT, p2m.type(Addr.gfn(0x10_0000L)));
    assertEquals(P2m.INVALID_MFN, p2m.mfn(Addr.gfn(0x10_0002L)));
    assertEquals(0x10_0001L, p2m.gfnOfMfn(Addr.mfn(3)));
    // Every mappable frame once, in increasing order.
    assertEquals(8 + 3, p2m.mappableCount());
    assertEquals(List.of(9L, 0x10_0001L, P2m.GFN_LIMIT - 1),
        List.of(p2m.mappableGfn(8), p2m.mappableGfn(9), p2m.mappableGfn(10)));

    P2m copy = p2m.copy();
    assertEquals(p2m, copy);
    assertEquals(digest(p2m), digest(copy));
    copy.mapRam(high, Addr.mfn(4), false);
    assertNotEquals(digest(p2m), digest(copy), "a sparse frame's mfn is in the digest");
    assertNotEquals(p2m, copy);
    assertEquals(3, p2m.mfn(high), "the original is untouched");
    copy.mapRam(high, Addr.mfn(3), true);
    assertNotEquals(digest(p2m), digest(copy), "and its type");
    copy.unmap(high);
    copy.unmap(top);
    copy.unmap(Addr.gfn(9));
    copy.unmap(Addr.gfn(0x20_0000L)); // nothing there: nothing changes
    assertEquals(8, copy.mappableCount());
    assertEquals(empty, digest(copy));
    assertEquals(new P2m(8), copy);

    P2m restored = new P2m(8);
    restored.restoreFrom(p2m);
    assertEquals(p2m, restored);
    restored.unmap(high);
    assertEquals(P2mType.RAM_RO, p2m.type(high), "a restored P2M shares until it writes");
  }

  @Test
  void tooManySparseFramesOrFramesBeyond52BitsAreRefused() {
    P2m p2m = new P2m(4);
    for (int i = 0; i < P2m.SPARSE_LIMIT; i++) {
      p2m.mapMmio(Addr.gfn(0x1000L + 2 * i));
    }
    p2m.mapRam(Addr.gfn(0x1000L), Addr.mfn(1), true); // a mapped one may change
    assertThrows(IllegalArgumentException.class, () -> p2m.mapMmio(Addr.gfn(0x1001L)));
    assertThrows(IllegalArgumentException.class, () -> p2m.mapMmio(Addr.gfn(P2m.GFN_LIMIT)));
    assertThrows(IllegalArgumentException.class, () -> p2m.mapMmio(Addr.gfn(-1)));
    p2m.unmap(Addr.gfn(0x1002L));
    p2m.mapMmio(Addr.gfn(0x1001L));
    assertEquals(P2mType.MMIO, p2m.type(Addr.gfn(0x1001L)));
  }
}
