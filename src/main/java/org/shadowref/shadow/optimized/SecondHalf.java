package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.emulate.CpuState;
import org.shadowref.emulate.EmulationResult;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.GuestOp;
import org.shadowref.shadow.Vcpu;
import org.shadowref.shadow.core.Fault;
import org.shadowref.shadow.core.FaultResolution;
import org.shadowref.shadow.core.SeededBug;

/**
 * Xen's extra emulation for PAE guests (in {@code sh_page_fault}, for 3-level guests only): a
 * 32-bit PAE kernel writes a 64-bit entry as two 32-bit stores, so every entry it changes in a
 * shadowed table would trap twice. After emulating the store that faulted, the handler goes on
 * emulating the instructions after it, up to {@link #MAX_FOLLOWING}, and stops after the first
 * that writes a page table (the other half), or at the first it cannot complete: one that stops
 * (a fault the guest must take, MMIO) or that the emulator refuses is left, unchanged, to the CPU,
 * which runs it and traps as it would have. Switch: {@link OptimizedConfig#emulateSecondHalf}.
 *
 * <p>The instructions are the ones the guest runs next anyway, each on the registers the one
 * before left, through the guest walk (setting the A and D bits the CPU's walk would) with every
 * store revalidated, as the handler emulates the faulting one; under the shadow lock, no other
 * vCPU runs in between, as none may between the CPU's own instructions. So the guest sees what
 * running them on the CPU gives; only the second trap is saved.
 */
final class SecondHalf extends Heuristic {
  /** Instructions emulated at most after the faulting one (Xen tries four). */
  static final int MAX_FOLLOWING = 4;

  /** Whether the instruction being emulated has stored to a shadowed page table. */
  private boolean wroteTable;
  /** Whether the continuation is emulating now (the stores it makes are watched). */
  private boolean emulating;

  SecondHalf(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, GuestMachine guest, ShadowPool pool,
      Counters counters) {
    super(engine, config, guest, pool, counters);
  }

  /**
   * {@code emulated}, the handler's answer after emulating {@code fault}'s instruction (a store to
   * a page table), extended by the instructions after it that the continuation completes.
   */
  FaultResolution emulateFollowing(Fault fault, FaultResolution emulated) {
    if (!config.emulateSecondHalf() || emulated.instructionBytes() == 0
        || !(fault.op() instanceof GuestOp.Execute block)
        || fault.vcpu().regs().pagingMode() != PagingMode.PAE) {
      return emulated;
    }
    Vcpu vcpu = fault.vcpu();
    int done = emulated.instructionBytes();
    for (int following = 0; following < MAX_FOLLOWING; following++) {
      GuestOp.@Nullable Execute next = block.rest(done, registersAfter(block, vcpu));
      if (next == null) {
        break;
      }
      wroteTable = false;
      emulating = true;
      EmulationResult result;
      try {
        result = engine.emulateOnGuestTables(vcpu, next);
      } finally {
        emulating = false;
      }
      if (result.kind() != EmulationResult.Kind.DONE
          && !(result.kind() == EmulationResult.Kind.MEMORY_STOP && config.has(SeededBug.SECOND_HALF_SKIPS_STOPPED_INSTRUCTION))) {
        break; // nothing changed: the CPU runs it
      }
      done += result.length();
      counters.emulatedAhead++;
      if (wroteTable) {
        break; // the other half: the entry is whole again
      }
    }
    return done == emulated.instructionBytes() ? emulated : FaultResolution.instructionsDone(done);
  }

  /** The registers the next instruction starts from: the vCPU's, as the instructions before left them. */
  private CpuState registersAfter(GuestOp.Execute block, Vcpu vcpu) {
    if (!config.has(SeededBug.SECOND_HALF_STALE_REGISTERS)) {
      return vcpu.cpu();
    }
    CpuState stale = vcpu.cpu().copy();
    for (int i = 0; i < GuestOp.Execute.GPRS; i++) {
      stale.setGpr(i, block.gpr(i));
    }
    return stale;
  }

  /**
   * The engine is about to store by emulation to machine frames {@code first} to {@code last} (the
   * same frame unless the store straddles into the next): the continuation notes a store to a
   * shadowed page table. Returns whether the store skips revalidation (seeded bug {@link
   * SeededBug#SECOND_HALF_NOT_REVALIDATED}).
   */
  boolean storing(@Mfn long first, @Mfn long last) {
    if (!emulating) {
      return false;
    }
    if (engine.isShadowedPageTable(first) || engine.isShadowedPageTable(last)) {
      wroteTable = true;
    }
    return config.has(SeededBug.SECOND_HALF_NOT_REVALIDATED);
  }
}
