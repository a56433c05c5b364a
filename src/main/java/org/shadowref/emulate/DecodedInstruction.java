package org.shadowref.emulate;

import org.checkerframework.checker.nullness.qual.MonotonicNonNull;

/**
 * What the decode stage hands to execution: the operation, its operand shape and sizes, the
 * ModRM/SIB fields with REX extensions applied, displacement and immediate. Register numbers are
 * 0..15; {@link #NO_REGISTER} marks an absent base or index.
 */
final class DecodedInstruction {
  static final int NO_REGISTER = -1;

  /** Which of the operands the opcode names; the first one named is the destination. */
  enum Form {
    /** r/m ← r/m op reg (00, 01, 86, 88, 0F B0, 0F AB, ...). */
    RM_REG,
    /** reg ← reg op r/m (02, 03, ...): memory is only read. */
    REG_RM,
    /** r/m ← r/m op imm (80, 81, 83, C6, C7, 0F BA). */
    RM_IMM,
    /** AL/AX/EAX/RAX ← accumulator op imm (04, 05, ...). */
    ACCUMULATOR_IMM,
    /** A single memory operand (0F C7 /1). */
    MEMORY_ONLY,
    /** Implicit operands: ES:rDI, rAX, rCX (STOS). */
    STRING
  }

  /** Segments whose base can be non-zero; every other override is flat. */
  enum Segment {
    FLAT,
    FS,
    GS
  }

  int length;
  @MonotonicNonNull Operation operation;
  @MonotonicNonNull Form form;
  /** Operand size in bytes: 1, 2, 4, 8 (16 for CMPXCHG16B's memory operand). */
  int operandSize;
  /** Address size in bytes: 4 or 8. */
  int addressSize;
  boolean lock;
  /** F3: REP for STOS; a hint elsewhere. */
  boolean repeat;
  /** F2: a hint on the one-byte forms. */
  boolean repeatNotEqual;
  boolean operandSizeOverride;
  boolean addressSizeOverride;
  Segment segment = Segment.FLAT;
  /** Any REX prefix (it changes which byte registers 4..7 name). */
  boolean rex;
  boolean rexW;

  // ModRM, with REX.R applied to reg and REX.B to rm.
  boolean hasModrm;
  int mod;
  int reg;
  int rm;

  // The memory operand, when mod != 3 (or for STOS, built by execution from rDI).
  boolean memory;
  int base = NO_REGISTER;
  int index = NO_REGISTER;
  int scale = 1;
  long displacement;
  boolean ripRelative;

  boolean hasImmediate;
  /** The immediate, already sign-extended to 64 bits where the SDM sign-extends it. */
  long immediate;

  Operation operation() {
    if (operation == null) {
      throw new IllegalStateException("decode did not set the operation");
    }
    return operation;
  }

  Form form() {
    if (form == null) {
      throw new IllegalStateException("decode did not set the form");
    }
    return form;
  }
}
