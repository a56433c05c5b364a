package org.shadowref.arch;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The architectural registers that steer paging: CR0, CR3, CR4, EFER and RFLAGS (for AC). Values
 * are raw register contents; the accessors name the bits the MMU reads.
 */
public record ControlRegisters(long cr0, long cr3, long cr4, long efer, long rflags) {
  public static final long CR0_PE = 1L << 0;
  public static final long CR0_WP = 1L << 16;
  public static final long CR0_PG = 1L << 31;
  public static final long CR4_PSE = 1L << 4;
  public static final long CR4_PAE = 1L << 5;
  public static final long CR4_PGE = 1L << 7;
  public static final long CR4_SMEP = 1L << 20;
  public static final long CR4_SMAP = 1L << 21;
  public static final long EFER_LME = 1L << 8;
  public static final long EFER_LMA = 1L << 10;
  public static final long EFER_NXE = 1L << 11;
  public static final long RFLAGS_AC = 1L << 18;

  /** Registers of a CPU running {@code mode} with the given CR3 and nothing optional enabled. */
  public static ControlRegisters forMode(PagingMode mode, long cr3) {
    long cr0 = CR0_PE | CR0_PG;
    long cr4 = 0;
    long efer = 0;
    if (mode != PagingMode.TWO_LEVEL) {
      cr4 |= CR4_PAE;
    }
    if (mode == PagingMode.FOUR_LEVEL) {
      efer |= EFER_LME | EFER_LMA;
    }
    return new ControlRegisters(cr0, cr3, cr4, efer, 0);
  }

  /** Registers with paging disabled (protected mode, flat). */
  public static ControlRegisters pagingOff() {
    return new ControlRegisters(CR0_PE, 0, 0, 0, 0);
  }

  public boolean pagingEnabled() {
    return (cr0 & CR0_PG) != 0;
  }

  /** The paging structure in use, or {@code null} when CR0.PG is clear. */
  public @Nullable PagingMode pagingMode() {
    if (!pagingEnabled()) {
      return null;
    }
    if ((cr4 & CR4_PAE) == 0) {
      return PagingMode.TWO_LEVEL;
    }
    return (efer & EFER_LMA) != 0 ? PagingMode.FOUR_LEVEL : PagingMode.PAE;
  }

  public boolean wp() {
    return (cr0 & CR0_WP) != 0;
  }

  public boolean pse() {
    return (cr4 & CR4_PSE) != 0;
  }

  public boolean pge() {
    return (cr4 & CR4_PGE) != 0;
  }

  public boolean smep() {
    return (cr4 & CR4_SMEP) != 0;
  }

  public boolean smap() {
    return (cr4 & CR4_SMAP) != 0;
  }

  public boolean nxe() {
    return (efer & EFER_NXE) != 0;
  }

  public boolean ac() {
    return (rflags & RFLAGS_AC) != 0;
  }

  public ControlRegisters withCr0(long value) {
    return new ControlRegisters(value, cr3, cr4, efer, rflags);
  }

  public ControlRegisters withCr3(long value) {
    return new ControlRegisters(cr0, value, cr4, efer, rflags);
  }

  public ControlRegisters withCr4(long value) {
    return new ControlRegisters(cr0, cr3, value, efer, rflags);
  }

  public ControlRegisters withEfer(long value) {
    return new ControlRegisters(cr0, cr3, cr4, value, rflags);
  }

  public ControlRegisters withRflags(long value) {
    return new ControlRegisters(cr0, cr3, cr4, efer, value);
  }

  /** Sets or clears {@code bit} in CR0 ({@code which=0}), CR4 (4), EFER (8) or RFLAGS (9). */
  public ControlRegisters with(int which, long bit, boolean on) {
    switch (which) {
      case 0:
        return withCr0(on ? cr0 | bit : cr0 & ~bit);
      case 4:
        return withCr4(on ? cr4 | bit : cr4 & ~bit);
      case 8:
        return withEfer(on ? efer | bit : efer & ~bit);
      case 9:
        return withRflags(on ? rflags | bit : rflags & ~bit);
      default:
        throw new IllegalArgumentException("no such register: " + which);
    }
  }

  @Override
  public String toString() {
    PagingMode mode = pagingMode();
    StringBuilder out = new StringBuilder(mode == null ? "paging-off" : mode.cliName());
    out.append(" cr3=").append(Addr.hex(cr3));
    if (wp()) {
      out.append(" WP");
    }
    if (pse()) {
      out.append(" PSE");
    }
    if (nxe()) {
      out.append(" NXE");
    }
    if (smep()) {
      out.append(" SMEP");
    }
    if (smap()) {
      out.append(" SMAP");
    }
    if (ac()) {
      out.append(" AC");
    }
    return out.toString();
  }
}
