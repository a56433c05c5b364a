package org.shadowref.check.coverage;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.check.coverage.CoverageModel.Form;

/**
 * The store form of an instruction, read from its bytes with a table of its own (SDM vol. 2
 * opcode map), not the emulator's decoder: what the instruction is, not how an engine reads it.
 */
final class InstructionForms {
  private InstructionForms() {}

  /** The form of the instruction at the start of {@code code}, or null for one that stores nothing we class. */
  static @Nullable Form of(byte[] code, boolean longMode) {
    int i = 0;
    boolean rexW = false;
    while (i < code.length) {
      int b = code[i] & 0xFF;
      if (b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x26 || b == 0x2E || b == 0x36
          || b == 0x3E || b == 0x64 || b == 0x65) {
        i++;
      } else if (longMode && b >= 0x40 && b <= 0x4F) {
        rexW = (b & 0x08) != 0;
        i++;
      } else {
        break;
      }
    }
    if (i >= code.length) {
      return null;
    }
    int op = code[i] & 0xFF;
    if (op < 0x40 && (op & 0x07) <= 1) {
      return Form.ALU; // ADD, OR, ADC, SBB, AND, SUB, XOR, CMP r/m, reg
    }
    switch (op) {
      case 0x80:
      case 0x81:
      case 0x83:
        return Form.ALU;
      case 0x86:
      case 0x87:
        return Form.XCHG;
      case 0x88:
      case 0x89:
      case 0xC6:
      case 0xC7:
        return Form.MOV;
      case 0xAA:
      case 0xAB:
        return Form.STOS;
      case 0x0F:
        return i + 1 < code.length ? twoByte(code[i + 1] & 0xFF, rexW) : null;
      default:
        return null;
    }
  }

  /** The bytes one element of a STOS stores: 1 (STOSB), else 2, 4 or 8 by the operand size; 0 for another opcode. */
  static int stosBytes(byte[] code, boolean longMode) {
    boolean operandSize16 = false;
    boolean rexW = false;
    for (byte raw : code) {
      int b = raw & 0xFF;
      if (b == 0x66) {
        operandSize16 = true;
      } else if (b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E
          || b == 0x64 || b == 0x65) {
        continue;
      } else if (longMode && b >= 0x40 && b <= 0x4F) {
        rexW = (b & 0x08) != 0;
      } else if (b == 0xAA) {
        return 1;
      } else if (b == 0xAB) {
        return rexW ? 8 : operandSize16 ? 2 : 4;
      } else {
        return 0;
      }
    }
    return 0;
  }

  private static @Nullable Form twoByte(int op, boolean rexW) {
    switch (op) {
      case 0xB0:
      case 0xB1:
        return Form.CMPXCHG;
      case 0xC7:
        return rexW ? Form.CMPXCHG16B : Form.CMPXCHG8B;
      case 0xAB:
      case 0xB3:
      case 0xBB:
      case 0xBA:
        return Form.BIT;
      case 0xC3:
        return Form.MOVNTI;
      default:
        return null;
    }
  }
}
