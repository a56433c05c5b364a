package org.shadowref.arch.bits;

/**
 * The algebra on plain {@code long}s: a handle is the vector itself. Every operation is one or
 * two machine instructions after inlining and none allocates, so functions written over the
 * algebra cost the engines what the hand-written bit twiddling did.
 */
public final class ConcreteBits implements BitAlgebra {
  public static final ConcreteBits INSTANCE = new ConcreteBits();

  private ConcreteBits() {}

  @Override
  public long constant(long value) {
    return value;
  }

  @Override
  public long and(long x, long y) {
    return x & y;
  }

  @Override
  public long or(long x, long y) {
    return x | y;
  }

  @Override
  public long xor(long x, long y) {
    return x ^ y;
  }

  @Override
  public long not(long x) {
    return ~x;
  }

  @Override
  public long subtract(long x, long y) {
    return x - y;
  }

  // Java masks shift amounts to 6 bits; the algebra (like SMT-LIB's bvshl) shifts everything out.
  @Override
  public long shiftLeftBy(long x, long amount) {
    return Long.compareUnsigned(amount, 64) < 0 ? x << amount : 0;
  }

  @Override
  public long shiftRightBy(long x, long amount) {
    return Long.compareUnsigned(amount, 64) < 0 ? x >>> amount : 0;
  }

  @Override
  public long equal(long x, long y) {
    return x == y ? TRUE : FALSE;
  }

  @Override
  public long lessUnsigned(long x, long y) {
    return Long.compareUnsigned(x, y) < 0 ? TRUE : FALSE;
  }

  @Override
  public long select(long condition, long ifTrue, long ifFalse) {
    return condition != FALSE ? ifTrue : ifFalse;
  }
}
