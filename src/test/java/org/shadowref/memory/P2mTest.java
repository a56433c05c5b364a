package org.shadowref.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Addr;

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
}
