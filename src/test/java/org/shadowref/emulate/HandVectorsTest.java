package org.shadowref.emulate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.check.emulation.EmulationGuest;
import org.shadowref.mmu.AccessOutcome;

/**
 * Hand-checked vectors from the SDM's flag rules and instruction pseudo-code, which the
 * hypervisor's emulator and the independent oracle must both pass. Flags are written as the set
 * of CF PF AF ZF SF OF expected after the instruction (all six are defined for these cases).
 */
class HandVectorsTest {
  private static final long CF = 0x1;
  private static final long PF = 0x4;
  private static final long AF = 0x10;
  private static final long ZF = 0x40;
  private static final long SF = 0x80;
  private static final long OF = 0x800;
  private static final long DF = 0x400;
  private static final long STATUS = CF | PF | AF | ZF | SF | OF;
  private static final long DATA = EmulationGuest.DATA;

  static Stream<Arguments> executors() {
    return Stream.of(Arguments.of(new X86Emulator()), Arguments.of(new SdmExecutor()));
  }

  private final EmulationGuest guest = new EmulationGuest(CpuState.Mode.LONG_64, new long[] {0}, new Random(1));
  private final CpuState state = new CpuState(CpuState.Mode.LONG_64);

  private static byte[] code(int... bytes) {
    byte[] out = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = (byte) bytes[i];
    }
    return out;
  }

  private long maddr(long va) {
    AccessOutcome outcome = guest.translate(Addr.gva(va), Access.SUPERVISOR_READ);
    return outcome.address();
  }

  private long peek(long va, int size) {
    return guest.read(Addr.maddr(maddr(va)), size);
  }

  private void poke(long va, int size, long value) {
    guest.write(Addr.maddr(maddr(va)), size, value);
  }

  private EmulationResult run(InstructionExecutor cpu, byte[] code) {
    return cpu.execute(state, code, guest, false);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void addSignedOverflowSetsOfSfAf(InstructionExecutor cpu) {
    state.setGpr(CpuState.RAX, 0x7FFF_FFFFL);
    assertEquals(EmulationResult.done(5), run(cpu, code(0x05, 0x01, 0, 0, 0))); // add eax, 1
    assertEquals(0x8000_0000L, state.gpr(CpuState.RAX));
    assertEquals(OF | SF | AF | PF, state.rflags() & STATUS);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void addUnsignedCarryWrapsToZero(InstructionExecutor cpu) {
    state.setGpr(CpuState.RAX, 0xFFFF_FFFFL);
    run(cpu, code(0x05, 0x01, 0, 0, 0)); // add eax, 1
    assertEquals(0, state.gpr(CpuState.RAX));
    assertEquals(CF | ZF | AF | PF, state.rflags() & STATUS);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void subBorrowAndSubOverflow(InstructionExecutor cpu) {
    state.setGpr(CpuState.RAX, 0x1200);
    run(cpu, code(0x2C, 0x01)); // sub al, 1: 0x00 - 1 borrows
    assertEquals(0x12FF, state.gpr(CpuState.RAX));
    assertEquals(CF | AF | SF | PF, state.rflags() & STATUS);
    state.setGpr(CpuState.RAX, 0x80);
    run(cpu, code(0x2C, 0x01)); // sub al, 1: -128 - 1 overflows to +127
    assertEquals(0x7F, state.gpr(CpuState.RAX));
    assertEquals(OF | AF, state.rflags() & STATUS);
  }

  /** The flags the SDM leaves undefined take the model CPU's values (proofs/emulation-oracle.md). */
  @ParameterizedTest
  @MethodSource("executors")
  void logicClearsAfAndBitTestsLeaveTheRest(InstructionExecutor cpu) {
    state.setRflags(AF);
    state.setGpr(CpuState.RAX, 0xF0);
    run(cpu, code(0x24, 0x3C)); // and al, 0x3c: AF undefined, 0 on the model CPU
    assertEquals(0x30, state.gpr(CpuState.RAX));
    assertEquals(PF, state.rflags() & STATUS);
    state.setRflags(OF | SF | AF | PF | ZF);
    state.setGpr(CpuState.RAX, 1);
    run(cpu, code(0x0F, 0xA3, 0xC0)); // bt eax, eax: bit 1 of 1 is clear; OF SF AF PF undefined, kept
    assertEquals(OF | SF | AF | PF | ZF, state.rflags() & STATUS);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void lockCmpxchgEqualStoresTheSource(InstructionExecutor cpu) {
    poke(DATA, 4, 5);
    state.setGpr(CpuState.RDI, DATA);
    state.setGpr(CpuState.RAX, 5);
    state.setGpr(CpuState.RCX, 9);
    assertEquals(EmulationResult.done(4), run(cpu, code(0xF0, 0x0F, 0xB1, 0x0F))); // lock cmpxchg [rdi], ecx
    assertEquals(9, peek(DATA, 4));
    assertEquals(5, state.gpr(CpuState.RAX));
    assertEquals(ZF | PF, state.rflags() & STATUS);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void cmpxchgUnequalLoadsTheAccumulator(InstructionExecutor cpu) {
    poke(DATA, 4, 7);
    state.setGpr(CpuState.RDI, DATA);
    state.setGpr(CpuState.RAX, 0xFFFF_FFFF_0000_0005L);
    state.setGpr(CpuState.RCX, 9);
    run(cpu, code(0x0F, 0xB1, 0x0F)); // cmpxchg [rdi], ecx: flags of cmp 5, 7
    assertEquals(7, peek(DATA, 4));
    assertEquals(7, state.gpr(CpuState.RAX)); // a 32-bit load zero-extends
    assertEquals(CF | SF | AF, state.rflags() & STATUS);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void lockCmpxchg8bEqualAndUnequal(InstructionExecutor cpu) {
    poke(DATA + 8, 8, 0x0000_0002_0000_0001L);
    state.setGpr(CpuState.RDI, DATA + 8);
    state.setGpr(CpuState.RDX, 2);
    state.setGpr(CpuState.RAX, 1);
    state.setGpr(CpuState.RCX, 4);
    state.setGpr(CpuState.RBX, 3);
    state.setRflags(CF);
    run(cpu, code(0xF0, 0x0F, 0xC7, 0x0F)); // lock cmpxchg8b [rdi]
    assertEquals(0x0000_0004_0000_0003L, peek(DATA + 8, 8));
    assertEquals(ZF | CF, state.rflags() & STATUS); // only ZF changes
    state.setGpr(CpuState.RDX, 0);
    state.setGpr(CpuState.RAX, 0);
    run(cpu, code(0xF0, 0x0F, 0xC7, 0x0F));
    assertEquals(0x0000_0004_0000_0003L, peek(DATA + 8, 8));
    assertEquals(3, state.gpr(CpuState.RAX));
    assertEquals(4, state.gpr(CpuState.RDX));
    assertEquals(CF, state.rflags() & STATUS);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void btsWithARegisterOffsetAddressesABitString(InstructionExecutor cpu) {
    state.setGpr(CpuState.RDI, DATA);
    state.setGpr(CpuState.RAX, 100); // dword 3 (DATA + 12), bit 4
    assertEquals(EmulationResult.done(3), run(cpu, code(0x0F, 0xAB, 0x07))); // bts [rdi], eax
    assertEquals(0x10, peek(DATA + 12, 4));
    assertEquals(0, peek(DATA, 8));
    assertEquals(0, state.rflags() & CF);
    run(cpu, code(0xF0, 0x0F, 0xB3, 0x07)); // lock btr [rdi], eax: the bit was set
    assertEquals(0, peek(DATA + 12, 4));
    assertEquals(CF, state.rflags() & CF);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void aNegativeBitOffsetReachesBelowTheOperandAndFaultsThere(InstructionExecutor cpu) {
    state.setGpr(CpuState.RDI, DATA);
    state.setGpr(CpuState.RAX, -1); // dword at DATA - 4, bit 31: an unmapped page
    CpuState before = state.copy();
    EmulationResult result = run(cpu, code(0x0F, 0xAB, 0x07));
    assertEquals(EmulationResult.Kind.MEMORY_STOP, result.kind());
    assertEquals(AccessOutcome.guestFault(PfErrorCode.W, DATA - 4), result.stop());
    assertEquals(before, state);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void repStosForwardAndBackward(InstructionExecutor cpu) {
    state.setGpr(CpuState.RAX, 0x1122_3344L);
    state.setGpr(CpuState.RDI, DATA + 0x10);
    state.setGpr(CpuState.RCX, 3);
    run(cpu, code(0xF3, 0xAB)); // rep stosd, DF = 0
    assertEquals(0x1122_3344_1122_3344L, peek(DATA + 0x10, 8));
    assertEquals(0x1122_3344L, peek(DATA + 0x18, 4));
    assertEquals(0, peek(DATA + 0x1C, 4));
    assertEquals(DATA + 0x1C, state.gpr(CpuState.RDI));
    assertEquals(0, state.gpr(CpuState.RCX));
    state.setGpr(CpuState.RAX, 0x55);
    state.setGpr(CpuState.RCX, 3);
    state.setGpr(CpuState.RDI, DATA + 0x48);
    state.setRflags(DF);
    run(cpu, code(0xF3, 0xAA)); // rep stosb, DF = 1: 0x48, 0x47, 0x46
    assertEquals(0x5555_5500_0000L, peek(DATA + 0x43, 8) & 0xFFFF_FFFF_FFFFL); // 0x46..0x48
    assertEquals(DATA + 0x45, state.gpr(CpuState.RDI));
  }

  @ParameterizedTest
  @MethodSource("executors")
  void aStoreCrossingIntoAReadOnlyPageFaultsThereAndWritesNothing(InstructionExecutor cpu) {
    long va = DATA + 0x3FFC; // four bytes on page 3 (supervisor, writable), four on page 4 (read-only)
    state.setGpr(CpuState.RDI, va);
    state.setGpr(CpuState.RAX, -1);
    CpuState before = state.copy();
    EmulationResult result = run(cpu, code(0x48, 0x89, 0x07)); // mov [rdi], rax
    assertEquals(AccessOutcome.guestFault(PfErrorCode.P | PfErrorCode.W, DATA + 0x4000), result.stop());
    assertEquals(0, peek(va, 4));
    assertEquals(before, state);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void lockOnARegisterDestinationIsRefused(InstructionExecutor cpu) {
    state.setGpr(CpuState.RAX, 1);
    CpuState before = state.copy();
    assertEquals(EmulationResult.Kind.UNHANDLEABLE, run(cpu, code(0xF0, 0x01, 0xC0)).kind()); // lock add eax, eax
    assertEquals(EmulationResult.Kind.UNHANDLEABLE, run(cpu, code(0xF0, 0x89, 0x07)).kind()); // lock mov [rdi], eax
    assertEquals(EmulationResult.Kind.UNHANDLEABLE, run(cpu, code(0xF0, 0x0F, 0xA3, 0x07)).kind()); // lock bt
    assertEquals(before, state);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void xchgWithMemorySwapsAndFsOverrideAddsTheBase(InstructionExecutor cpu) {
    poke(DATA + 0x100, 2, 0xBEEF);
    state.setFsBase(DATA);
    state.setGpr(CpuState.RBX, 0x100);
    state.setGpr(CpuState.RDX, 0x1234);
    run(cpu, code(0x64, 0x66, 0x87, 0x13)); // xchg fs:[rbx], dx
    assertEquals(0x1234, peek(DATA + 0x100, 2));
    assertEquals(0xBEEF, state.gpr(CpuState.RDX));
  }

  @ParameterizedTest
  @MethodSource("executors")
  void ripRelativeAndSibAddressing(InstructionExecutor cpu) {
    state.setRip(DATA + 0x200);
    run(cpu, code(0xC6, 0x05, 0x10, 0, 0, 0, 0xAB)); // mov byte [rip + 0x10], 0xab: next rip + 0x10
    assertEquals(0xAB, peek(DATA + 0x200 + 7 + 0x10, 1));
    state.setGpr(CpuState.RSI, DATA);
    state.setGpr(9, 0x20);
    state.setGpr(CpuState.RAX, 0xCAFE);
    run(cpu, code(0x4A, 0x89, 0x44, 0xCE, 0x08)); // mov [rsi + r9*8 + 8], rax
    assertEquals(0xCAFE, peek(DATA + 0x108, 8));
  }

  @ParameterizedTest
  @MethodSource("executors")
  void operandSizePrefixesAndSignExtendedImmediates(InstructionExecutor cpu) {
    state.setGpr(CpuState.RDI, DATA);
    run(cpu, code(0x48, 0xC7, 0x07, 0xFE, 0xFF, 0xFF, 0xFF)); // mov qword [rdi], -2: imm32 sign-extends
    assertEquals(-2L, peek(DATA, 8));
    run(cpu, code(0x66, 0xC7, 0x07, 0x34, 0x12)); // mov word [rdi], 0x1234
    assertEquals(0xFFFF_FFFF_FFFF_1234L, peek(DATA, 8));
    run(cpu, code(0x83, 0x27, 0xF0)); // and dword [rdi], -16: imm8 sign-extends
    assertEquals(0xFFFF_FFFF_FFFF_1230L, peek(DATA, 8));
    assertEquals(SF | PF, state.rflags() & (STATUS & ~AF)); // 0xffff1230: negative, 0x30 even parity; AF undefined
  }

  @ParameterizedTest
  @MethodSource("executors")
  void byteRegistersAreAhWithoutRexAndSilWithRex(InstructionExecutor cpu) {
    state.setGpr(CpuState.RDI, DATA);
    state.setGpr(CpuState.RAX, 0xAA00);
    state.setGpr(CpuState.RSI, 0x55);
    run(cpu, code(0x88, 0x27)); // mov [rdi], ah
    assertEquals(0xAA, peek(DATA, 1));
    run(cpu, code(0x40, 0x88, 0x37)); // mov [rdi], sil
    assertEquals(0x55, peek(DATA, 1));
  }

  @ParameterizedTest
  @MethodSource("executors")
  void thirtyTwoBitWritesZeroExtendAndSixteenBitWritesMerge(InstructionExecutor cpu) {
    state.setGpr(CpuState.RBX, -1);
    state.setGpr(CpuState.RCX, 2);
    run(cpu, code(0x01, 0xCB)); // add ebx, ecx
    assertEquals(1, state.gpr(CpuState.RBX));
    assertEquals(CF | AF, state.rflags() & STATUS);
    state.setGpr(CpuState.RBX, -1);
    run(cpu, code(0x66, 0x01, 0xCB)); // add bx, cx
    assertEquals(0xFFFF_FFFF_FFFF_0001L, state.gpr(CpuState.RBX));
  }

  @ParameterizedTest
  @MethodSource("executors")
  void cmpxchg16bNeedsSixteenByteAlignment(InstructionExecutor cpu) {
    state.setGpr(CpuState.RDI, DATA + 8);
    assertEquals(EmulationResult.Kind.UNHANDLEABLE, run(cpu, code(0xF0, 0x48, 0x0F, 0xC7, 0x0F)).kind());
    state.setGpr(CpuState.RDI, DATA + 16);
    state.setGpr(CpuState.RBX, 7);
    state.setGpr(CpuState.RCX, 8);
    assertEquals(EmulationResult.done(5), run(cpu, code(0xF0, 0x48, 0x0F, 0xC7, 0x0F))); // rdx:rax = 0 = memory
    assertEquals(7, peek(DATA + 16, 8));
    assertEquals(8, peek(DATA + 24, 8));
    assertEquals(ZF, state.rflags() & ZF);
  }

  @ParameterizedTest
  @MethodSource("executors")
  void nonCanonicalAddressesAndMissingBytesAreRefused(InstructionExecutor cpu) {
    state.setGpr(CpuState.RDI, 0x0000_8000_0000_0000L);
    assertEquals(EmulationResult.Kind.UNHANDLEABLE, run(cpu, code(0x89, 0x07)).kind()); // #GP
    assertEquals(EmulationResult.Kind.UNHANDLEABLE, run(cpu, code(0x0F)).kind()); // truncated
    assertEquals(EmulationResult.Kind.UNHANDLEABLE, run(cpu, code(0x90)).kind()); // outside the subset
  }

  @Test
  void inThirtyTwoBitModeGsBaseAppliesAndAddressesWrapAtFourGiB() {
    for (InstructionExecutor cpu : new InstructionExecutor[] {new X86Emulator(), new SdmExecutor()}) {
      EmulationGuest guest32 = new EmulationGuest(CpuState.Mode.PROTECTED_32, new long[] {0}, new Random(1));
      CpuState cpu32 = new CpuState(CpuState.Mode.PROTECTED_32);
      cpu32.setGsBase(DATA);
      cpu32.setGpr(CpuState.RAX, 0x1234_5678);
      cpu32.setGpr(CpuState.RDI, 0xFFFF_FFFF_0000_0040L); // only the low 32 bits address
      assertEquals(EmulationResult.done(3), cpu.execute(cpu32, code(0x65, 0x89, 0x07), guest32, true));
      AccessOutcome at = guest32.translate(Addr.gva(DATA + 0x40), Access.USER_READ);
      assertEquals(0x1234_5678, guest32.read(Addr.maddr(at.address()), 4));
      assertEquals(3, cpu32.rip());
    }
  }

  @ParameterizedTest
  @MethodSource("executors")
  void carryInLogicFlagsAndCmpThatDoesNotWrite(InstructionExecutor cpu) {
    state.setGpr(CpuState.RDI, DATA);
    poke(DATA, 4, 0xFFFF_FFFFL);
    state.setGpr(CpuState.RCX, 0);
    state.setRflags(CF);
    run(cpu, code(0x11, 0x0F)); // adc [rdi], ecx: 0xffffffff + 0 + 1 carries out
    assertEquals(0, peek(DATA, 4));
    assertEquals(CF | ZF | AF | PF, state.rflags() & STATUS);
    run(cpu, code(0x19, 0x0F)); // sbb [rdi], ecx: 0 - 0 - 1 borrows
    assertEquals(0xFFFF_FFFFL, peek(DATA, 4));
    assertEquals(CF | SF | AF | PF, state.rflags() & STATUS);
    state.setRflags(CF | OF);
    run(cpu, code(0xF0, 0x81, 0x37, 0x0F, 0, 0, 0)); // lock xor dword [rdi], 0xf: CF and OF cleared
    assertEquals(0xFFFF_FFF0L, peek(DATA, 4));
    assertEquals(SF | PF, state.rflags() & (STATUS & ~AF));
    run(cpu, code(0x83, 0x3F, 0x01)); // cmp dword [rdi], 1: flags only
    assertEquals(0xFFFF_FFF0L, peek(DATA, 4));
    assertEquals(SF | AF, state.rflags() & STATUS); // 0xfffffff0 - 1 = 0xffffffef: odd parity, AF borrow
    assertEquals(EmulationResult.Kind.UNHANDLEABLE, run(cpu, code(0xF0, 0x83, 0x3F, 0x01)).kind()); // lock cmp: #UD
  }
}
