package org.shadowref.emulate;

import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.Addr;
import org.shadowref.mmu.AccessOutcome;

/**
 * The interim executor (until the full emulator lands) for the two instructions tests and scenarios use: {@code mov [rdi], rax}
 * ({@code 48 89 07}, or {@code 89 07} for the 32-bit {@code mov [edi], eax}) and {@code mov rax,
 * [rdi]} ({@code 48 8b 07} / {@code 8b 07}). Everything else is unhandleable.
 */
public final class MovExecutor implements InstructionExecutor {
  public static final byte[] STORE_64 = {0x48, (byte) 0x89, 0x07};
  public static final byte[] STORE_32 = {(byte) 0x89, 0x07};
  public static final byte[] LOAD_64 = {0x48, (byte) 0x8b, 0x07};

  @Override
  public EmulationResult execute(CpuState state, byte[] code, LinearMemory memory, boolean user) {
    boolean rex = code.length >= 3 && code[0] == 0x48;
    int at = rex ? 1 : 0;
    if (code.length < at + 2 || code[at + 1] != 0x07) {
      return EmulationResult.unhandleable(0, "not a mov between rax and [rdi]");
    }
    int length = at + 2;
    int size = rex ? 8 : 4;
    long va = state.mode() == CpuState.Mode.LONG_64 ? state.gpr(CpuState.RDI) : state.gpr(CpuState.RDI) & 0xFFFF_FFFFL;
    boolean store = code[at] == (byte) 0x89;
    if (!store && code[at] != (byte) 0x8b) {
      return EmulationResult.unhandleable(0, "not a mov");
    }
    if (Addr.pageOffset(va) + size > Addr.PAGE_SIZE) {
      return EmulationResult.unhandleable(length, "page-crossing access");
    }
    AccessOutcome outcome = memory.translate(Addr.gva(va), Access.of(store ? AccessKind.WRITE : AccessKind.READ, user));
    if (!outcome.isOk()) {
      return EmulationResult.memoryStop(length, outcome);
    }
    if (store) {
      memory.write(Addr.maddr(outcome.address()), size, state.gpr(CpuState.RAX));
    } else {
      state.setGpr(CpuState.RAX, memory.read(Addr.maddr(outcome.address()), size));
    }
    state.setRip(state.rip() + length);
    return EmulationResult.done(length);
  }
}
