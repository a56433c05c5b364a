package org.shadowref.shadow.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shadowref.shadow.Forks;
import org.shadowref.shadow.GeneratedGuest;
import org.shadowref.shadow.GuestOp;

/**
 * Generated small guests and operation sequences: after every operation the reference engine
 * agrees with the native machine (result and all guest memory, A/D bits included) and every
 * invariant holds. Guests map some of their own page tables, so sequences edit live tables.
 */
class ReferencePropertyTest {
  @Test
  void referenceEqualsNativeAndAllInvariantsHoldAfterEveryOperation() {
    qt().withExamples(Integer.getInteger("shadowref.examples", 300))
        .forAll(integers().all(), lists().of(integers().all()).ofSizeBetween(1, 40))
        .checkAssert((seed, codes) -> {
          GeneratedGuest guest = new GeneratedGuest(seed);
          Twin twin = new Twin(guest.world, ReferenceEngine.Config.DEFAULT.withTwoOnTwo(guest.twoOnTwo));
          for (int code : codes) {
            twin.apply(guest.op(code, twin.oracle.guest()));
          }
        });
  }

  @Test
  void aCopyTakenMidwayBehavesExactlyLikeTheOriginal() {
    qt().withExamples(60)
        .forAll(integers().all(), lists().of(integers().all()).ofSizeBetween(2, 30))
        .checkAssert((seed, codes) -> {
          GeneratedGuest guest = new GeneratedGuest(seed);
          Twin twin = new Twin(guest.world, ReferenceEngine.Config.DEFAULT.withTwoOnTwo(guest.twoOnTwo));
          List<GuestOp> ops = new ArrayList<>();
          for (int i = 0; i < codes.size(); i++) {
            GuestOp op = guest.op(codes.get(i), twin.oracle.guest());
            ops.add(op);
            twin.apply(op);
          }
          // Replay: a fresh engine, copied halfway; both halves of the fork must stay equal.
          ReferenceEngine engine = new ReferenceEngine(guest.world.machine().copy(),
              ReferenceEngine.Config.DEFAULT.withTwoOnTwo(guest.twoOnTwo), Twin.CPU, Twin.EMULATOR);
          Forks.assertCopyMidwayBehavesAlike(engine, ops);
          assertEquals(twin.engine.fingerprint(), engine.fingerprint(), "same ops from the same world");
        });
  }
}
