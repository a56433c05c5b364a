package org.shadowref.emulate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.emulate.DecodedInstruction.Form;
import org.shadowref.emulate.DecodedInstruction.Segment;
import org.shadowref.mmu.AccessOutcome;

/**
 * The execute stage for one decoded instruction: operand fetch (address generation, #GP checks,
 * translation of every page touched), the operation, and a writeback that is staged until
 * {@link #commit}. Registers are computed on a copy of the state; the caller's state and memory
 * change only in {@code commit}, which cannot fail.
 */
final class Execution {
  private final CpuState state;
  private final CpuState next;
  private final DecodedInstruction insn;
  private final LinearMemory memory;
  private final boolean user;
  private final boolean longMode;
  /**
   * The pages translated so far and the machine address of each one's first byte, in the order
   * translated: an instruction touches one or two pages (a REP STOS more), so a scan of a short
   * array finds one faster than a map of boxed longs, and allocates nothing per lookup.
   */
  private long[] translatedPages = new long[4];
  private long[] translatedBases = new long[4];
  private int translatedCount;
  private final List<PendingWrite> writes = new ArrayList<>();

  /** One operand: a register (with its size) or a translated memory range, and its value. */
  private static final class Operand {
    final int register;
    final @Nullable GuestRange range;
    final int size;
    long value;

    Operand(int register, @Nullable GuestRange range, int size, long value) {
      this.register = register;
      this.range = range;
      this.size = size;
      this.value = value;
    }
  }

  private static final class PendingWrite {
    final GuestRange range;
    final int offset;
    final int length;
    final long value;

    PendingWrite(GuestRange range, int offset, int length, long value) {
      this.range = range;
      this.offset = offset;
      this.length = length;
      this.value = value;
    }
  }

  /** The seeded bug, or null (X86Emulator.Bug). */
  private final X86Emulator.@Nullable Bug bug;

  Execution(CpuState state, DecodedInstruction insn, LinearMemory memory, boolean user, X86Emulator.@Nullable Bug bug) {
    this.bug = bug;
    this.state = state;
    this.next = state.copy();
    this.insn = insn;
    this.memory = memory;
    this.user = user;
    this.longMode = state.mode() == CpuState.Mode.LONG_64;
  }

  void run() throws Refusal, MemoryStop {
    Operation operation = insn.operation();
    switch (operation) {
      case MOV:
      case MOVNTI:
        move();
        break;
      case XCHG:
        exchange();
        break;
      case CMPXCHG:
        compareExchange();
        break;
      case CMPXCHG8B:
      case CMPXCHG16B:
        compareExchangeDouble();
        break;
      case BT:
      case BTS:
      case BTR:
      case BTC:
        bitTest();
        break;
      case STOS:
        storeString();
        break;
      default:
        arithmetic();
        break;
    }
    long rip = state.rip() + insn.length;
    next.setRip(longMode ? rip : rip & 0xFFFF_FFFFL);
  }

  /** Performs the staged writes in order, then publishes the new register file. */
  void commit() {
    for (PendingWrite write : writes) {
      int length = bug == X86Emulator.Bug.CROSSING_STORE_FIRST_PAGE_ONLY
          ? write.range.bytesOnFirstPage(write.offset, write.length) : write.length;
      if (length > 0) {
        write.range.write(memory, write.offset, length, write.value);
      }
    }
    state.copyFrom(next);
  }

  // ---- operations ----

  private void arithmetic() throws Refusal, MemoryStop {
    Operation operation = insn.operation();
    int size = insn.operandSize;
    boolean writesDestination = operation != Operation.CMP;
    AccessKind destinationAccess = writesDestination ? AccessKind.WRITE : AccessKind.READ;
    Operand destination;
    long source;
    switch (insn.form()) {
      case RM_REG:
        destination = rmOperand(size, destinationAccess, true);
        source = readRegister(insn.reg, size);
        break;
      case REG_RM:
        destination = registerOperand(insn.reg, size);
        source = rmOperand(size, AccessKind.READ, true).value;
        break;
      case RM_IMM:
        destination = rmOperand(size, destinationAccess, true);
        source = insn.immediate & Alu.mask(size);
        break;
      default:
        destination = registerOperand(CpuState.RAX, size);
        source = insn.immediate & Alu.mask(size);
        break;
    }
    Alu alu = Alu.arithmetic(operation, destination.value, source, size, state.rflags());
    if (writesDestination) {
      store(destination, alu.result);
    }
    next.setRflags(alu.flags);
  }

  private void move() throws Refusal, MemoryStop {
    int size = insn.operandSize;
    Operand destination = rmOperand(size, AccessKind.WRITE, false);
    long value = insn.form() == Form.RM_IMM ? insn.immediate & Alu.mask(size) : readRegister(insn.reg, size);
    store(destination, value);
  }

  private void exchange() throws Refusal, MemoryStop {
    int size = insn.operandSize;
    Operand destination = rmOperand(size, AccessKind.WRITE, true);
    Operand source = registerOperand(insn.reg, size);
    store(destination, source.value);
    store(source, destination.value);
  }

  /** SDM: TEMP ← DEST; if accumulator = TEMP then DEST ← SRC else accumulator ← TEMP, DEST ← TEMP. */
  private void compareExchange() throws Refusal, MemoryStop {
    int size = insn.operandSize;
    Operand destination = rmOperand(size, AccessKind.WRITE, true);
    Operand accumulator = registerOperand(CpuState.RAX, size);
    long source = readRegister(insn.reg, size);
    Alu compare = Alu.arithmetic(Operation.CMP, accumulator.value, destination.value, size, state.rflags());
    next.setRflags(compare.flags);
    if (accumulator.value == destination.value) {
      store(destination, source);
    } else {
      store(destination, bug == X86Emulator.Bug.CMPXCHG_FAILURE_STORES_SOURCE ? source : destination.value);
      store(accumulator, destination.value);
    }
  }

  /** CMPXCHG8B compares EDX:EAX, CMPXCHG16B RDX:RAX, with the memory operand; only ZF changes. */
  private void compareExchangeDouble() throws Refusal, MemoryStop {
    int half = insn.operandSize / 2;
    long linear = linearAddress(effectiveAddress(), insn.operandSize, segmentBase());
    if (half == 8 && (linear & 0xF) != 0) {
      throw new Refusal("#GP: CMPXCHG16B operand at " + Addr.hex(linear) + " is not 16-byte aligned");
    }
    GuestRange range = translate(linear, insn.operandSize, AccessKind.WRITE);
    long low = range.read(memory, 0, half);
    long high = range.read(memory, half, half);
    long mask = Alu.mask(half);
    boolean equal = low == (state.gpr(CpuState.RAX) & mask) && high == (state.gpr(CpuState.RDX) & mask);
    if (equal) {
      writes.add(new PendingWrite(range, 0, half, state.gpr(CpuState.RBX)));
      writes.add(new PendingWrite(range, half, half, state.gpr(CpuState.RCX)));
      next.setRflags(state.rflags() | Alu.ZF);
    } else {
      writes.add(new PendingWrite(range, 0, half, low));
      writes.add(new PendingWrite(range, half, half, high));
      writeRegister(CpuState.RAX, half, low);
      writeRegister(CpuState.RDX, half, high);
      next.setRflags(state.rflags() & ~Alu.ZF);
    }
  }

  /**
   * BT/BTS/BTR/BTC. A register bit offset on a memory operand addresses a bit string: the operand
   * is the word at {@code EA + size * floor(offset / bits)}, with the offset taken as signed.
   */
  private void bitTest() throws Refusal, MemoryStop {
    Operation operation = insn.operation();
    int size = insn.operandSize;
    int bits = 8 * size;
    AccessKind access = operation == Operation.BT ? AccessKind.READ : AccessKind.WRITE;
    long offset;
    Operand destination;
    if (insn.form() == Form.RM_IMM) {
      offset = insn.immediate & 0xFF;
      destination = rmOperand(size, access, true);
    } else {
      offset = signExtend(readRegister(insn.reg, size), size);
      if (insn.memory) {
        long wordOffset = (offset >> Integer.numberOfTrailingZeros(bits)) * size;
        long linear = linearAddress(effectiveAddress() + wordOffset, size, segmentBase());
        GuestRange range = translate(linear, size, access);
        destination = new Operand(-1, range, size, range.read(memory, 0, size));
      } else {
        destination = registerOperand(insn.rm, size);
      }
    }
    long bit = 1L << (offset & (bits - 1));
    boolean set = (destination.value & bit) != 0;
    next.setRflags(set ? state.rflags() | Alu.CF : state.rflags() & ~Alu.CF);
    switch (operation) {
      case BTS:
        store(destination, destination.value | bit);
        break;
      case BTR:
        store(destination, destination.value & ~bit);
        break;
      case BTC:
        store(destination, destination.value ^ bit);
        break;
      default:
        break;
    }
  }

  /** STOS stores rAX at ES:rDI (ES is flat), steps rDI by DF; REP repeats it rCX times. */
  private void storeString() throws Refusal, MemoryStop {
    int size = insn.operandSize;
    long addressMask = longMode ? -1L : 0xFFFF_FFFFL;
    long count = insn.repeat ? state.gpr(CpuState.RCX) & addressMask : 1;
    if (Long.compareUnsigned(count, X86Emulator.MAX_STRING_BYTES / size) > 0) {
      throw new Refusal("REP STOS of " + Long.toUnsignedString(count) + " elements exceeds the emulator's "
          + X86Emulator.MAX_STRING_BYTES + "-byte limit");
    }
    long step = (state.rflags() & Alu.DF) != 0 ? -size : size;
    long value = state.gpr(CpuState.RAX) & Alu.mask(size);
    long destination = state.gpr(CpuState.RDI) & addressMask;
    long stored = bug == X86Emulator.Bug.REP_STOS_DROPS_LAST_ELEMENT && count > 1 ? count - 1 : count;
    for (long i = 0; i < stored; i++) {
      long linear = linearAddress(destination, size, 0);
      writes.add(new PendingWrite(translate(linear, size, AccessKind.WRITE), 0, size, value));
      destination = (destination + step) & addressMask;
    }
    int addressSize = longMode ? 8 : 4;
    writeRegister(CpuState.RDI, addressSize, destination);
    if (insn.repeat) {
      writeRegister(CpuState.RCX, addressSize, 0);
    }
  }

  // ---- operand fetch ----

  /** The ModRM r/m operand: a register, or memory translated for {@code access} (and read if asked). */
  private Operand rmOperand(int size, AccessKind access, boolean read) throws Refusal, MemoryStop {
    if (!insn.memory) {
      return registerOperand(insn.rm, size);
    }
    long linear = linearAddress(effectiveAddress(), size, segmentBase());
    GuestRange range = translate(linear, size, access);
    return new Operand(-1, range, size, read ? range.read(memory, 0, size) : 0);
  }

  private Operand registerOperand(int register, int size) {
    return new Operand(register, null, size, readRegister(register, size));
  }

  private void store(Operand operand, long value) {
    GuestRange range = operand.range;
    if (range != null) {
      writes.add(new PendingWrite(range, 0, operand.size, value));
    } else {
      writeRegister(operand.register, operand.size, value);
    }
  }

  /** The offset part of the address: base + index * scale + displacement, or RIP-relative. */
  private long effectiveAddress() {
    if (insn.ripRelative) {
      return state.rip() + insn.length + insn.displacement;
    }
    long address = insn.displacement;
    if (insn.base != DecodedInstruction.NO_REGISTER) {
      address += state.gpr(insn.base);
    }
    if (insn.index != DecodedInstruction.NO_REGISTER) {
      address += state.gpr(insn.index) * insn.scale;
    }
    return address;
  }

  private long segmentBase() {
    if (insn.segment == Segment.FS) {
      return state.fsBase();
    }
    return insn.segment == Segment.GS ? state.gsBase() : 0;
  }

  /**
   * Truncates the offset to the address size, adds the segment base and checks what #GP checks:
   * the flat 4 GiB limit in 32-bit mode, canonical first and last bytes in 64-bit mode.
   */
  private long linearAddress(long offset, int size, long base) throws Refusal {
    long effective = offset & (insn.addressSize == 8 ? -1L : 0xFFFF_FFFFL);
    if (!longMode) {
      if (effective + size - 1 > 0xFFFF_FFFFL) {
        throw new Refusal("#GP: access at offset " + Addr.hex(effective) + " exceeds the 4 GiB segment limit");
      }
      return (base + effective) & 0xFFFF_FFFFL;
    }
    long linear = base + effective;
    long last = linear + size - 1;
    if (!isCanonical(linear) || !isCanonical(last) || Long.compareUnsigned(last, linear) < 0) {
      throw new Refusal("#GP: non-canonical address " + Addr.hex(linear));
    }
    return linear;
  }

  private static boolean isCanonical(long linear) {
    return (linear << 16) >> 16 == linear;
  }

  /** Translates every page of {@code size} bytes at {@code linear}, lowest page first. */
  private GuestRange translate(long linear, int size, AccessKind access) throws MemoryStop {
    long first = translatePage(linear, access);
    int onFirstPage = (int) Math.min(size, Addr.PAGE_SIZE - Addr.pageOffset(linear));
    if (onFirstPage == size) {
      return new GuestRange(linear, size, first, size, -1);
    }
    long secondPage = linear + onFirstPage;
    long second = translatePage(longMode ? secondPage : secondPage & 0xFFFF_FFFFL, access);
    return new GuestRange(linear, size, first, onFirstPage, second);
  }

  private long translatePage(long linear, AccessKind access) throws MemoryStop {
    long page = linear & ~Addr.OFFSET_MASK;
    for (int i = 0; i < translatedCount; i++) {
      if (translatedPages[i] == page) {
        return translatedBases[i] + Addr.pageOffset(linear);
      }
    }
    AccessOutcome outcome = memory.translate(Addr.gva(linear), Access.of(access, user));
    if (!outcome.isOk()) {
      throw new MemoryStop(outcome);
    }
    if (translatedCount == translatedPages.length) {
      translatedPages = Arrays.copyOf(translatedPages, 2 * translatedCount);
      translatedBases = Arrays.copyOf(translatedBases, 2 * translatedCount);
    }
    translatedPages[translatedCount] = page;
    translatedBases[translatedCount] = outcome.address() - Addr.pageOffset(linear);
    translatedCount++;
    return outcome.address();
  }

  // ---- registers ----

  /** Reads a register of {@code size} bytes; without REX, byte registers 4..7 are AH, CH, DH, BH. */
  private long readRegister(int register, int size) {
    if (size == 1 && !insn.rex && register >= 4 && register < 8) {
      return (state.gpr(register - 4) >>> 8) & 0xFF;
    }
    return state.gpr(register) & Alu.mask(size);
  }

  /** Writes a register: 8- and 16-bit writes merge, 32-bit writes zero-extend. */
  private void writeRegister(int register, int size, long value) {
    if (size == 1 && !insn.rex && register >= 4 && register < 8) {
      long old = next.gpr(register - 4);
      next.setGpr(register - 4, (old & ~0xFF00L) | ((value & 0xFF) << 8));
      return;
    }
    if (size >= 4) {
      next.setGpr(register, value & Alu.mask(size));
      return;
    }
    long mask = Alu.mask(size);
    next.setGpr(register, (next.gpr(register) & ~mask) | (value & mask));
  }

  private static long signExtend(long value, int size) {
    int shift = 64 - 8 * size;
    return (value << shift) >> shift;
  }
}
