package org.shadowref.emulate;

/**
 * Executes one instruction against a register file and linear memory. The hypervisor's emulator
 * and the independent oracle both implement it; they share no execution code.
 */
public interface InstructionExecutor {
  /**
   * Executes the instruction at the start of {@code code}. On {@link EmulationResult.Kind#DONE}
   * the state (registers, RIP past the instruction, flags) and memory are updated; on any other
   * result neither registers nor memory have changed.
   *
   * @param user whether the instruction runs at CPL 3 (its memory accesses are user accesses)
   */
  EmulationResult execute(CpuState state, byte[] code, LinearMemory memory, boolean user);
}
