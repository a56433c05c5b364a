package typecheck;

import org.shadowref.arch.qual.Gfn;
import org.shadowref.memory.MachineMemory;

/** Deliberately wrong: clears a machine frame named by a guest frame number. Must not compile. */
final class GfnPassedAsMfn {
  private GfnPassedAsMfn() {}

  static void clearGuestFrame(MachineMemory machine, @Gfn long gfn) {
    machine.zeroFrame(gfn); // line 11: a gfn where an mfn is expected
  }
}
