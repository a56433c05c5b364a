package org.shadowref.shadow;

import java.util.function.LongConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Mfn;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;

/**
 * The guest as a whole: machine memory (guest RAM and, for the engines, shadow frames), the
 * P2M, the vCPUs and the CPU model. Machine frames below {@link #guestFrameLimit()} belong to
 * the guest; frames from there up are the hypervisor's (where engines keep shadows).
 */
public final class GuestMachine implements Fingerprintable {
  private final MachineMemory machine;
  private final P2m p2m;
  private final GuestPhysicalMemory physical;
  private final CpuModel cpu;
  private final Vcpu[] vcpus;
  private final int guestFrameLimit;

  /**
   * A guest whose RAM is {@code machine}'s frames below {@code guestFrameLimit}, reached through
   * {@code p2m}, on a CPU of model {@code cpu} with {@code vcpus} (taken as they are, not copied).
   */
  public GuestMachine(MachineMemory machine, P2m p2m, CpuModel cpu, Vcpu[] vcpus, int guestFrameLimit) {
    if (guestFrameLimit > machine.frameCount()) {
      throw new IllegalArgumentException("guest frames exceed machine memory");
    }
    this.machine = machine;
    this.p2m = p2m;
    this.physical = new GuestPhysicalMemory(machine, p2m);
    this.cpu = cpu;
    this.vcpus = vcpus;
    this.guestFrameLimit = guestFrameLimit;
  }

  /** All of machine memory: the guest's frames and the hypervisor's. */
  public MachineMemory machine() {
    return machine;
  }

  /** The guest's physical-to-machine map. */
  public P2m p2m() {
    return p2m;
  }

  /** Guest-physical memory: machine memory seen through the P2M. */
  public GuestPhysicalMemory physical() {
    return physical;
  }

  /** The CPU model the guest runs on (MAXPHYADDR, features). */
  public CpuModel cpu() {
    return cpu;
  }

  /** How many vCPUs the guest has. */
  public int vcpuCount() {
    return vcpus.length;
  }

  /** vCPU {@code id}; an id the guest lacks is an error. */
  public Vcpu vcpu(int id) {
    if (id < 0 || id >= vcpus.length) {
      throw new IllegalArgumentException("no vcpu " + id + " (the guest has " + vcpus.length + ")");
    }
    return vcpus[id];
  }

  /** Machine frames {@code [0, guestFrameLimit)} may back guest RAM; the rest are the hypervisor's. */
  public int guestFrameLimit() {
    return guestFrameLimit;
  }

  /** True when {@code mfn} may back guest RAM (it is below the guest frame limit). */
  public boolean isGuestFrame(@Mfn long mfn) {
    return mfn >= 0 && mfn < guestFrameLimit;
  }

  /** A deep copy: memory, P2M and vCPUs; the CPU model is shared (it is immutable). */
  public GuestMachine copy() {
    Vcpu[] copied = new Vcpu[vcpus.length];
    for (int i = 0; i < vcpus.length; i++) {
      copied[i] = vcpus[i].copy();
    }
    return new GuestMachine(machine.copy(), p2m.copy(), cpu, copied, guestFrameLimit);
  }

  /**
   * Makes {@code target}, a copy of this machine or of one with the same shape, equal to this one
   * again, reusing its arrays (see {@link MachineMemory#restoreFrom}).
   */
  public void copyInto(GuestMachine target) {
    if (target.cpu != cpu || target.vcpus.length != vcpus.length || target.guestFrameLimit != guestFrameLimit) {
      throw new IllegalArgumentException("machines of different shapes");
    }
    target.machine.restoreFrom(machine);
    target.p2m.restoreFrom(p2m);
    for (int i = 0; i < vcpus.length; i++) {
      target.vcpus[i].restoreFrom(vcpus[i]);
    }
  }

  /** {@link #fingerprint} folded into one 64-bit hash. */
  public long guestFingerprint() {
    return WordFold.of(this);
  }

  /**
   * Feeds what the guest can observe to {@code into}: the P2M, the contents of every RAM frame
   * through it (a 128-bit digest each, in guest frame order), the vCPUs.
   */
  @Override
  public void fingerprint(LongConsumer into) {
    p2m.fingerprint(into);
    for (int i = 0; i < p2m.mappableCount(); i++) {
      @Gfn long g = p2m.mappableGfn(i);
      if (p2m.type(g).isRam()) {
        machine.frameDigest(p2m.mfn(g), into);
      }
    }
    into.accept(vcpus.length);
    for (Vcpu vcpu : vcpus) {
      vcpu.fingerprint(into);
    }
  }

  /**
   * The first difference the guest could observe between this and {@code other}, or null when
   * they agree: a guest frame whose contents differ, a P2M entry, a vCPU register. Frames are
   * compared by their 128-bit digests where both memories keep them ({@link
   * MachineMemory#frameMatches}).
   */
  public @Nullable String firstGuestDifference(GuestMachine other) {
    if (!p2m.equals(other.p2m)) {
      return "the P2M differs";
    }
    for (int i = 0; i < p2m.mappableCount(); i++) {
      @Gfn long g = p2m.mappableGfn(i);
      if (p2m.type(g).isRam() && !machine.frameMatches(p2m.mfn(g), other.machine, other.p2m.mfn(g))) {
        return "guest frame " + Addr.hex(g) + " differs" + firstWordDifference(g, other);
      }
    }
    for (int i = 0; i < vcpus.length; i++) {
      if (!vcpus[i].regs().equals(other.vcpus[i].regs()) || !vcpus[i].cpu().equals(other.vcpus[i].cpu())) {
        return "vcpu" + i + " differs: " + vcpus[i] + " vs " + other.vcpus[i];
      }
    }
    return null;
  }

  private String firstWordDifference(@Gfn long gfn, GuestMachine other) {
    for (int offset = 0; offset < Addr.PAGE_SIZE; offset += 8) {
      long mine = machine.read(Addr.maddrOf(p2m.mfn(gfn), offset), 8);
      long theirs = other.machine.read(Addr.maddrOf(other.p2m.mfn(gfn), offset), 8);
      if (mine != theirs) {
        return " at offset " + Addr.hex(offset) + ": " + Addr.hex(mine) + " vs " + Addr.hex(theirs);
      }
    }
    return "";
  }
}
