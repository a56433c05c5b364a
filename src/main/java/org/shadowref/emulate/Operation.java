package org.shadowref.emulate;

/** The operations the emulator decodes: the stores and read-modify-writes guests aim at page tables. */
enum Operation {
  ADD(true),
  OR(true),
  ADC(true),
  SBB(true),
  AND(true),
  SUB(true),
  XOR(true),
  /** Compares only: reads its destination, never writes it. */
  CMP(false),
  MOV(false),
  XCHG(true),
  CMPXCHG(true),
  CMPXCHG8B(true),
  CMPXCHG16B(true),
  /** Tests a bit only: reads its destination, never writes it. */
  BT(false),
  BTS(true),
  BTR(true),
  BTC(true),
  STOS(false),
  MOVNTI(false);

  /** The eight arithmetic operations in the order of the ModRM reg field of opcodes 80/81/83. */
  static final Operation[] ARITHMETIC_GROUP = {ADD, OR, ADC, SBB, AND, SUB, XOR, CMP};

  /** The bit operations in the order of the ModRM reg field of 0F BA /4../7. */
  static final Operation[] BIT_GROUP = {BT, BTS, BTR, BTC};

  private final boolean lockable;

  Operation(boolean lockable) {
    this.lockable = lockable;
  }

  /** Whether LOCK is legal with this operation (given a memory destination). */
  boolean lockable() {
    return lockable;
  }

  String mnemonic() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
