package org.shadowref.shadow.optimized;

import org.checkerframework.checker.initialization.qual.UnderInitialization;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.P2m;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.core.Shadow;

/**
 * KVM's write-flooding detection ({@code detect_write_flooding} and {@code
 * clear_sp_write_flooding_count} in its MMU): a page table the guest keeps writing by emulation
 * while no fault walks through its shadows has most likely been freed and reused as data, so after
 * {@link #THRESHOLD} such stores it is unshadowed (KVM zaps the shadow page) and later stores run
 * on the hardware. A fault that walks through a table's shadow shows it is still in use and starts
 * the count again. The unshadow takes effect as the next operation begins, like early unshadow's.
 * Switch: {@link OptimizedConfig#writeFlooding}; the counts live in the {@link ShadowPool}.
 */
final class WriteFlooding extends Heuristic {
  /** Emulated stores without a use that make a table flooded: KVM's threshold. */
  static final int THRESHOLD = 3;


  WriteFlooding(@UnderInitialization OptimizedEngine engine, OptimizedConfig config, GuestMachine guest, ShadowPool pool,
      Counters counters) {
    super(engine, config, guest, pool, counters);
  }

  /**
   * An emulated store of the guest's reaches machine frame {@code mfn}: counts it if the frame is
   * a shadowed page table, and says whether this store floods it (it is then unshadowed as the
   * next operation begins).
   */
  boolean floods(@Mfn long mfn) {
    if (!config.writeFlooding() || mfn < 0 || mfn >= guest.machine().frameCount() || !engine.hasShadows(mfn)
        || pool.countFloodWrite((int) mfn) < THRESHOLD) {
      return false;
    }
    pool.clearFloodWrites((int) mfn);
    pool.setPendingUnshadow(mfn);
    counters.floodedTables++;
    return true;
  }

  /** The fault handler walks through {@code shadow}: the guest table it shadows is in use. */
  void used(Shadow shadow) {
    if (!config.writeFlooding() || !shadow.type().shadowsGuestFrame()) {
      return;
    }
    P2m p2m = guest.p2m();
    @Gfn long gfn = shadow.gfn();
    if (p2m.type(gfn).isRam()) {
      pool.clearFloodWrites((int) p2m.mfn(gfn));
    }
  }
}
