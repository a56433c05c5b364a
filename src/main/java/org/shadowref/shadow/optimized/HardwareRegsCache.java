package org.shadowref.shadow.optimized;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.shadow.core.ShadowKey;

/**
 * The last hardware registers made per vCPU, with the guest registers and root key they were made
 * from: the hardware registers are on every walk's path, and are made again only when these
 * change. The key object identifies the top: the pool replaces it only when a CR3 load installs a
 * different top, and a top is never destroyed while a vCPU runs on it (the vCPU holds a reference).
 * Not engine state: a copy starts empty.
 */
final class HardwareRegsCache {
  private final @Nullable ControlRegisters[] made;
  private final @Nullable ControlRegisters[] fromGuest;
  private final @Nullable ShadowKey[] fromRoot;

  HardwareRegsCache(int vcpus) {
    made = new ControlRegisters[vcpus];
    fromGuest = new ControlRegisters[vcpus];
    fromRoot = new ShadowKey[vcpus];
  }

  /** The registers made for {@code vcpu} from exactly {@code guest} and {@code root}, or null. */
  @Nullable ControlRegisters cached(int vcpu, ControlRegisters guest, @Nullable ShadowKey root) {
    return fromGuest[vcpu] == guest && fromRoot[vcpu] == root ? made[vcpu] : null;
  }

  /** Remembers {@code hardware} as the registers made for {@code vcpu} from {@code guest} and {@code root}. */
  ControlRegisters remember(int vcpu, ControlRegisters guest, @Nullable ShadowKey root, ControlRegisters hardware) {
    made[vcpu] = hardware;
    fromGuest[vcpu] = guest;
    fromRoot[vcpu] = root;
    return hardware;
  }
}
