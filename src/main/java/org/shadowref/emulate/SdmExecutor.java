package org.shadowref.emulate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.mmu.AccessOutcome;

/**
 * The differential oracle: the same instruction subset as {@link X86Emulator}, written a second
 * time straight from the SDM's pseudo-code, as a byte-at-a-time interpreter that shares no decode
 * or execute code with the emulator. Memory operands are lists of byte addresses, each byte's page
 * translated on first touch; stores are staged as bytes and written only when the instruction
 * completes, which is the executor contract (nothing changes unless the result is DONE).
 *
 * <p>Flags the SDM leaves undefined get the values of one fixed CPU model, the one the guest is
 * taken to run on (proofs/emulation-oracle.md, "Undefined flags"): AND/OR/XOR clear AF; the bit
 * tests leave OF, SF, AF and PF unchanged. The emulator must give the same values, as a
 * hypervisor's emulator must reproduce the CPU it runs on, so every comparison covers all of RFLAGS.
 *
 * <p>Where the hypervisor's emulator deliberately refuses (16-bit addressing, F2/F3 before 0F
 * opcodes, REPNE/67 STOS, REP STOS over {@link X86Emulator#MAX_STRING_BYTES}), the oracle refuses
 * too, so the two agree on the subset; #UD and #GP are also UNHANDLEABLE.
 */
public final class SdmExecutor implements InstructionExecutor {
  static final long CF = 0x1;
  static final long PF = 0x4;
  static final long AF = 0x10;
  static final long ZF = 0x40;
  static final long SF = 0x80;
  static final long DF = 0x400;
  static final long OF = 0x800;

  static boolean isPrefix(int b) {
    return b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x26 || b == 0x2E
        || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65;
  }

  @Override
  public EmulationResult execute(CpuState state, byte[] code, LinearMemory memory, boolean user) {
    Interpreter interpreter = new Interpreter(state, code, memory, user);
    try {
      interpreter.run();
    } catch (Stop stop) {
      return stop.outcome == null
          ? EmulationResult.unhandleable(stop.length, stop.reason)
          : EmulationResult.memoryStop(stop.length, stop.outcome);
    }
    interpreter.commit();
    return EmulationResult.done(interpreter.pc);
  }

  /** Ends an instruction early: a #PF/exit outcome, or (outcome null) an exception or refusal. */
  private static final class Stop extends StacklessException {
    private static final long serialVersionUID = 1L;
    final transient @Nullable AccessOutcome outcome;
    final String reason;
    final int length;

    Stop(@Nullable AccessOutcome outcome, String reason, int length) {
      super(reason);
      this.outcome = outcome;
      this.reason = reason;
      this.length = length;
    }
  }

  /** One instruction's interpretation: fetch, decode as it goes, execute, stage stores. */
  private static final class Interpreter {
    private final CpuState in;
    private final long[] regs = new long[16];
    private long flags;
    private final byte[] code;
    private final LinearMemory memory;
    private final boolean user;
    private final boolean is64;
    int pc;

    // Prefixes and decode results.
    private boolean p66;
    private boolean p67;
    private boolean lock;
    private boolean rep;
    private boolean repne;
    private int segmentPrefix = -1;
    private int rex = -1;
    private int modrm = -1;
    private long disp;
    private boolean rmIsMemory;
    private int sibByte = -1;
    private boolean ripRel;
    /** Whether decoding is complete: refusals then report the instruction's length. */
    private boolean decoded;

    /** Linear page number to the machine address of the page's first byte. */
    private final Map<Long, Long> pages = new HashMap<>();
    private final List<long[]> stores = new ArrayList<>();

    Interpreter(CpuState in, byte[] code, LinearMemory memory, boolean user) {
      this.in = in;
      for (int i = 0; i < 16; i++) {
        regs[i] = in.gpr(i);
      }
      this.flags = in.rflags();
      this.code = code;
      this.memory = memory;
      this.user = user;
      this.is64 = in.mode() == CpuState.Mode.LONG_64;
    }

    void commit() {
      for (long[] store : stores) {
        memory.write(Addr.maddr(store[0]), 1, store[1]);
      }
      for (int i = 0; i < 16; i++) {
        in.setGpr(i, regs[i]);
      }
      in.setRflags(flags);
      long rip = in.rip() + pc;
      in.setRip(is64 ? rip : rip & 0xFFFF_FFFFL);
    }

    private Stop refuse(String why) {
      return new Stop(null, why, decoded ? pc : 0);
    }

    // ---- fetch ----

    private int fetch() throws Stop {
      if (pc == 15) {
        throw new Stop(null, "#GP: instruction exceeds 15 bytes", 0);
      }
      if (pc >= code.length) {
        throw new Stop(null, "truncated instruction", 0);
      }
      return code[pc++] & 0xFF;
    }

    private long fetchImmediate(int bytes) throws Stop {
      long v = 0;
      for (int i = 0; i < bytes; i++) {
        v |= (long) fetch() << (8 * i);
      }
      return signExtend(v, bytes);
    }

    // ---- decode and dispatch ----

    void run() throws Stop {
      int op;
      while (true) {
        op = fetch();
        if (is64 && (op & 0xF0) == 0x40) {
          rex = op; // a later REX replaces an earlier one
          continue;
        }
        if (!isPrefix(op)) {
          break;
        }
        rex = -1; // REX counts only directly before the opcode
        if (op == 0x66) {
          p66 = true;
        } else if (op == 0x67) {
          p67 = true;
        } else if (op == 0xF0) {
          lock = true;
        } else if (op == 0xF3) {
          rep = true;
        } else if (op == 0xF2) {
          repne = true;
        } else {
          segmentPrefix = op;
        }
      }
      if (!is64 && p67) {
        throw refuse("16-bit addressing is not supported");
      }
      if (op == 0x0F) {
        twoByte(fetch());
      } else {
        oneByte(op);
      }
    }

    private boolean rexW() {
      return rex >= 0 && (rex & 8) != 0;
    }

    /** The operand size of a full-size (not byte) operation: 64 with REX.W, else 16 with 66, else 32. */
    private int fullSize() {
      return rexW() ? 8 : (p66 ? 2 : 4);
    }

    private void oneByte(int op) throws Stop {
      if (op <= 0x3D && (op & 7) <= 5) {
        int alu = op >> 3;
        int size = (op & 1) == 0 ? 1 : fullSize();
        if ((op & 7) <= 1) {
          readModrm();
          requireLockableMemoryDestination(alu != 7);
          aluOp(alu, size, rmGet(size, alu == 7 ? AccessKind.READ : AccessKind.WRITE), regGet(size));
        } else if ((op & 7) <= 3) {
          readModrm();
          requireNoLock();
          aluOp(alu, size, regRef(size), rmGet(size, AccessKind.READ).value());
        } else {
          requireNoLock();
          long imm = fetchImmediate(size == 8 ? 4 : size);
          decoded = true;
          aluOp(alu, size, new Ref(0, null, size, regs[0] & mask(size)), imm);
        }
        return;
      }
      switch (op) {
        case 0x80:
        case 0x81:
        case 0x83: {
          readModrm();
          int alu = (modrm >> 3) & 7;
          int size = op == 0x80 ? 1 : fullSize();
          long imm = fetchImmediate(op == 0x81 ? Math.min(size, 4) : 1);
          requireLockableMemoryDestination(alu != 7);
          aluOp(alu, size, rmGet(size, alu == 7 ? AccessKind.READ : AccessKind.WRITE), imm);
          return;
        }
        case 0x86:
        case 0x87: {
          readModrm();
          int size = op == 0x86 ? 1 : fullSize();
          requireLockableMemoryDestination(true);
          // XCHG: TEMP <- DEST; DEST <- SRC; SRC <- TEMP.
          Ref dest = rmGet(size, AccessKind.WRITE);
          Ref src = regRef(size);
          put(dest, src.value());
          put(src, dest.value());
          return;
        }
        case 0x88:
        case 0x89: {
          readModrm();
          int size = op == 0x88 ? 1 : fullSize();
          requireNoLock();
          put(rmLocate(size, AccessKind.WRITE), regGet(size));
          return;
        }
        case 0xC6:
        case 0xC7: {
          readModrm();
          if (((modrm >> 3) & 7) != 0) {
            throw refuse("C6/C7 with reg != 0 is not MOV");
          }
          int size = op == 0xC6 ? 1 : fullSize();
          long imm = fetchImmediate(Math.min(size, 4));
          requireNoLock();
          put(rmLocate(size, AccessKind.WRITE), imm);
          return;
        }
        case 0xAA:
        case 0xAB:
          stos(op == 0xAA ? 1 : fullSize());
          return;
        default:
          throw refuse("opcode " + Addr.hex(op) + " is not in the subset");
      }
    }

    private void twoByte(int op) throws Stop {
      if (rep || repne) {
        throw refuse("F2/F3 before a 0F opcode is not supported");
      }
      switch (op) {
        case 0xB0:
        case 0xB1:
          readModrm();
          requireLockableMemoryDestination(true);
          cmpxchg(op == 0xB0 ? 1 : fullSize());
          return;
        case 0xA3:
        case 0xAB:
        case 0xB3:
        case 0xBB: {
          readModrm();
          int kind = (op >> 3) & 3; // 0 BT, 1 BTS, 2 BTR, 3 BTC
          requireLockableMemoryDestination(kind != 0);
          bitOp(kind, fullSize(), signExtend(regGet(fullSize()), fullSize()), true);
          return;
        }
        case 0xBA: {
          readModrm();
          int reg = (modrm >> 3) & 7;
          if (reg < 4) {
            throw refuse("0F BA /" + reg + " is #UD");
          }
          long imm = fetchImmediate(1) & 0xFF;
          requireLockableMemoryDestination(reg != 4);
          bitOp(reg - 4, fullSize(), imm, false);
          return;
        }
        case 0xC3:
          readModrm();
          if (p66) {
            throw refuse("66 0F C3 is #UD");
          }
          if (!rmIsMemory) {
            throw refuse("MOVNTI needs a memory destination (#UD)");
          }
          requireNoLock();
          put(rmLocate(fullSize(), AccessKind.WRITE), regGet(fullSize()));
          return;
        case 0xC7:
          readModrm();
          if (((modrm >> 3) & 7) != 1) {
            throw refuse("0F C7 /" + ((modrm >> 3) & 7) + " is not in the subset");
          }
          if (p66) {
            throw refuse("66 before CMPXCHG8B is not supported");
          }
          if (!rmIsMemory) {
            throw refuse("CMPXCHG8B with a register operand is #UD");
          }
          requireLockableMemoryDestination(true);
          cmpxchgDouble(rexW() ? 8 : 4);
          return;
        default:
          throw refuse("opcode 0F " + Addr.hex(op) + " is not in the subset");
      }
    }

    /** LOCK is legal only on a lockable operation whose destination is memory (else #UD). */
    private void requireLockableMemoryDestination(boolean lockable) throws Stop {
      decoded = true;
      if (lock && (!lockable || !rmIsMemory)) {
        throw refuse("LOCK here is #UD");
      }
    }

    private void requireNoLock() throws Stop {
      decoded = true;
      if (lock) {
        throw refuse("LOCK here is #UD");
      }
    }

    // ---- ModRM, SIB, effective address ----

    private void readModrm() throws Stop {
      modrm = fetch();
      int mod = modrm >> 6;
      int rm = modrm & 7;
      rmIsMemory = mod != 3;
      if (!rmIsMemory) {
        return;
      }
      if (rm == 4) {
        sibByte = fetch();
      }
      if (mod == 1) {
        disp = fetchImmediate(1);
      } else if (mod == 2 || (mod == 0 && rm == 5) || (mod == 0 && rm == 4 && (sibByte & 7) == 5)) {
        disp = fetchImmediate(4);
        ripRel = is64 && mod == 0 && rm == 5;
      }
    }

    private int rexBit(int bit) {
      return rex >= 0 && (rex & bit) != 0 ? 8 : 0;
    }

    /** The effective address (before the segment base), truncated to the address size. */
    private long effectiveAddress() {
      int mod = modrm >> 6;
      long ea = disp;
      if (ripRel) {
        ea += in.rip() + pc;
      } else if ((modrm & 7) == 4) {
        int base = (sibByte & 7) | rexBit(1);
        int index = ((sibByte >> 3) & 7) | rexBit(2);
        if (index != 4) {
          ea += regs[index] << (sibByte >> 6);
        }
        if (!(mod == 0 && (sibByte & 7) == 5)) {
          ea += regs[base];
        }
      } else if (!(mod == 0 && (modrm & 7) == 5)) {
        ea += regs[(modrm & 7) | rexBit(1)];
      }
      return is64 && !p67 ? ea : ea & 0xFFFF_FFFFL;
    }

    private long segmentBase() {
      if (segmentPrefix == 0x64) {
        return in.fsBase();
      }
      return segmentPrefix == 0x65 ? in.gsBase() : 0;
    }

    // ---- operands ----

    /** A register (index 0..15, or 16+n for AH/CH/DH/BH) or a run of byte addresses in memory. */
    private final class Ref {
      final int reg;
      final long @Nullable [] bytes;
      final int size;
      final long loaded;

      Ref(int reg, long @Nullable [] bytes, int size, long loaded) {
        this.reg = reg;
        this.bytes = bytes;
        this.size = size;
        this.loaded = loaded;
      }

      long value() {
        return loaded;
      }
    }

    private int regIndex(int number, int size) {
      // Without REX, byte registers 4..7 are AH, CH, DH, BH (bits 8..15 of registers 0..3).
      return size == 1 && rex < 0 && number >= 4 && number <= 7 ? 16 + number - 4 : number;
    }

    private long readReg(int index, int size) {
      if (index >= 16) {
        return (regs[index - 16] >>> 8) & 0xFF;
      }
      return regs[index] & mask(size);
    }

    private void writeReg(int index, int size, long value) {
      if (index >= 16) {
        regs[index - 16] = (regs[index - 16] & ~0xFF00L) | ((value & 0xFF) << 8);
      } else if (size == 4 || size == 8) {
        regs[index] = value & mask(size); // 32-bit destinations zero-extend
      } else {
        regs[index] = (regs[index] & ~mask(size)) | (value & mask(size));
      }
    }

    private long regGet(int size) {
      return readReg(regIndex(((modrm >> 3) & 7) | rexBit(4), size), size);
    }

    private Ref regRef(int size) {
      int index = regIndex(((modrm >> 3) & 7) | rexBit(4), size);
      return new Ref(index, null, size, readReg(index, size));
    }

    /** The r/m operand for {@code access}, its value loaded. */
    private Ref rmGet(int size, AccessKind access) throws Stop {
      return rmAt(0, size, access, true);
    }

    /** The r/m operand for {@code access}, not read (a plain store). */
    private Ref rmLocate(int size, AccessKind access) throws Stop {
      return rmAt(0, size, access, false);
    }

    private Ref rmAt(long extraOffset, int size, AccessKind access, boolean load) throws Stop {
      if (!rmIsMemory) {
        int index = regIndex((modrm & 7) | rexBit(1), size);
        return new Ref(index, null, size, readReg(index, size));
      }
      long ea = effectiveAddress() + extraOffset;
      ea = is64 && !p67 ? ea : ea & 0xFFFF_FFFFL;
      return memoryRef(segmentBase(), ea, size, access, load);
    }

    /** Checks the segment limit or canonicality (#GP), then translates each byte in order. */
    private Ref memoryRef(long base, long offset, int size, AccessKind access, boolean load) throws Stop {
      long[] machine = translateRange(base, offset, size, access);
      return new Ref(-1, machine, size, load ? load(machine, 0, size) : 0);
    }

    /** The machine address of each byte of a memory operand, after the #GP checks. */
    private long[] translateRange(long base, long offset, int size, AccessKind access) throws Stop {
      long[] bytes = new long[size];
      if (!is64) {
        if (offset + size - 1 > 0xFFFF_FFFFL) {
          throw refuse("#GP: beyond the 4 GiB segment limit");
        }
        for (int i = 0; i < size; i++) {
          bytes[i] = (base + offset + i) & 0xFFFF_FFFFL;
        }
      } else {
        long first = base + offset;
        for (int i = 0; i < size; i++) {
          long linear = first + i;
          if ((linear << 16) >> 16 != linear || (i > 0 && linear == 0)) {
            throw refuse("#GP: non-canonical address");
          }
          bytes[i] = linear;
        }
      }
      long[] machine = new long[size];
      for (int i = 0; i < size; i++) {
        machine[i] = translateByte(bytes[i], access);
      }
      return machine;
    }

    /** The machine address of one byte; the first byte touched on a page translates the page. */
    private long translateByte(long linear, AccessKind access) throws Stop {
      Long page = pages.get(linear >>> 12);
      if (page == null) {
        AccessOutcome outcome = memory.translate(Addr.gva(linear), Access.of(access, user));
        if (!outcome.isOk()) {
          throw new Stop(outcome, outcome.toString(), pc);
        }
        page = outcome.address() - (linear & 0xFFF);
        pages.put(linear >>> 12, page);
      }
      return page + (linear & 0xFFF);
    }

    private void put(Ref ref, long value) {
      long[] bytes = ref.bytes;
      if (bytes == null) {
        writeReg(ref.reg, ref.size, value);
      } else {
        storePart(bytes, 0, bytes.length, value);
      }
    }

    /** Loads bytes [from, from + count) of a memory operand (count <= 8), little-endian. */
    private long load(long[] bytes, int from, int count) {
      long value = 0;
      for (int i = 0; i < count; i++) {
        value |= (memory.read(Addr.maddr(bytes[from + i]), 1) & 0xFF) << (8 * i);
      }
      return value;
    }

    /** Stages a store of the low {@code count} bytes of {@code value} at bytes [from, from + count). */
    private void storePart(long[] bytes, int from, int count, long value) {
      for (int i = 0; i < count; i++) {
        stores.add(new long[] {bytes[from + i], (value >>> (8 * i)) & 0xFF});
      }
    }

    // ---- operations ----

    /** ADD OR ADC SBB AND SUB XOR CMP, numbered as the ModRM reg field of 80/81/83. */
    private void aluOp(int alu, int size, Ref dest, long source) {
      long a = dest.value() & mask(size);
      long b = source & mask(size);
      long cin = flags & CF;
      long result;
      boolean carry;
      boolean adjust;
      boolean overflow;
      long sign = 1L << (8 * size - 1);
      switch (alu) {
        case 0: // ADD
        case 2: { // ADC
          long c = alu == 2 ? cin : 0;
          result = (a + b + c) & mask(size);
          // Unsigned carry out of the top bit: the true sum exceeds the mask.
          carry = Long.compareUnsigned(result, a) < 0 || (c == 1 && result == a);
          adjust = (a & 0xF) + (b & 0xF) + c > 0xF;
          overflow = (a & sign) == (b & sign) && (result & sign) != (a & sign);
          break;
        }
        case 3: // SBB
        case 5: // SUB
        case 7: { // CMP
          long c = alu == 3 ? cin : 0;
          result = (a - b - c) & mask(size);
          carry = Long.compareUnsigned(a, b) < 0 || (c == 1 && a == b);
          adjust = (a & 0xF) < (b & 0xF) + c;
          overflow = (a & sign) != (b & sign) && (result & sign) != (a & sign);
          break;
        }
        default: { // OR, AND, XOR: CF = OF = 0; AF undefined in the SDM, 0 on the model CPU
          result = alu == 1 ? a | b : alu == 4 ? a & b : a ^ b;
          carry = false;
          overflow = false;
          adjust = false;
          break;
        }
      }
      setStatus(result, size, carry, adjust, overflow);
      if (alu != 7) {
        put(dest, result);
      }
    }

    private void setStatus(long result, int size, boolean carry, boolean adjust, boolean overflow) {
      long f = flags & ~(CF | PF | AF | ZF | SF | OF);
      f |= carry ? CF : 0;
      f |= Long.bitCount(result & 0xFF) % 2 == 0 ? PF : 0;
      f |= adjust ? AF : 0;
      f |= (result & mask(size)) == 0 ? ZF : 0;
      f |= (result & (1L << (8 * size - 1))) != 0 ? SF : 0;
      f |= overflow ? OF : 0;
      flags = f;
    }

    /** CMPXCHG: compare accumulator with DEST; equal: ZF=1, DEST <- SRC; else ZF=0, acc <- DEST. */
    private void cmpxchg(int size) throws Stop {
      Ref dest = rmGet(size, AccessKind.WRITE);
      long accumulator = regs[0] & mask(size);
      long temp = dest.value();
      Ref acc = new Ref(0, null, size, accumulator);
      aluOp(7, size, acc, temp); // the flags are those of CMP accumulator, TEMP
      if (accumulator == temp) {
        put(dest, regGet(size));
      } else {
        put(dest, temp); // the destination is written back in either case
        put(acc, temp);
      }
    }

    /** CMPXCHG8B/16B: EDX:EAX (RDX:RAX) against m64 (m128); equal: store ECX:EBX; only ZF changes. */
    private void cmpxchgDouble(int half) throws Stop {
      long ea = effectiveAddress();
      if (half == 8 && ((segmentBase() + ea) & 0xF) != 0) {
        throw refuse("#GP: CMPXCHG16B operand not 16-byte aligned");
      }
      long[] dest = translateRange(segmentBase(), ea, 2 * half, AccessKind.WRITE);
      long low = load(dest, 0, half);
      long high = load(dest, half, half);
      if (low == (regs[0] & mask(half)) && high == (regs[2] & mask(half))) {
        flags |= ZF;
        storePart(dest, 0, half, regs[3]);
        storePart(dest, half, half, regs[1]);
      } else {
        flags &= ~ZF;
        storePart(dest, 0, half, low);
        storePart(dest, half, half, high);
        writeReg(0, half, low);
        writeReg(2, half, high);
      }
    }

    /**
     * BT/BTS/BTR/BTC (kind 0..3). A register offset on a memory operand is a signed bit-string
     * index: the word touched is at EA + size * (offset DIV bits); an immediate offset is taken
     * modulo the operand width. CF receives the bit; OF, SF, AF, PF are undefined.
     */
    private void bitOp(int kind, int size, long offset, boolean registerOffset) throws Stop {
      int bits = 8 * size;
      AccessKind access = kind == 0 ? AccessKind.READ : AccessKind.WRITE;
      Ref dest;
      if (rmIsMemory && registerOffset) {
        dest = rmAt(Math.floorDiv(offset, bits) * size, size, access, true);
      } else {
        dest = rmAt(0, size, access, true);
      }
      int bit = (int) Math.floorMod(offset, bits);
      long value = dest.value();
      boolean old = ((value >>> bit) & 1) != 0;
      flags = old ? flags | CF : flags & ~CF; // OF, SF, AF, PF undefined: unchanged on the model CPU
      if (kind == 1) {
        put(dest, value | (1L << bit));
      } else if (kind == 2) {
        put(dest, value & ~(1L << bit));
      } else if (kind == 3) {
        put(dest, value ^ (1L << bit));
      }
    }

    /** STOS: store AL/AX/EAX/RAX at ES:rDI, then rDI +/- size; with REP, rCX times. */
    private void stos(int size) throws Stop {
      decoded = true;
      if (lock) {
        throw refuse("LOCK STOS is #UD");
      }
      if (repne) {
        throw refuse("REPNE STOS is not supported");
      }
      if (is64 && p67) {
        throw refuse("STOS with 32-bit addressing in 64-bit mode is not supported");
      }
      long addressMask = is64 ? -1L : 0xFFFF_FFFFL;
      long count = rep ? regs[1] & addressMask : 1;
      if (Long.compareUnsigned(count, X86Emulator.MAX_STRING_BYTES / size) > 0) {
        throw refuse("REP STOS longer than the supported limit");
      }
      long di = regs[7] & addressMask;
      long delta = (flags & DF) == 0 ? size : -size;
      for (long i = 0; i < count; i++) {
        put(memoryRef(0, di, size, AccessKind.WRITE, false), regs[0]);
        di = (di + delta) & addressMask;
      }
      writeReg(7, is64 ? 8 : 4, di);
      if (rep) {
        writeReg(1, is64 ? 8 : 4, 0);
      }
    }
  }

  private static long mask(int size) {
    return size >= 8 ? -1L : (1L << (8 * size)) - 1;
  }

  private static long signExtend(long value, int bytes) {
    int shift = 64 - 8 * bytes;
    return (value << shift) >> shift;
  }
}
