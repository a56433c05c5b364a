package org.shadowref.shadow.entry;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.ReservedBits;
import org.shadowref.memory.P2mType;

/**
 * The entry functions run on the concrete interpretation without allocating: the optimized
 * engine calls them on its fault path, which promises no allocation. Measured with the JVM's
 * per-thread allocation counter over a million calls of each.
 */
class EntryEncodingsAllocateNothingTest {
  private static final int CALLS = 1_000_000;
  /** Slack for the counter itself; a single allocation per call would be at least 16 MB. */
  private static final long SLACK_BYTES = 64 * 1024;

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  private static long exercise(int calls) {
    ControlRegisters guest = ControlRegisters.forMode(PagingMode.PAE, 0);
    P2mType[] types = P2mType.values(); // values() copies its array: fetched once, outside
    PagingMode[] modes = PagingMode.values();
    long sum = 0;
    for (int i = 0; i < calls; i++) {
      long entry = 0x67L | ((long) i << 12) | ((long) i << 63);
      sum += Propagation.leaf(entry, types[i & 3], Addr.mfn(i), (i & 4) != 0, (i & 8) != 0, ShadowFormat.LONG_64);
      sum += Propagation.directory(entry, PagingMode.FOUR_LEVEL, 2, Addr.mfn(i), true, ShadowFormat.LONG_64);
      sum += Propagation.asSmallLeaf(entry);
      long mmio = MagicEntries.encodeMmio(Addr.gfn(i));
      sum += MagicEntries.mmioGfn(mmio);
      sum += MagicEntries.isMagic(entry) ? 1 : 0;
      sum += MagicEntries.isMmio(mmio) ? 1 : 0;
      sum += MagicEntries.isGuestNotPresent(mmio) ? 1 : 0;
      sum += MagicEntries.guestNotPresentErrorCode(PfErrorCode.P | PfErrorCode.RSVD | (i & 0x16), guest);
      sum += ReservedBits.mask(modes[i % 3], 1 + (i & 1), (i & 2) != 0, (i & 4) != 0, 32 + (i % 21));
    }
    return sum;
  }

  @Test
  void aMillionCallsOfEachAllocateNothing() {
    long warm = exercise(CALLS); // let the JIT compile the loop first
    long before = allocatedBytes();
    long sum = exercise(CALLS);
    long allocated = allocatedBytes() - before;
    assertNotEquals(0, sum ^ warm ^ 1); // keep the results alive
    assertTrue(allocated < SLACK_BYTES, "allocated " + allocated + " bytes in " + CALLS + " rounds");
  }
}
