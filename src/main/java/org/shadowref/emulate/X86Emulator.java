package org.shadowref.emulate;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The hypervisor's instruction emulator for guest stores to write-protected page tables. Two
 * stages: {@link X86Decoder} turns bytes into a {@link DecodedInstruction} (refusing anything
 * outside the subset or illegal), then an {@link Execution} fetches operands, translating every
 * page the instruction touches, computes, and writes back. Writes are staged and committed only
 * after the last translation succeeded, so a #PF on the second page of a crossing store, or on
 * the last element of a REP STOS, leaves registers and memory as they were.
 *
 * <p>The subset: MOV (88, 89, C6 /0, C7 /0), XCHG (86, 87), the arithmetic group ADD, OR, ADC,
 * SBB, AND, SUB, XOR, CMP (00..3D, 80, 81, 83), CMPXCHG (0F B0, B1), CMPXCHG8B/16B (0F C7 /1),
 * BT/BTS/BTR/BTC (0F A3, AB, B3, BB, 0F BA /4../7), STOS (AA, AB, with REP) and MOVNTI (0F C3),
 * in 32-bit protected mode and 64-bit mode, with 66, 67 (64-bit mode), F0, F2/F3, REX and segment
 * prefixes. Where the SDM leaves a flag undefined it gives the model CPU's values ({@link
 * SdmExecutor}): AND/OR/XOR clear AF; the bit tests leave OF, SF, AF and PF unchanged. A 32-bit register write zero-extends in both modes.
 */
public final class X86Emulator implements InstructionExecutor {
  /** REP STOS strings longer than this many bytes are refused rather than emulated. */
  public static final long MAX_STRING_BYTES = 1L << 20;

  /**
   * Seeded emulator bugs, one at a time, for the mutation table and tests: each a mistake real
   * hypervisor emulators have made, at a boundary of the instruction's semantics. Each comment
   * says what the guest sees.
   */
  public enum Bug {
    /**
     * A failed CMPXCHG is taken as a successful one: the source is written to memory although the
     * comparison failed (the guest's entry changes under a lost compare-and-swap race).
     */
    CMPXCHG_FAILURE_STORES_SOURCE,
    /** REP STOS stores one element fewer than RCX counts: the last entry of the run is not written. */
    REP_STOS_DROPS_LAST_ELEMENT,
    /**
     * A store that crosses into the next page writes only its bytes on the first page: the guest
     * finds the old bytes at the start of the second page.
     */
    CROSSING_STORE_FIRST_PAGE_ONLY
  }

  private final @Nullable Bug bug;

  /** The emulator as it should be. */
  public X86Emulator() {
    this(null);
  }

  /** The emulator with {@code bug} seeded (null: none). */
  public X86Emulator(@Nullable Bug bug) {
    this.bug = bug;
  }

  @Override
  public EmulationResult execute(CpuState state, byte[] code, LinearMemory memory, boolean user) {
    DecodedInstruction insn;
    try {
      insn = X86Decoder.decode(code, state.mode());
    } catch (Refusal refusal) {
      return EmulationResult.unhandleable(0, refusal.reason());
    }
    Execution execution = new Execution(state, insn, memory, user, bug);
    try {
      execution.run();
    } catch (Refusal refusal) {
      return EmulationResult.unhandleable(insn.length, refusal.reason());
    } catch (MemoryStop stop) {
      return EmulationResult.memoryStop(insn.length, stop.outcome);
    }
    execution.commit();
    return EmulationResult.done(insn.length);
  }

  /** A one-line description of what the emulator decodes {@code code} as, or why it refuses it. */
  public static String describe(byte[] code, CpuState.Mode mode) {
    try {
      DecodedInstruction insn = X86Decoder.decode(code, mode);
      return (insn.lock ? "lock " : "") + insn.operation().mnemonic() + " size=" + insn.operandSize
          + (insn.memory ? " memory" : " register") + " length=" + insn.length;
    } catch (Refusal refusal) {
      return "refused: " + refusal.reason();
    }
  }
}
