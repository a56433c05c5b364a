package org.shadowref.emulate;

/**
 * The arithmetic and its flags, computed the way hardware adders do: the carry out of the top
 * bit and of bit 3 from the carry vector {@code (a & b) | ((a | b) & ~r)}, overflow from the signs
 * of the operands and the result, parity from a table of the low byte.
 *
 * <p>Undefined flags: AND, OR and XOR clear AF.
 */
final class Alu {
  static final long CF = 1L << 0;
  static final long PF = 1L << 2;
  static final long AF = 1L << 4;
  static final long ZF = 1L << 6;
  static final long SF = 1L << 7;
  static final long OF = 1L << 11;
  static final long DF = 1L << 10;
  static final long ARITHMETIC_FLAGS = CF | PF | AF | ZF | SF | OF;

  private static final boolean[] EVEN_PARITY = new boolean[256];

  static {
    for (int i = 0; i < 256; i++) {
      int bits = i;
      boolean even = true;
      while (bits != 0) {
        even = !even;
        bits &= bits - 1;
      }
      EVEN_PARITY[i] = even;
    }
  }

  /** The result of one operation: the value and the full RFLAGS after it. */
  long result;
  long flags;

  private Alu() {}

  static long mask(int size) {
    return size == 8 ? -1L : (1L << (8 * size)) - 1;
  }

  static long signBit(int size) {
    return 1L << (8 * size - 1);
  }

  /**
   * Computes {@code operation} on {@code a} and {@code b} of {@code size} bytes with the incoming
   * {@code rflags}; CMP computes as SUB (the caller does not write its result).
   */
  static Alu arithmetic(Operation operation, long a, long b, int size, long rflags) {
    Alu out = new Alu();
    long carryIn = (rflags & CF) != 0 ? 1 : 0;
    switch (operation) {
      case ADD:
        out.add(a, b, 0, size, rflags);
        break;
      case ADC:
        out.add(a, b, carryIn, size, rflags);
        break;
      case SUB:
      case CMP:
        out.subtract(a, b, 0, size, rflags);
        break;
      case SBB:
        out.subtract(a, b, carryIn, size, rflags);
        break;
      case AND:
        out.logic(a & b, size, rflags);
        break;
      case OR:
        out.logic(a | b, size, rflags);
        break;
      case XOR:
        out.logic(a ^ b, size, rflags);
        break;
      default:
        throw new IllegalArgumentException(operation + " is not arithmetic");
    }
    return out;
  }

  private void add(long a, long b, long carryIn, int size, long rflags) {
    long r = (a + b + carryIn) & mask(size);
    long carries = (a & b) | ((a | b) & ~r);
    long overflow = (a ^ r) & (b ^ r);
    finish(r, size, rflags, carries, overflow);
  }

  private void subtract(long a, long b, long borrowIn, int size, long rflags) {
    long r = (a - b - borrowIn) & mask(size);
    long borrows = (~a & b) | ((~a | b) & r);
    long overflow = (a ^ b) & (a ^ r);
    finish(r, size, rflags, borrows, overflow);
  }

  private void finish(long r, int size, long rflags, long carries, long overflow) {
    long sign = signBit(size);
    long f = resultFlags(r, size, rflags & ~ARITHMETIC_FLAGS);
    if ((carries & sign) != 0) {
      f |= CF;
    }
    if ((carries & 0x8) != 0) {
      f |= AF;
    }
    if ((overflow & sign) != 0) {
      f |= OF;
    }
    result = r;
    flags = f;
  }

  private void logic(long value, int size, long rflags) {
    result = value & mask(size);
    flags = resultFlags(result, size, rflags & ~ARITHMETIC_FLAGS);
  }

  /** Sets SF, ZF and PF from {@code r} into {@code flags}. */
  static long resultFlags(long r, int size, long flags) {
    long f = flags;
    if ((r & signBit(size)) != 0) {
      f |= SF;
    }
    if ((r & mask(size)) == 0) {
      f |= ZF;
    }
    if (EVEN_PARITY[(int) (r & 0xFF)]) {
      f |= PF;
    }
    return f;
  }
}
