package org.shadowref.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Addr;

/** Copies behave as deep copies although they share frames, and frame hashes follow contents. */
class MachineMemoryTest {
  private static final int FRAMES = 3;

  @Test
  void copiesAreIndependentInBothDirections() {
    MachineMemory original = new MachineMemory(FRAMES);
    original.write(Addr.maddr(0x1008), 8, 0x1111);
    MachineMemory copy = original.copy();
    copy.write(Addr.maddr(0x1008), 8, 0x2222);
    original.write(Addr.maddr(0x2010), 4, 0x3333);
    assertEquals(0x1111, original.read(Addr.maddr(0x1008), 8));
    assertEquals(0x2222, copy.read(Addr.maddr(0x1008), 8));
    assertEquals(0, copy.read(Addr.maddr(0x2010), 4));
    MachineMemory restored = new MachineMemory(FRAMES);
    restored.restoreFrom(copy);
    restored.zeroFrame(Addr.mfn(1));
    assertEquals(0x2222, copy.read(Addr.maddr(0x1008), 8));
    assertEquals(0, restored.frameHash(Addr.mfn(1)));
    assertArrayEquals(new long[2], digest(restored, 1));
  }

  /** A copy overwritten from its source (frames it wrote keep their arrays) is again independent. */
  @Test
  void restoringAWrittenCopyMakesAnIndependentCopyAgain() {
    MachineMemory source = new MachineMemory(FRAMES);
    source.write(Addr.maddr(0x0008), 8, 0x1);
    source.write(Addr.maddr(0x2008), 8, 0x2);
    MachineMemory target = source.copy();
    target.write(Addr.maddr(0x0008), 8, 0x10);
    target.write(Addr.maddr(0x1010), 8, 0x11);
    source.write(Addr.maddr(0x2008), 8, 0x3);
    target.restoreFrom(source);
    for (int frame = 0; frame < FRAMES; frame++) {
      assertTrue(target.frameEquals(Addr.mfn(frame), source, Addr.mfn(frame)));
      assertArrayEquals(digest(source, frame), digest(target, frame));
    }
    target.write(Addr.maddr(0x0008), 8, 0x20);
    source.write(Addr.maddr(0x1010), 8, 0x21);
    source.write(Addr.maddr(0x2008), 8, 0x22);
    assertEquals(0x1, source.read(Addr.maddr(0x0008), 8));
    assertEquals(0, target.read(Addr.maddr(0x1010), 8));
    assertEquals(0x3, target.read(Addr.maddr(0x2008), 8));
    assertEquals(rehashed(target, 0), target.frameHash(Addr.mfn(0)));
    assertEquals(rehashed(source, 2), source.frameHash(Addr.mfn(2)));
  }

  /** Words put back by a restore never land in a frame a copy taken since shares. */
  @Test
  void aRestoreAfterACopyLeavesTheCopyAlone() {
    MachineMemory source = new MachineMemory(FRAMES);
    source.write(Addr.maddr(0x0000), 8, 1);
    MachineMemory target = source.copy();
    target.write(Addr.maddr(0x0008), 8, 5);
    target.restoreFrom(source);
    target.write(Addr.maddr(0x0010), 8, 7);
    MachineMemory snapshot = target.copy();
    target.restoreFrom(source);
    assertEquals(7, snapshot.read(Addr.maddr(0x0010), 8));
    assertEquals(0, target.read(Addr.maddr(0x0010), 8));
    assertEquals(rehashed(snapshot, 0), snapshot.frameHash(Addr.mfn(0)));
  }

  /**
   * Memories written, copied, restored from one another, cleared and copied frame to frame at
   * random each hold what a plain deep copy would (restores put back written words, or whole
   * frames, or share them), with hashes that follow.
   */
  @Test
  void memoriesRestoredFromOneAnotherHoldWhatDeepCopiesWould() {
    Random random = new Random(11);
    int memories = 3;
    MachineMemory[] memory = new MachineMemory[memories];
    long[][][] expected = new long[memories][FRAMES][512];
    for (int m = 0; m < memories; m++) {
      memory[m] = new MachineMemory(FRAMES);
    }
    for (int step = 0; step < 40_000; step++) {
      int m = random.nextInt(memories);
      int other = random.nextInt(memories);
      int frame = random.nextInt(FRAMES);
      int choice = random.nextInt(100);
      if (choice < 70) {
        // Now and then more words than a restore remembers.
        int writes = random.nextInt(50) == 0 ? 100 : 1;
        for (int i = 0; i < writes; i++) {
          int word = random.nextInt(random.nextBoolean() ? 4 : 512);
          long value = random.nextInt(3) == 0 ? 0 : random.nextLong();
          memory[m].write(Addr.maddr((long) frame * 4096 + word * 8L), 8, value);
          expected[m][frame][word] = value;
        }
      } else if (choice < 90) {
        memory[m].restoreFrom(memory[other]);
        expected[m] = deepCopy(expected[other]);
      } else if (choice < 95) {
        memory[m] = memory[other].copy();
        expected[m] = deepCopy(expected[other]);
      } else if (choice < 98) {
        memory[m].zeroFrame(Addr.mfn(frame));
        expected[m][frame] = new long[512];
      } else {
        int to = random.nextInt(FRAMES);
        memory[m].copyFrame(Addr.mfn(frame), Addr.mfn(to));
        expected[m][to] = expected[m][frame].clone();
      }
      if (step % 97 == 0) {
        for (int k = 0; k < memories; k++) {
          for (int f = 0; f < FRAMES; f++) {
            for (int w = 0; w < 512; w++) {
              assertEquals(expected[k][f][w], memory[k].read(Addr.maddr((long) f * 4096 + w * 8L), 8),
                  "memory " + k + " frame " + f + " word " + w + " at step " + step);
            }
            assertEquals(rehashed(memory[k], f), memory[k].frameHash(Addr.mfn(f)));
            assertArrayEquals(digest(rewritten(memory[k], f), 0), digest(memory[k], f));
          }
        }
      }
    }
  }

  /** Copies share a frame in chunks of 64 words: an access may straddle two of them. */
  @Test
  void anAccessAcrossAChunkBoundaryReachesBothChunks() {
    MachineMemory memory = new MachineMemory(FRAMES);
    MachineMemory copy = memory.copy();
    // Bytes 508..515 of frame 1: the high half of word 63 (last of a chunk), the low half of word 64.
    long address = 4096 + 508;
    memory.write(Addr.maddr(address), 8, 0x1122_3344_5566_7788L);
    assertEquals(0x1122_3344_5566_7788L, memory.read(Addr.maddr(address), 8));
    assertEquals(0x5566_7788L << 32, memory.read(Addr.maddr(4096 + 504), 8));
    assertEquals(0x1122_3344L, memory.read(Addr.maddr(4096 + 512), 8));
    assertEquals(0, copy.read(Addr.maddr(address), 8), "the copy keeps both chunks as they were");
    assertEquals(63, memory.nextNonZeroWord(Addr.mfn(1), 0));
    assertEquals(64, memory.nextNonZeroWord(Addr.mfn(1), 64));
    assertEquals(-1, memory.nextNonZeroWord(Addr.mfn(1), 65));
    copy.restoreFrom(memory);
    memory.write(Addr.maddr(address), 4, 0);
    assertEquals(0x1122_3344_5566_7788L, copy.read(Addr.maddr(address), 8), "restored, then independent");
    assertEquals(0x1122_3344_0000_0000L, memory.read(Addr.maddr(address), 8));
    assertEquals(rehashed(copy, 1), copy.frameHash(Addr.mfn(1)));
    assertEquals(rehashed(memory, 1), memory.frameHash(Addr.mfn(1)));
  }

  @Test
  void framesMatchByContentAcrossMemoriesWithOrWithoutDigests() {
    MachineMemory a = new MachineMemory(FRAMES);
    MachineMemory b = new MachineMemory(FRAMES);
    // The same contents reached by different writes, in different frames.
    a.write(Addr.maddr(4096 + 8), 8, 7);
    a.write(Addr.maddr(4096 + 1000), 4, 0xABCD);
    b.write(Addr.maddr(2 * 4096 + 1000), 8, 0xABCD);
    b.write(Addr.maddr(2 * 4096 + 8), 1, 7);
    assertTrue(a.frameMatches(Addr.mfn(1), b, Addr.mfn(2)));
    assertTrue(a.frameMatches(Addr.mfn(0), b, Addr.mfn(0)));
    b.write(Addr.maddr(2 * 4096 + 9), 1, 1);
    assertFalse(a.frameMatches(Addr.mfn(1), b, Addr.mfn(2)));
    MachineMemory plain = b.copy();
    plain.stopKeepingDigests();
    assertFalse(a.frameMatches(Addr.mfn(1), plain, Addr.mfn(2)), "compared word by word");
    plain.write(Addr.maddr(2 * 4096 + 9), 1, 0);
    assertTrue(a.frameMatches(Addr.mfn(1), plain, Addr.mfn(2)), "compared word by word");
  }

  private static long[][] deepCopy(long[][] frames) {
    long[][] out = new long[frames.length][];
    for (int f = 0; f < frames.length; f++) {
      out[f] = frames[f].clone();
    }
    return out;
  }

  /** Random writes of every size and alignment, on a memory and its copies: hashes track contents. */
  @Test
  void unsharingKeepsContentsAndHashesAndIndependence() {
    MachineMemory original = new MachineMemory(FRAMES);
    original.write(Addr.maddr(0x2010), 4, 0xABCD);
    MachineMemory copy = original.copy();
    copy.unshare();
    assertEquals(0xABCD, copy.read(Addr.maddr(0x2010), 4));
    assertEquals(original.frameHash(Addr.mfn(2)), copy.frameHash(Addr.mfn(2)));
    assertTrue(copy.frameEquals(Addr.mfn(2), original, Addr.mfn(2)));
    copy.write(Addr.maddr(0x2010), 4, 0x1);
    copy.write(Addr.maddr(0x1000), 8, 0x2);
    assertEquals(0xABCD, original.read(Addr.maddr(0x2010), 4));
    assertEquals(0, original.read(Addr.maddr(0x1000), 8));
  }

  @Test
  void frameHashesAreFunctionsOfContents() {
    Random random = new Random(7);
    MachineMemory memory = new MachineMemory(FRAMES);
    MachineMemory shadow = memory.copy();
    int[] sizes = {1, 2, 4, 8};
    for (int i = 0; i < 20_000; i++) {
      int size = sizes[random.nextInt(4)];
      long offset = random.nextInt(64) * (random.nextBoolean() ? 1 : 8) % (4096 - 8);
      long address = (long) random.nextInt(FRAMES) * 4096 + offset;
      long value = random.nextInt(4) == 0 ? 0 : random.nextLong();
      MachineMemory target = random.nextBoolean() ? memory : shadow;
      target.write(Addr.maddr(address), size, value);
      if (random.nextInt(500) == 0) {
        shadow = memory.copy();
      }
      if (random.nextInt(600) == 0) {
        shadow.restoreFrom(memory);
      }
      if (random.nextInt(700) == 0) {
        memory.copyFrame(Addr.mfn(random.nextInt(FRAMES)), Addr.mfn(random.nextInt(FRAMES)));
      }
    }
    for (int frame = 0; frame < FRAMES; frame++) {
      assertEquals(rehashed(memory, frame), memory.frameHash(Addr.mfn(frame)));
      assertEquals(rehashed(shadow, frame), shadow.frameHash(Addr.mfn(frame)));
      assertArrayEquals(digest(rewritten(memory, frame), 0), digest(memory, frame));
      assertArrayEquals(digest(rewritten(shadow, frame), 0), digest(shadow, frame));
      boolean same = memory.frameEquals(Addr.mfn(frame), shadow, Addr.mfn(frame));
      assertEquals(same, memory.frameHash(Addr.mfn(frame)) == shadow.frameHash(Addr.mfn(frame)));
      assertEquals(same, Arrays.equals(digest(memory, frame), digest(shadow, frame)));
    }
  }

  /** Without digests kept, a memory reports the same hashes and digests, worked out when asked. */
  @Test
  void digestsWorkedOutWhenAskedEqualDigestsKeptByEveryWrite() {
    Random random = new Random(11);
    MachineMemory kept = new MachineMemory(FRAMES);
    MachineMemory asked = new MachineMemory(FRAMES);
    asked.stopKeepingDigests();
    int[] sizes = {1, 2, 4, 8};
    for (int i = 0; i < 5_000; i++) {
      int size = sizes[random.nextInt(4)];
      long address = (long) random.nextInt(FRAMES) * 4096 + random.nextInt(4096 - 8);
      long value = random.nextInt(4) == 0 ? 0 : random.nextLong();
      kept.write(Addr.maddr(address), size, value);
      asked.write(Addr.maddr(address), size, value);
      if (random.nextInt(1000) == 0) {
        int frame = random.nextInt(FRAMES);
        kept.zeroFrame(Addr.mfn(frame));
        asked.zeroFrame(Addr.mfn(frame));
      }
    }
    MachineMemory copy = asked.copy();
    copy.write(Addr.maddr(0x10), 8, 0x1234);
    kept.write(Addr.maddr(0x10), 8, 0x1234);
    MachineMemory restored = new MachineMemory(FRAMES);
    restored.restoreFrom(copy);
    restored.write(Addr.maddr(0x2000), 8, 77);
    MachineMemory keptRestored = kept.copy();
    keptRestored.write(Addr.maddr(0x2000), 8, 77);
    for (int frame = 0; frame < FRAMES; frame++) {
      assertEquals(kept.frameHash(Addr.mfn(frame)), copy.frameHash(Addr.mfn(frame)), "frame " + frame);
      assertArrayEquals(digest(kept, frame), digest(copy, frame), "a copy inherits the setting, frame " + frame);
      assertArrayEquals(digest(keptRestored, frame), digest(restored, frame), "restoring adopts it, frame " + frame);
    }
  }

  @Test
  void equalContentsWrittenInDifferentOrdersHashAlike() {
    MachineMemory a = new MachineMemory(1);
    MachineMemory b = new MachineMemory(1);
    a.write(Addr.maddr(0x10), 8, 5);
    a.write(Addr.maddr(0x18), 8, 6);
    b.write(Addr.maddr(0x18), 2, 6);
    b.write(Addr.maddr(0x10), 8, 5);
    assertEquals(a.frameHash(Addr.mfn(0)), b.frameHash(Addr.mfn(0)));
    b.write(Addr.maddr(0x10), 8, 6);
    b.write(Addr.maddr(0x18), 8, 5);
    assertNotEquals(a.frameHash(Addr.mfn(0)), b.frameHash(Addr.mfn(0)), "swapped words must hash apart");
    assertNotEquals(digest(a, 0)[1], digest(b, 0)[1], "in both halves of the digest");
    b.write(Addr.maddr(0x10), 8, 0);
    b.write(Addr.maddr(0x18), 8, 0);
    assertTrue(b.isZeroFrame(Addr.mfn(0)));
    assertEquals(0, b.frameHash(Addr.mfn(0)));
  }

  /** The hash recomputed from the words: a fresh memory written word by word. */
  private static long rehashed(MachineMemory memory, int frame) {
    return rewritten(memory, frame).frameHash(Addr.mfn(0));
  }

  /** A fresh one-frame memory holding {@code frame}'s words, written one by one. */
  private static MachineMemory rewritten(MachineMemory memory, int frame) {
    MachineMemory fresh = new MachineMemory(1);
    for (int offset = 0; offset < 4096; offset += 8) {
      fresh.write(Addr.maddr(offset), 8, memory.read(Addr.maddr((long) frame * 4096 + offset), 8));
    }
    return fresh;
  }

  /** The two words {@link MachineMemory#frameDigest} feeds. */
  private static long[] digest(MachineMemory memory, int frame) {
    long[] words = new long[2];
    int[] fed = new int[1];
    memory.frameDigest(Addr.mfn(frame), word -> words[fed[0]++] = word);
    return words;
  }

  /** The word scans that engines use to visit only set entries, and the copy a snapshot takes. */
  @Test
  void wordScansFindExactlyTheSetWordsAndACopyOfWordsIsDetached() {
    MachineMemory memory = new MachineMemory(FRAMES);
    memory.write(Addr.maddr(0x1000 + 3 * 8), 8, 7);
    memory.write(Addr.maddr(0x1000 + 511 * 8), 4, 9);
    assertEquals(3, memory.nextNonZeroWord(Addr.mfn(1), 0));
    assertEquals(3, memory.nextNonZeroWord(Addr.mfn(1), -5));
    assertEquals(511, memory.nextNonZeroWord(Addr.mfn(1), 4));
    assertEquals(-1, memory.nextNonZeroWord(Addr.mfn(1), 512));
    assertEquals(-1, memory.nextNonZeroWord(Addr.mfn(0), 0));
    long[] words = new long[512];
    memory.copyFrameWords(Addr.mfn(1), words);
    assertEquals(7, words[3]);
    assertEquals(9, words[511]);
    words[3] = 1;
    memory.write(Addr.maddr(0x1000 + 511 * 8), 8, 2);
    assertEquals(7, memory.read(Addr.maddr(0x1000 + 3 * 8), 8), "the copy is the caller's");
    assertEquals(9, words[511], "and later writes do not reach it");
  }
}
