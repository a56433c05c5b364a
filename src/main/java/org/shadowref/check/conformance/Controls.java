package org.shadowref.check.conformance;

import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PagingMode;

/**
 * The control bits the access matrix varies: CR0.WP, EFER.NXE, CR4.SMEP, and CR4.SMAP with
 * EFLAGS.AC (AC is only varied with SMAP on, where it matters).
 */
public record Controls(boolean wp, boolean nxe, boolean smep, boolean smap, boolean ac) {
  /** The 24 settings, in a fixed order. */
  public static Controls[] all() {
    Controls[] out = new Controls[24];
    int next = 0;
    for (int wp = 0; wp < 2; wp++) {
      for (int nxe = 0; nxe < 2; nxe++) {
        for (int smep = 0; smep < 2; smep++) {
          out[next++] = new Controls(wp == 1, nxe == 1, smep == 1, false, false);
          out[next++] = new Controls(wp == 1, nxe == 1, smep == 1, true, false);
          out[next++] = new Controls(wp == 1, nxe == 1, smep == 1, true, true);
        }
      }
    }
    return out;
  }

  /** The registers of a CPU in {@code mode} with these bits (and CR4.PSE as given). */
  public ControlRegisters registers(PagingMode mode, long cr3, boolean pse) {
    ControlRegisters regs = ControlRegisters.forMode(mode, cr3);
    regs = regs.with(0, ControlRegisters.CR0_WP, wp);
    regs = regs.with(8, ControlRegisters.EFER_NXE, nxe);
    regs = regs.with(4, ControlRegisters.CR4_SMEP, smep);
    regs = regs.with(4, ControlRegisters.CR4_SMAP, smap);
    regs = regs.with(4, ControlRegisters.CR4_PSE, pse);
    return regs.with(9, ControlRegisters.RFLAGS_AC, ac);
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    append(out, wp, "WP");
    append(out, nxe, "NXE");
    append(out, smep, "SMEP");
    append(out, smap, "SMAP");
    append(out, ac, "AC");
    return out.length() == 0 ? "-" : out.toString();
  }

  private static void append(StringBuilder out, boolean on, String name) {
    if (on) {
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(name);
    }
  }
}
