package org.shadowref.check.trace;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.emulate.CpuState;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.GuestMachine;
import org.shadowref.shadow.Vcpu;

/**
 * A guest's whole state as data, the {@code "world"} of a trace file: everything a trace needs to
 * rebuild its guest from nothing (machine size, the P2M, the non-zero contents of guest memory,
 * page-table entries included, as raw words, and each vCPU's registers). {@link #of} describes a
 * running guest; {@link #build} makes a fresh one.
 *
 * @param maxPhysAddr the CPU's MAXPHYADDR
 * @param machineFrames machine memory size in frames (guest RAM and room for shadows)
 * @param guestFrameLimit machine frames below this belong to the guest
 * @param gfnCount size of the P2M's arrays (up to {@link P2m#SPARSE_LIMIT} entries may lie above)
 * @param p2m the guest frames that are not absent
 * @param memory non-zero words of guest-physical memory, in address order
 * @param vcpus one entry per vCPU, in id order
 */
public record GuestSnapshot(
    int maxPhysAddr,
    int machineFrames,
    int guestFrameLimit,
    int gfnCount,
    List<P2mEntry> p2m,
    List<MemoryWord> memory,
    List<VcpuState> vcpus) {

  /** One guest frame's P2M entry; {@code mfn} is -1 for frames without RAM. */
  public record P2mEntry(long gfn, P2mType type, long mfn) {}

  /**
   * {@code size} bytes (4 or 8) at guest-physical {@code gpa}; {@code what} optionally says what
   * the word is (e.g. {@code "L2 entry for 0x400000"}) for a reader and is not interpreted.
   */
  public record MemoryWord(long gpa, int size, long value, String what) {}

  /** A vCPU's paging registers, execution mode and general registers (16 values). */
  public record VcpuState(ControlRegisters regs, CpuState.Mode cpuMode, long[] gprs) {
    public VcpuState {
      if (gprs.length != 16) {
        throw new IllegalArgumentException("a vcpu needs 16 general registers, got " + gprs.length);
      }
      gprs = gprs.clone();
    }

    @Override
    public long[] gprs() {
      return gprs.clone();
    }

    @Override
    public boolean equals(@Nullable Object other) {
      return other instanceof VcpuState that
          && that.regs.equals(regs)
          && that.cpuMode == cpuMode
          && java.util.Arrays.equals(that.gprs, gprs);
    }

    @Override
    public int hashCode() {
      return regs.hashCode() * 31 + cpuMode.hashCode() + java.util.Arrays.hashCode(gprs);
    }
  }

  public GuestSnapshot {
    new CpuModel(maxPhysAddr); // validates the range
    if (machineFrames <= 0) {
      throw new IllegalArgumentException("machineFrames must be positive, got " + machineFrames);
    }
    if (guestFrameLimit < 0 || guestFrameLimit > machineFrames) {
      throw new IllegalArgumentException(
          "guestFrameLimit must be within 0.." + machineFrames + ", got " + guestFrameLimit);
    }
    if (gfnCount < 0) {
      throw new IllegalArgumentException("gfnCount must not be negative, got " + gfnCount);
    }
    if (vcpus.isEmpty()) {
      throw new IllegalArgumentException("a world needs at least one vcpu");
    }
    java.util.Set<Long> seen = new java.util.HashSet<>();
    int above = 0;
    for (P2mEntry entry : p2m) {
      if (entry.gfn() < 0 || entry.gfn() >= P2m.GFN_LIMIT) {
        throw new IllegalArgumentException("p2m entry for gfn " + Addr.hex(entry.gfn()) + " is beyond 52-bit physical addresses");
      }
      if (!seen.add(entry.gfn())) {
        throw new IllegalArgumentException("gfn " + Addr.hex(entry.gfn()) + " appears twice in the p2m");
      }
      if (entry.gfn() >= gfnCount && entry.type() != P2mType.ABSENT && ++above > P2m.SPARSE_LIMIT) {
        throw new IllegalArgumentException("more than " + P2m.SPARSE_LIMIT + " p2m entries above gfnCount " + gfnCount);
      }
      if (entry.type().isRam() && (entry.mfn() < 0 || entry.mfn() >= guestFrameLimit)) {
        throw new IllegalArgumentException("gfn " + Addr.hex(entry.gfn()) + " is RAM at mfn " + Addr.hex(entry.mfn())
            + ", outside the guest's machine frames 0.." + Addr.hex(guestFrameLimit - 1L));
      }
      if (!entry.type().isRam() && entry.mfn() != P2m.INVALID_MFN) {
        throw new IllegalArgumentException("gfn " + Addr.hex(entry.gfn()) + " is " + entry.type() + " and cannot have an mfn");
      }
    }
    for (MemoryWord word : memory) {
      if (word.size() != 4 && word.size() != 8) {
        throw new IllegalArgumentException("memory word size must be 4 or 8, got " + word.size());
      }
      if (word.gpa() % word.size() != 0) {
        throw new IllegalArgumentException("memory word at " + Addr.hex(word.gpa()) + " is not " + word.size() + "-byte aligned");
      }
      long gfn = word.gpa() >>> Addr.PAGE_SHIFT;
      if (word.gpa() < 0 || !seen.contains(gfn) || !ramType(p2m, gfn)) {
        throw new IllegalArgumentException("memory word at " + Addr.hex(word.gpa()) + " is not in guest RAM");
      }
    }
    p2m = List.copyOf(p2m);
    memory = List.copyOf(memory);
    vcpus = List.copyOf(vcpus);
  }

  private static boolean ramType(List<P2mEntry> p2m, long gfn) {
    for (P2mEntry entry : p2m) {
      if (entry.gfn() == gfn) {
        return entry.type().isRam();
      }
    }
    return false;
  }

  /** The paging mode of vCPU 0, or null when its paging is off. */
  public @Nullable PagingMode mode() {
    return vcpus.get(0).regs().pagingMode();
  }

  /** Describes {@code guest} as it is now: every non-zero 8-byte word of its RAM. */
  public static GuestSnapshot of(GuestMachine guest) {
    P2m p2m = guest.p2m();
    List<P2mEntry> entries = new ArrayList<>();
    List<MemoryWord> words = new ArrayList<>();
    for (int i = 0; i < p2m.mappableCount(); i++) {
      @Gfn long g = p2m.mappableGfn(i);
      P2mType type = p2m.type(g);
      if (type == P2mType.ABSENT) {
        continue;
      }
      entries.add(new P2mEntry(g, type, p2m.mfn(g)));
      if (!type.isRam()) {
        continue;
      }
      for (int offset = 0; offset < Addr.PAGE_SIZE; offset += 8) {
        long value = guest.machine().read(Addr.maddrOf(p2m.mfn(g), offset), 8);
        if (value != 0) {
          words.add(new MemoryWord(Addr.gpaOf(g, offset), 8, value, ""));
        }
      }
    }
    List<VcpuState> vcpus = new ArrayList<>();
    for (int id = 0; id < guest.vcpuCount(); id++) {
      Vcpu vcpu = guest.vcpu(id);
      long[] gprs = new long[16];
      for (int i = 0; i < 16; i++) {
        gprs[i] = vcpu.cpu().gpr(i);
      }
      vcpus.add(new VcpuState(vcpu.regs(), vcpu.cpu().mode(), gprs));
    }
    return new GuestSnapshot(
        guest.cpu().maxPhysAddr(),
        guest.machine().frameCount(),
        guest.guestFrameLimit(),
        p2m.gfnCount(),
        entries,
        words,
        vcpus);
  }

  /** A fresh guest in exactly this state; frames not mentioned are zero. */
  public GuestMachine build() {
    MachineMemory machine = new MachineMemory(machineFrames);
    P2m map = new P2m(gfnCount);
    for (P2mEntry entry : p2m) {
      map.set(Addr.gfn(entry.gfn()), entry.type(), Addr.mfn(entry.mfn()));
    }
    for (MemoryWord word : memory) {
      @Gpa long gpa = Addr.gpa(word.gpa());
      // Straight to the machine frame: read-only RAM must be loadable too.
      machine.write(Addr.maddrOf(map.mfn(Addr.gfnOf(gpa)), gpa), word.size(), word.value());
    }
    Vcpu[] built = new Vcpu[vcpus.size()];
    for (int id = 0; id < built.length; id++) {
      VcpuState state = vcpus.get(id);
      CpuState cpu = new CpuState(state.cpuMode());
      long[] gprs = state.gprs();
      for (int i = 0; i < 16; i++) {
        cpu.setGpr(i, gprs[i]);
      }
      cpu.setRflags(state.regs().rflags());
      built[id] = new Vcpu(id, state.regs(), cpu);
    }
    return new GuestMachine(machine, map, new CpuModel(maxPhysAddr), built, guestFrameLimit);
  }

  /** The execution mode a vCPU with these registers runs in. */
  public static CpuState.Mode cpuModeFor(ControlRegisters regs) {
    return (regs.efer() & ControlRegisters.EFER_LMA) != 0 ? CpuState.Mode.LONG_64 : CpuState.Mode.PROTECTED_32;
  }

  /** The same snapshot with descriptions attached to memory words (matched by address), for readers of traces. */
  public GuestSnapshot describingWords(java.util.Map<Long, String> descriptions) {
    List<MemoryWord> described = new ArrayList<>();
    for (MemoryWord word : memory) {
      String what = descriptions.get(word.gpa());
      described.add(what == null ? word : new MemoryWord(word.gpa(), word.size(), word.value(), what));
    }
    return new GuestSnapshot(maxPhysAddr, machineFrames, guestFrameLimit, gfnCount, p2m, described, vcpus);
  }
}
