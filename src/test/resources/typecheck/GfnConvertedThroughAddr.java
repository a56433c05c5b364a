package typecheck;

import org.shadowref.arch.Addr;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.memory.MachineMemory;

/**
 * The positive control: the same code, with the identity P2M of this example stated at the one
 * door where numbers become machine frames. Must compile cleanly.
 */
final class GfnConvertedThroughAddr {
  private GfnConvertedThroughAddr() {}

  static void clearGuestFrame(MachineMemory machine, @Gfn long gfn) {
    machine.zeroFrame(Addr.mfn(gfn)); // identity-mapped guest: gfn N is machine frame N
  }
}
