package org.shadowref.check.emulation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Addr;
import org.shadowref.emulate.CpuState;

/** A guest whose data pages are drawn on first touch holds the words an eager fill draws. */
class EmulationGuestTest {
  private static final long[] POOL = {0, 0x1234_5678_9ABC_DEF0L, -1L, 0x8000_0000_0000_0001L};

  @Test
  void pagesDrawnOnFirstTouchEqualAnEagerFillAndLeaveTheGeneratorWhereItWould() {
    for (CpuState.Mode mode : CpuState.Mode.values()) {
      for (long seed = 0; seed < 20; seed++) {
        Random eagerRandom = new Random(seed);
        PlainRandom lazyRandom = new PlainRandom(seed);
        EmulationGuest eager = new EmulationGuest(mode, POOL, eagerRandom);
        EmulationGuest lazy = new EmulationGuest(mode, POOL, lazyRandom);
        assertEquals(eagerRandom.nextLong(), lazyRandom.nextLong());
        EmulationGuest lazyCopy = lazy.copy();
        assertEquals(-1, lazy.firstDifferentFrame(eager));
        // Touch the pages in a seed-dependent order, writing one word, on the lazy copy and the eager guest.
        for (int i = 0; i < EmulationGuest.PAGES - 1; i++) {
          long frame = 24 + (i + seed) % (EmulationGuest.PAGES - 1);
          for (long word = 0; word < 512; word++) {
            long maddr = Addr.maddr(frame * Addr.PAGE_SIZE + 8 * word);
            assertEquals(eager.read(maddr, 8), lazyCopy.read(maddr, 8));
          }
          lazyCopy.write(Addr.maddr(frame * Addr.PAGE_SIZE + 3), 2, 0x4242 + seed);
          eager.write(Addr.maddr(frame * Addr.PAGE_SIZE + 3), 2, 0x4242 + seed);
        }
        assertEquals(-1, lazyCopy.firstDifferentFrame(eager));
        assertEquals(24, lazy.firstDifferentFrame(lazyCopy));
        assertEquals(24, lazy.firstChangedDataFrame(lazyCopy));
      }
    }
  }
}
