package org.shadowref.check.emulation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The cases' generator must draw exactly what java.util.Random draws, or the inputs of a seed change. */
class PlainRandomTest {
  @Test
  void drawsWhatRandomDrawsForTheSameSeed() {
    for (long seed : new long[] {0, 1, -1, 42, Long.MIN_VALUE, 0x5DEECE66DL, 123_456_789_012L}) {
      Random expected = new Random(seed);
      Random actual = new PlainRandom(seed);
      for (int i = 0; i < 2000; i++) {
        assertEquals(expected.nextBoolean(), actual.nextBoolean());
        assertEquals(expected.nextLong(), actual.nextLong());
        assertEquals(expected.nextInt(), actual.nextInt());
        // Powers of two take one draw; other bounds may reject and draw again.
        assertEquals(expected.nextInt(4), actual.nextInt(4));
        assertEquals(expected.nextInt(40), actual.nextInt(40));
        assertEquals(expected.nextInt(0x6000), actual.nextInt(0x6000));
        byte[] a = new byte[i % 19];
        byte[] b = new byte[i % 19];
        expected.nextBytes(a);
        actual.nextBytes(b);
        assertArrayEquals(a, b);
      }
    }
  }

  @Test
  void skipAdvancesAsThatManyDraws() {
    for (long draws : new long[] {0, 1, 2, 3, 511, 512, 2560, 1L << 40}) {
      PlainRandom stepped = new PlainRandom(7);
      PlainRandom skipped = new PlainRandom(7);
      skipped.skip(draws);
      if (draws < 10_000) {
        for (long i = 0; i < draws; i++) {
          stepped.nextInt(4);
        }
        assertEquals(stepped.state(), skipped.state());
      }
      PlainRandom resumed = PlainRandom.at(skipped.state());
      for (int i = 0; i < 100; i++) {
        assertEquals(skipped.nextLong(), resumed.nextLong());
      }
    }
  }
}
