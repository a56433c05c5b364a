package org.shadowref.check.proof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.microsoft.z3.BitVecExpr;
import com.microsoft.z3.Expr;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.ReservedBits;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.arch.bits.ConcreteBits;
import org.shadowref.shadow.entry.MagicEntries;
import org.shadowref.shadow.entry.Propagation;

/**
 * The two interpretations of the algebra agree: each function, built once as a Z3 term over
 * unknowns and evaluated at random points, gives what the concrete code gives there. This is what
 * makes a proof about the Z3 term a proof about the code the engines run.
 */
class Z3AgreesWithConcreteTest {
  private static final int SAMPLES = 300;
  private final SplittableRandom random = new SplittableRandom(0x5EED);

  /** A function of some vectors over any interpretation. */
  private interface Function {
    long apply(BitAlgebra b, long[] inputs);
  }

  /** Inputs of a sample: mostly random words, some small, some conditions. */
  private long sample(char shape) {
    switch (shape) {
      case 'c': // a condition
        return random.nextBoolean() ? BitAlgebra.TRUE : BitAlgebra.FALSE;
      case 't': // a P2M type ordinal
        return random.nextInt(4);
      case 'm': // a MAXPHYADDR
        return 32 + random.nextInt(21);
      case 'f': // a frame number
        return random.nextLong() >>> (24 + random.nextInt(40));
      case 'g': // an entry that is often magic
        switch (random.nextInt(4)) {
          case 0:
            return MagicEntries.GUEST_NOT_PRESENT;
          case 1:
            return MagicEntries.encodeMmio(org.shadowref.arch.Addr.gfn(random.nextLong() >>> 28));
          case 2:
            return random.nextLong() | MagicEntries.TAG | 1;
          default:
            return random.nextLong();
        }
      default: // an entry, sometimes with its usual flags set
        long value = random.nextLong();
        return random.nextBoolean() ? value | 0x61 : value;
    }
  }

  private void assertAgree(String name, String shapes, Function function) {
    try (Z3Bits z3 = new Z3Bits()) {
      long[] handles = new long[shapes.length()];
      BitVecExpr[] unknowns = new BitVecExpr[shapes.length()];
      for (int i = 0; i < handles.length; i++) {
        handles[i] = z3.variable("x" + i);
        unknowns[i] = z3.term(handles[i]);
      }
      Expr<?> term = z3.term(function.apply(z3, handles));
      for (int n = 0; n < SAMPLES; n++) {
        long[] values = new long[shapes.length()];
        BitVecExpr[] constants = new BitVecExpr[shapes.length()];
        for (int i = 0; i < values.length; i++) {
          values[i] = sample(shapes.charAt(i));
          constants[i] = z3.vector(values[i]);
        }
        long expected = function.apply(ConcreteBits.INSTANCE, values);
        long actual = Z3Bits.valueOf(term.substitute(unknowns, constants));
        assertEquals(expected, actual, name + " at " + java.util.Arrays.toString(values));
      }
    }
  }

  @Test
  void propagationAgrees() {
    assertAgree("leaf", "etfccc", (b, x) -> Propagation.leaf(b, x[0], x[1], x[2], x[3], x[4], x[5]));
    assertAgree(
        "directory", "efccc", (b, x) -> Propagation.directory(b, x[0], x[1], x[2], x[3], x[4]));
    assertAgree("asSmallLeaf", "e", (b, x) -> Propagation.asSmallLeaf(b, x[0]));
  }

  @Test
  void magicEntriesAgree() {
    assertAgree("isMagic", "g", (b, x) -> MagicEntries.isMagic(b, x[0]));
    assertAgree("isMmio", "g", (b, x) -> MagicEntries.isMmio(b, x[0]));
    assertAgree("isGuestNotPresent", "g", (b, x) -> MagicEntries.isGuestNotPresent(b, x[0]));
    assertAgree("mmioGfn", "g", (b, x) -> MagicEntries.mmioGfn(b, x[0]));
    assertAgree("encodeMmio", "f", (b, x) -> MagicEntries.encodeMmio(b, x[0]));
    assertAgree(
        "guestNotPresentErrorCode",
        "eccc",
        (b, x) -> MagicEntries.guestNotPresentErrorCode(b, b.masked(x[0], 0x1F), x[1], x[2], x[3]));
  }

  @Test
  void reservedBitsAgree() {
    for (PagingMode mode : PagingMode.values()) {
      for (int level = 1; level <= mode.levels(); level++) {
        for (boolean large : new boolean[] {false, true}) {
          int l = level;
          assertAgree(
              mode + " level " + level + (large ? " large" : ""),
              "cm",
              (b, x) -> ReservedBits.mask(b, mode, l, large, x[0], x[1]));
        }
      }
    }
  }

  @Test
  void aHandleThatWentThroughJavaArithmeticIsRejected() {
    try (Z3Bits z3 = new Z3Bits()) {
      long entry = z3.variable("entry");
      assertThrows(IllegalArgumentException.class, () -> z3.term(entry & 0xFFF));
      assertThrows(IllegalArgumentException.class, () -> z3.term(entry + 1));
    }
  }
}
