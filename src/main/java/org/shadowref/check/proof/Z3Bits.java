package org.shadowref.check.proof;

import com.microsoft.z3.BitVecExpr;
import com.microsoft.z3.BitVecNum;
import com.microsoft.z3.BoolExpr;
import com.microsoft.z3.Context;
import com.microsoft.z3.Expr;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.shadowref.arch.bits.BitAlgebra;

/**
 * The algebra on Z3 terms: a handle names a 64-bit bit-vector term built in this object's Z3
 * context. Handles carry a tag in their upper half, so a handle that went through Java arithmetic
 * by mistake (which the concrete interpretation would not notice) is rejected here at once.
 */
public final class Z3Bits implements BitAlgebra, AutoCloseable {
  static final int WIDTH = 64;
  private static final long HANDLE_TAG = 0x5A3D_0000_0000_0000L;
  private static final long TAG_MASK = 0xFFFF_0000_0000_0000L;

  private final Context context = new Context();
  private final List<BitVecExpr> terms = new ArrayList<>();
  private final BitVecExpr zero = context.mkBV(0, WIDTH);
  private final BitVecExpr ones = context.mkBVNot(zero);

  public Context context() {
    return context;
  }

  /** A fresh unknown vector: the prover quantifies over all its values. */
  public long variable(String name) {
    return handle(context.mkBVConst(name, WIDTH));
  }

  /** A fresh unknown condition, with the Boolean the prover quantifies over. */
  public long conditionOf(BoolExpr truth) {
    return handle(ite(truth, ones, zero));
  }

  /** The term a handle names. */
  public BitVecExpr term(long handle) {
    long index = handle & ~TAG_MASK;
    if ((handle & TAG_MASK) != HANDLE_TAG || index >= terms.size()) {
      throw new IllegalArgumentException(
          "not a Z3 handle: 0x" + Long.toHexString(handle) + " (Java arithmetic on a handle?)");
    }
    return terms.get((int) index);
  }

  /** The Boolean a condition stands for: any set bit is true, as in {@link #select}. */
  public BoolExpr holds(long condition) {
    return context.mkNot(context.mkEq(term(condition), zero));
  }

  /** The Boolean {@code x == y}. */
  public BoolExpr same(long x, long y) {
    return context.mkEq(term(x), term(y));
  }

  /** The Boolean {@code x < value}, unsigned. */
  public BoolExpr below(long x, long value) {
    return context.mkBVULT(term(x), vector(value));
  }

  /** The value of a closed term (one without variables), e.g. after substitution. */
  public static long valueOf(Expr<?> closed) {
    Expr<?> simplified = closed.simplify();
    if (!(simplified instanceof BitVecNum number)) {
      throw new IllegalArgumentException("not a constant: " + simplified);
    }
    return number.getBigInteger().longValue();
  }

  @Override
  public long constant(long value) {
    return handle(vector(value));
  }

  @Override
  public long and(long x, long y) {
    return handle(context.mkBVAND(term(x), term(y)));
  }

  @Override
  public long or(long x, long y) {
    return handle(context.mkBVOR(term(x), term(y)));
  }

  @Override
  public long xor(long x, long y) {
    return handle(context.mkBVXOR(term(x), term(y)));
  }

  @Override
  public long not(long x) {
    return handle(context.mkBVNot(term(x)));
  }

  @Override
  public long subtract(long x, long y) {
    return handle(context.mkBVSub(term(x), term(y)));
  }

  @Override
  public long shiftLeftBy(long x, long amount) {
    return handle(context.mkBVSHL(term(x), term(amount)));
  }

  @Override
  public long shiftRightBy(long x, long amount) {
    return handle(context.mkBVLSHR(term(x), term(amount)));
  }

  @Override
  public long equal(long x, long y) {
    return conditionOf(context.mkEq(term(x), term(y)));
  }

  @Override
  public long lessUnsigned(long x, long y) {
    return conditionOf(context.mkBVULT(term(x), term(y)));
  }

  @Override
  public long select(long condition, long ifTrue, long ifFalse) {
    return handle(ite(holds(condition), term(ifTrue), term(ifFalse)));
  }

  @Override
  public void close() {
    context.close();
  }

  BitVecExpr vector(long value) {
    // Through BigInteger: the 64-bit pattern, whatever its sign as a Java long.
    return context.mkBV(new BigInteger(Long.toUnsignedString(value)).toString(), WIDTH);
  }

  BitVecExpr ite(BoolExpr condition, BitVecExpr ifTrue, BitVecExpr ifFalse) {
    return (BitVecExpr) context.mkITE(condition, ifTrue, ifFalse);
  }

  long handle(BitVecExpr term) {
    terms.add(term);
    return HANDLE_TAG | (terms.size() - 1);
  }
}
