package org.shadowref.emulate;

import java.util.Arrays;
import java.util.function.LongConsumer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;

/**
 * The register file an instruction sees: 16 general registers, RIP, RFLAGS, the FS/GS bases
 * (the only segment bases that are not zero in the flat models we run), and the execution mode.
 * In 32-bit mode only the low halves of RAX..RDI are architectural.
 */
public final class CpuState {
  public static final int RAX = 0;
  public static final int RCX = 1;
  public static final int RDX = 2;
  public static final int RBX = 3;
  public static final int RSP = 4;
  public static final int RBP = 5;
  public static final int RSI = 6;
  public static final int RDI = 7;

  /** Whether instructions decode as 32-bit protected mode or 64-bit mode. */
  public enum Mode {
    PROTECTED_32,
    LONG_64
  }

  private final long[] gpr = new long[16];
  private long rip;
  private long rflags = 0x2;
  private long fsBase;
  private long gsBase;
  private Mode mode;

  public CpuState(Mode mode) {
    this.mode = mode;
  }

  public Mode mode() {
    return mode;
  }

  public void setMode(Mode mode) {
    this.mode = mode;
  }

  public long gpr(int index) {
    return gpr[index];
  }

  public void setGpr(int index, long value) {
    gpr[index] = value;
  }

  public long rip() {
    return rip;
  }

  public void setRip(long value) {
    rip = value;
  }

  public long rflags() {
    return rflags;
  }

  public void setRflags(long value) {
    rflags = value | 0x2; // bit 1 always reads as 1
  }

  public long fsBase() {
    return fsBase;
  }

  public void setFsBase(long value) {
    fsBase = value;
  }

  public long gsBase() {
    return gsBase;
  }

  public void setGsBase(long value) {
    gsBase = value;
  }

  public CpuState copy() {
    CpuState out = new CpuState(mode);
    out.copyFrom(this);
    return out;
  }

  public void copyFrom(CpuState other) {
    System.arraycopy(other.gpr, 0, gpr, 0, gpr.length);
    rip = other.rip;
    rflags = other.rflags;
    fsBase = other.fsBase;
    gsBase = other.gsBase;
    mode = other.mode;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof CpuState other)) {
      return false;
    }
    return Arrays.equals(gpr, other.gpr)
        && rip == other.rip
        && rflags == other.rflags
        && fsBase == other.fsBase
        && gsBase == other.gsBase
        && mode == other.mode;
  }

  /** Feeds every register and the mode to {@code into}. */
  public void fingerprint(LongConsumer into) {
    for (long value : gpr) {
      into.accept(value);
    }
    into.accept(rip);
    into.accept(rflags);
    into.accept(fsBase);
    into.accept(gsBase);
    into.accept(mode.ordinal());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(gpr) * 31 + Long.hashCode(rip ^ rflags ^ fsBase ^ gsBase) + mode.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder(mode == Mode.LONG_64 ? "64-bit" : "32-bit");
    String[] names = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"};
    for (int i = 0; i < 16; i++) {
      if (gpr[i] != 0) {
        out.append(' ').append(i < 8 ? names[i] : "r" + i).append('=').append(Addr.hex(gpr[i]));
      }
    }
    return out.append(" rip=").append(Addr.hex(rip)).append(" rflags=").append(Addr.hex(rflags)).toString();
  }
}
