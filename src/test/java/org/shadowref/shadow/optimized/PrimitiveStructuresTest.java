package org.shadowref.shadow.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The optimized engine's primitive structures behave as the plain collections they replace. */
class PrimitiveStructuresTest {

  @Test
  void hashTableAgreesWithHashMapUnderRandomChurn() {
    // Few distinct keys in a small table, so probe runs collide and deletions shift entries back.
    qt().withExamples(300)
        .forAll(lists().of(integers().between(0, 3 * 64 - 1)).ofSizeBetween(0, 400))
        .checkAssert(ops -> {
          LongLongHashTable table = new LongLongHashTable(48);
          Map<Long, Long> model = new HashMap<>();
          for (int op : ops) {
            long key = (op % 64) * 16L + 3;
            if (op / 64 == 2) {
              assertEquals(model.remove(key) != null, table.remove(key));
            } else if (model.size() < 48 || model.containsKey(key)) {
              table.put(key, op);
              model.put(key, (long) op);
            }
            assertEquals(model.size(), table.size());
          }
          for (long key = 0; key < 64 * 16; key++) {
            assertEquals(model.getOrDefault(key, -7L), table.get(key, -7L), "key " + key);
          }
          Map<Long, Long> visited = new HashMap<>();
          table.forEach(visited::put);
          assertEquals(model, visited);
        });
  }

  @Test
  void hashTableRefusesToGrowPastItsBound() {
    LongLongHashTable table = new LongLongHashTable(2);
    table.put(1, 1);
    table.put(2, 2);
    table.put(2, 3);
    assertThrows(IllegalStateException.class, () -> table.put(4, 4));
    assertThrows(IllegalArgumentException.class, () -> new LongLongHashTable(4).put(-1, 0));
  }

  @Test
  void reverseMapAgreesWithSetsUnderRandomChurn() {
    qt().withExamples(300)
        .forAll(lists().of(integers().between(0, 2 * 8 * 40 - 1)).ofSizeBetween(0, 300))
        .checkAssert(ops -> {
          ReverseMap rmap = new ReverseMap(8, 4); // starts tiny: growth is exercised
          List<Set<Long>> model = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            model.add(new HashSet<>());
          }
          for (int op : ops) {
            int frame = op % 8;
            long entry = 0x1000L + 8L * ((op / 8) % 40);
            if (op / (8 * 40) == 0) {
              if (model.get(frame).add(entry)) {
                rmap.add(frame, entry);
              }
            } else {
              assertEquals(model.get(frame).remove(entry), rmap.remove(frame, entry));
            }
          }
          int total = 0;
          for (int frame = 0; frame < 8; frame++) {
            Set<Long> seen = new HashSet<>();
            rmap.forEachMapping(frame, seen::add);
            assertEquals(model.get(frame), seen);
            assertEquals(model.get(frame).size(), rmap.count(frame));
            total += seen.size();
          }
          assertEquals(total, rmap.size());
        });
  }

  @Test
  void reverseMapVisitorMayRemoveTheMappingItIsGiven() {
    ReverseMap rmap = new ReverseMap(2, 4);
    for (long entry = 0; entry < 10; entry++) {
      rmap.add(1, entry * 8);
    }
    rmap.forEachMapping(1, entry -> rmap.remove(1, entry));
    assertEquals(0, rmap.size());
    assertEquals(0, rmap.count(1));
  }

  @Test
  void leafReverseMapAgreesWithSetsUnderRandomChurn() {
    // Pool frames 10 and 11; each leaf slot maps at most one of 6 frames at a time.
    qt().withExamples(300)
        .forAll(lists().of(integers().between(0, 2 * 6 * 64 - 1)).ofSizeBetween(0, 400))
        .checkAssert(ops -> {
          LeafReverseMap rmap = new LeafReverseMap(10, 2, 16);
          Map<Long, Integer> mapped = new HashMap<>(); // leaf address -> frame
          for (int op : ops) {
            int frame = op % 6;
            int slot = (op / 6) % 64;
            long leaf = ((10L + slot % 2) << 12) + 8L * (slot / 2) * 3; // 8-byte slots, spread out
            boolean remove = op >= 6 * 64;
            Integer current = mapped.get(leaf);
            if (remove) {
              if (current == null) {
                assertEquals(false, rmap.remove(frame, leaf));
              } else if (current == frame) {
                assertEquals(true, rmap.remove(frame, leaf));
                mapped.remove(leaf);
              }
            } else if (current == null) {
              rmap.add(frame, leaf);
              mapped.put(leaf, frame);
            }
          }
          for (int frame = 0; frame < 6; frame++) {
            Set<Long> expected = new HashSet<>();
            for (Map.Entry<Long, Integer> leaf : mapped.entrySet()) {
              if (leaf.getValue() == frame) {
                expected.add(leaf.getKey());
              }
            }
            int count = rmap.count(frame);
            long[] entries = rmap.entries(frame, new long[1]);
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < count; i++) {
              seen.add(entries[i]);
            }
            assertEquals(expected, seen, "frame " + frame);
            assertEquals(expected.isEmpty(), rmap.isEmpty(frame));
          }
          assertEquals(mapped.size(), rmap.size());
        });
  }

  @Test
  void leafReverseMapRefusesWhatWouldCorruptIt() {
    LeafReverseMap rmap = new LeafReverseMap(10, 1, 16);
    long leaf = (10L << 12) + 0x18;
    rmap.add(3, leaf);
    assertThrows(IllegalStateException.class, () -> rmap.add(4, leaf), "a slot maps one frame");
    assertThrows(IllegalStateException.class, () -> rmap.remove(4, leaf), "forgotten under another frame");
    assertThrows(IllegalArgumentException.class, () -> rmap.add(3, (11L << 12)), "outside the pool");
    LeafReverseMap copy = rmap.copy();
    assertEquals(true, rmap.remove(3, leaf));
    assertEquals(false, rmap.remove(3, leaf));
    assertEquals(1, copy.count(3), "a copy is independent");
  }
}
