package org.shadowref.arch.bits;

/**
 * Operations on 64-bit vectors, written against <em>handles</em>: a {@code long} that stands for
 * a vector. In the concrete interpretation a handle is the vector itself, so code written over
 * this interface runs on primitives and allocates nothing; in the prover's interpretation a
 * handle names a Z3 term. Code over the algebra must therefore never compute on handles with
 * Java operators: every {@code &}, {@code |} and comparison goes through the algebra, or the
 * prover would see a different formula from the one the engines run.
 *
 * <p>A <em>condition</em> is a vector that is all ones (true) or all zeros (false), so that
 * {@code and(condition, x)} keeps {@code x} exactly when the condition holds.
 *
 * <p>Parameters named {@code x}, {@code y}, {@code condition} and {@code amount} are handles;
 * parameters named {@code value}, {@code mask} and {@code bits} are plain Java numbers.
 */
public interface BitAlgebra {
  /** The condition "true": all 64 bits set. */
  long TRUE = -1L;
  /** The condition "false". */
  long FALSE = 0L;

  /** The handle of a known vector. */
  long constant(long value);

  long and(long x, long y);

  long or(long x, long y);

  long xor(long x, long y);

  long not(long x);

  /** Difference modulo 2^64. */
  long subtract(long x, long y);

  /** {@code x} shifted left by {@code amount} bits; 0 when the amount is 64 or more (unsigned). */
  long shiftLeftBy(long x, long amount);

  /** {@code x} shifted right, zero-filling, by {@code amount}; 0 when the amount is 64 or more. */
  long shiftRightBy(long x, long amount);

  /** The condition {@code x == y}. */
  long equal(long x, long y);

  /** The condition {@code x < y}, both read as unsigned. */
  long lessUnsigned(long x, long y);

  /** {@code ifTrue} when the condition holds, else {@code ifFalse}. */
  long select(long condition, long ifTrue, long ifFalse);

  // Derived operations: defined once here, so both interpretations share them.

  /** The condition that a Java boolean stands for. */
  default long condition(boolean value) {
    return constant(value ? TRUE : FALSE);
  }

  default long and(long x, long y, long z) {
    return and(and(x, y), z);
  }

  default long or(long x, long y, long z) {
    return or(or(x, y), z);
  }

  /** {@code x} with only the bits of {@code mask} kept. */
  default long masked(long x, long mask) {
    return and(x, constant(mask));
  }

  /** {@code x} where the condition holds, else zero. */
  default long when(long condition, long x) {
    return and(condition, x);
  }

  /** The condition that {@code x} has at least one bit of {@code mask} set. */
  default long anySet(long x, long mask) {
    return not(isZero(masked(x, mask)));
  }

  /** The condition that {@code x} has every bit of {@code mask} set. */
  default long allSet(long x, long mask) {
    return equal(masked(x, mask), constant(mask));
  }

  /** The condition {@code x == 0}. */
  default long isZero(long x) {
    return equal(x, constant(0));
  }

  /** The condition {@code x == value}. */
  default long equalTo(long x, long value) {
    return equal(x, constant(value));
  }

  default long shiftLeft(long x, int bits) {
    return shiftLeftBy(x, constant(bits));
  }

  default long shiftRight(long x, int bits) {
    return shiftRightBy(x, constant(bits));
  }

  /** Bits {@code high..low} set, the rest clear; {@code low} is a handle, empty when above high. */
  default long bitsFrom(int high, long low) {
    long upToHigh = constant(high >= 63 ? -1L : (1L << (high + 1)) - 1);
    return and(upToHigh, shiftLeftBy(constant(-1L), low));
  }
}
