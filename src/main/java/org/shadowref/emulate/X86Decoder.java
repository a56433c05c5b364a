package org.shadowref.emulate;

import org.shadowref.arch.Addr;
import org.shadowref.emulate.DecodedInstruction.Form;
import org.shadowref.emulate.DecodedInstruction.Segment;

/**
 * The decode stage: prefixes, opcode, ModRM, SIB, displacement, immediate. It checks every
 * encoding rule that makes an instruction #UD or #GP before execution (LOCK on a register or a
 * non-lockable operation, register forms of memory-only instructions, the 15-byte limit) and
 * refuses everything outside the subset, so execution only sees well-formed instructions.
 */
final class X86Decoder {
  static final int MAX_LENGTH = 15;

  private final byte[] code;
  private final boolean longMode;
  private final DecodedInstruction insn = new DecodedInstruction();
  private int position;

  private X86Decoder(byte[] code, boolean longMode) {
    this.code = code;
    this.longMode = longMode;
  }

  static DecodedInstruction decode(byte[] code, CpuState.Mode mode) throws Refusal {
    X86Decoder decoder = new X86Decoder(code, mode == CpuState.Mode.LONG_64);
    decoder.decodeInstruction();
    return decoder.insn;
  }

  private void decodeInstruction() throws Refusal {
    int opcode = prefixes();
    insn.addressSize = longMode ? (insn.addressSizeOverride ? 4 : 8) : 4;
    if (!longMode && insn.addressSizeOverride) {
      throw new Refusal("0x67 in 32-bit mode selects 16-bit addressing, which is not emulated");
    }
    if (opcode == 0x0F) {
      twoByteOpcode(nextByte());
    } else {
      oneByteOpcode(opcode);
    }
    insn.length = position;
    checkLock();
  }

  /** Consumes legacy prefixes and a REX prefix; returns the first opcode byte. */
  private int prefixes() throws Refusal {
    while (true) {
      int b = nextByte();
      switch (b) {
        case 0x66:
          insn.operandSizeOverride = true;
          break;
        case 0x67:
          insn.addressSizeOverride = true;
          break;
        case 0xF0:
          insn.lock = true;
          break;
        case 0xF2:
          insn.repeatNotEqual = true;
          break;
        case 0xF3:
          insn.repeat = true;
          break;
        case 0x26:
        case 0x2E:
        case 0x36:
        case 0x3E:
          insn.segment = Segment.FLAT;
          break;
        case 0x64:
          insn.segment = Segment.FS;
          break;
        case 0x65:
          insn.segment = Segment.GS;
          break;
        default:
          if (longMode && (b & 0xF0) == 0x40) {
            // A REX prefix counts only directly before the opcode; one followed by another
            // prefix is ignored, as the hardware ignores it.
            insn.rex = true;
            insn.rexW = (b & 0x8) != 0;
            int rexBits = b & 0x7;
            int opcode = nextByte();
            if ((opcode & 0xF0) == 0x40 || isLegacyPrefix(opcode)) {
              insn.rex = false;
              insn.rexW = false;
              position--;
              continue;
            }
            rexR = (rexBits & 0x4) != 0 ? 8 : 0;
            rexX = (rexBits & 0x2) != 0 ? 8 : 0;
            rexB = (rexBits & 0x1) != 0 ? 8 : 0;
            return opcode;
          }
          return b;
      }
    }
  }

  private int rexR;
  private int rexX;
  private int rexB;

  private static boolean isLegacyPrefix(int b) {
    switch (b) {
      case 0x66:
      case 0x67:
      case 0xF0:
      case 0xF2:
      case 0xF3:
      case 0x26:
      case 0x2E:
      case 0x36:
      case 0x3E:
      case 0x64:
      case 0x65:
        return true;
      default:
        return false;
    }
  }

  private void oneByteOpcode(int opcode) throws Refusal {
    if (opcode < 0x40 && (opcode & 0x7) < 6) {
      // 00..3D: the eight arithmetic operations, six encodings each.
      Operation operation = Operation.ARITHMETIC_GROUP[opcode >>> 3];
      boolean byteSized = (opcode & 1) == 0;
      switch (opcode & 0x7) {
        case 0:
        case 1:
          modrmInstruction(operation, Form.RM_REG, byteSized);
          return;
        case 2:
        case 3:
          modrmInstruction(operation, Form.REG_RM, byteSized);
          return;
        default:
          insn.operation = operation;
          insn.form = Form.ACCUMULATOR_IMM;
          insn.operandSize = byteSized ? 1 : wordSize();
          immediate(Math.min(insn.operandSize, 4));
          return;
      }
    }
    switch (opcode) {
      case 0x80:
      case 0x81:
      case 0x83:
        {
          modrm();
          insn.operation = Operation.ARITHMETIC_GROUP[insn.reg & 0x7];
          insn.form = Form.RM_IMM;
          insn.operandSize = opcode == 0x80 ? 1 : wordSize();
          immediate(opcode == 0x81 ? Math.min(insn.operandSize, 4) : 1);
          return;
        }
      case 0x86:
      case 0x87:
        modrmInstruction(Operation.XCHG, Form.RM_REG, opcode == 0x86);
        return;
      case 0x88:
      case 0x89:
        modrmInstruction(Operation.MOV, Form.RM_REG, opcode == 0x88);
        return;
      case 0xC6:
      case 0xC7:
        modrm();
        if ((insn.reg & 0x7) != 0) {
          throw new Refusal(Addr.hex(opcode) + " /" + (insn.reg & 0x7) + " is not MOV (XABORT/XBEGIN or #UD)");
        }
        insn.operation = Operation.MOV;
        insn.form = Form.RM_IMM;
        insn.operandSize = opcode == 0xC6 ? 1 : wordSize();
        immediate(Math.min(insn.operandSize, 4));
        return;
      case 0xAA:
      case 0xAB:
        if (insn.repeatNotEqual) {
          throw new Refusal("REPNE STOS is not emulated");
        }
        if (insn.addressSizeOverride) {
          throw new Refusal("STOS with a 32-bit address size in 64-bit mode is not emulated");
        }
        insn.operation = Operation.STOS;
        insn.form = Form.STRING;
        insn.operandSize = opcode == 0xAA ? 1 : wordSize();
        return;
      default:
        throw new Refusal("opcode " + Addr.hex(opcode) + " is outside the emulated subset");
    }
  }

  private void twoByteOpcode(int opcode) throws Refusal {
    if (insn.repeat || insn.repeatNotEqual) {
      throw new Refusal("F2/F3 before 0F " + Addr.hex(opcode) + " selects another instruction");
    }
    switch (opcode) {
      case 0xB0:
      case 0xB1:
        modrmInstruction(Operation.CMPXCHG, Form.RM_REG, opcode == 0xB0);
        return;
      case 0xA3:
      case 0xAB:
      case 0xB3:
      case 0xBB:
        modrmInstruction(Operation.BIT_GROUP[(opcode >>> 3) & 0x3], Form.RM_REG, false);
        return;
      case 0xBA:
        modrm();
        if ((insn.reg & 0x7) < 4) {
          throw new Refusal("0F BA /" + (insn.reg & 0x7) + " is #UD");
        }
        insn.operation = Operation.BIT_GROUP[(insn.reg & 0x7) - 4];
        insn.form = Form.RM_IMM;
        insn.operandSize = wordSize();
        immediate(1);
        return;
      case 0xC3:
        if (insn.operandSizeOverride) {
          throw new Refusal("66 0F C3 is #UD (MOVNTI has no 16-bit form)");
        }
        modrmInstruction(Operation.MOVNTI, Form.RM_REG, false);
        requireMemory("MOVNTI");
        return;
      case 0xC7:
        modrm();
        if ((insn.reg & 0x7) != 1) {
          throw new Refusal("0F C7 /" + (insn.reg & 0x7) + " is outside the emulated subset");
        }
        if (insn.operandSizeOverride) {
          throw new Refusal("66 before CMPXCHG8B/16B is not emulated");
        }
        requireMemory("CMPXCHG8B/16B");
        insn.operation = insn.rexW ? Operation.CMPXCHG16B : Operation.CMPXCHG8B;
        insn.form = Form.MEMORY_ONLY;
        insn.operandSize = insn.rexW ? 16 : 8;
        return;
      default:
        throw new Refusal("opcode 0F " + Addr.hex(opcode) + " is outside the emulated subset");
    }
  }

  private void modrmInstruction(Operation operation, Form form, boolean byteSized) throws Refusal {
    modrm();
    insn.operation = operation;
    insn.form = form;
    insn.operandSize = byteSized ? 1 : wordSize();
  }

  private void requireMemory(String what) throws Refusal {
    if (!insn.memory) {
      throw new Refusal(what + " with a register operand is #UD");
    }
  }

  /** The size of a non-byte operand: REX.W wins over 66. */
  private int wordSize() {
    if (insn.rexW) {
      return 8;
    }
    return insn.operandSizeOverride ? 2 : 4;
  }

  private void modrm() throws Refusal {
    int modrm = nextByte();
    insn.hasModrm = true;
    insn.mod = modrm >>> 6;
    insn.reg = ((modrm >>> 3) & 0x7) | rexR;
    int rmLow = modrm & 0x7;
    insn.rm = rmLow | rexB;
    if (insn.mod == 3) {
      return;
    }
    insn.memory = true;
    if (rmLow == 4) {
      sib();
    } else if (rmLow == 5 && insn.mod == 0) {
      insn.ripRelative = longMode;
      insn.displacement = signed(next(4), 4);
      return;
    } else {
      insn.base = insn.rm;
    }
    if (insn.mod == 1) {
      insn.displacement = signed(next(1), 1);
    } else if (insn.mod == 2) {
      insn.displacement = signed(next(4), 4);
    }
  }

  private void sib() throws Refusal {
    int sib = nextByte();
    insn.scale = 1 << (sib >>> 6);
    int index = ((sib >>> 3) & 0x7) | rexX;
    insn.index = index == 4 ? DecodedInstruction.NO_REGISTER : index;
    int baseLow = sib & 0x7;
    if (baseLow == 5 && insn.mod == 0) {
      insn.base = DecodedInstruction.NO_REGISTER;
      insn.displacement = signed(next(4), 4);
    } else {
      insn.base = baseLow | rexB;
    }
  }

  private void immediate(int size) throws Refusal {
    insn.hasImmediate = true;
    insn.immediate = signed(next(size), size);
  }

  private void checkLock() throws Refusal {
    if (!insn.lock) {
      return;
    }
    Operation operation = insn.operation();
    Form form = insn.form();
    boolean memoryDestination = insn.memory && (form == Form.RM_REG || form == Form.RM_IMM || form == Form.MEMORY_ONLY);
    if (!operation.lockable() || !memoryDestination) {
      throw new Refusal("LOCK " + operation.mnemonic() + (memoryDestination ? "" : " without a memory destination") + " is #UD");
    }
  }

  private long next(int size) throws Refusal {
    long value = 0;
    for (int i = 0; i < size; i++) {
      value |= (long) nextByte() << (8 * i);
    }
    return value;
  }

  private int nextByte() throws Refusal {
    if (position >= MAX_LENGTH) {
      throw new Refusal("instruction longer than 15 bytes (#GP)");
    }
    if (position >= code.length) {
      throw new Refusal("instruction truncated after " + code.length + " bytes");
    }
    return code[position++] & 0xFF;
  }

  private static long signed(long value, int size) {
    int shift = 64 - 8 * size;
    return (value << shift) >> shift;
  }
}
