package org.shadowref.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Test;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PagingMode;
import org.shadowref.emulate.CpuState;

/**
 * {@link GuestControl} against the SDM's rules for control-register writes, restated here
 * without its code. Every platform, native included, uses GuestControl, so no differential check
 * can see a wrong rule in it: this table is its only independent judge (and PIT's killer for it).
 *
 * <p>The rules (SDM Vol. 2 "MOV—Move to/from Control Registers", Vol. 3 §2.5 and §9.8.5):
 * setting CR0.PG with CR0.PE clear is #GP; entering IA-32e mode (CR0.PG with EFER.LME) with
 * CR4.PAE clear is #GP; EFER.LMA is the processor's (LME and PG), whatever the write says; a
 * refused write changes nothing; an accepted one keeps CR3 and takes every other value as written.
 */
class GuestControlSdmTest {
  private static final long CR3 = 0x1234_5000L;
  /** CR0.NE and a CR4/RFLAGS bit paging ignores: accepted writes must keep them as written. */
  private static final long CR0_NE = 1L << 5;
  private static final long CR4_OSFXSR = 1L << 9;

  private static final long[] CR0_BITS = {ControlRegisters.CR0_PE, ControlRegisters.CR0_WP, ControlRegisters.CR0_PG, CR0_NE};
  private static final long[] CR4_BITS = {ControlRegisters.CR4_PSE, ControlRegisters.CR4_PAE, ControlRegisters.CR4_SMEP,
      ControlRegisters.CR4_SMAP, CR4_OSFXSR};
  private static final long[] EFER_BITS = {ControlRegisters.EFER_LME, ControlRegisters.EFER_LMA, ControlRegisters.EFER_NXE};
  private static final long[] RFLAGS = {0x2, 0x2 | ControlRegisters.RFLAGS_AC};

  @Test
  void everyCombinationFollowsTheSdm() {
    int refused = 0;
    int longMode = 0;
    for (Vcpu before : startingVcpus()) {
      for (long cr0 : subsets(CR0_BITS)) {
        for (long cr4 : subsets(CR4_BITS)) {
          for (long efer : subsets(EFER_BITS)) {
            for (long rflags : RFLAGS) {
              Vcpu vcpu = before.copy();
              String why = GuestControl.apply(vcpu, new GuestOp.SetControl(0, cr0, cr4, efer, rflags));
              String what = String.format("cr0=%x cr4=%x efer=%x rflags=%x from %s", cr0, cr4, efer, rflags, before);
              if (sdmRefuses(cr0, cr4, efer)) {
                refused++;
                assertNotNull(why, "the CPU refuses " + what);
                assertTrue(why.contains("CR0.PG"), "the reason names the rule: " + why);
                assertEquals(before.regs(), vcpu.regs(), "a refused write changes nothing: " + what);
                assertEquals(before.cpu().mode(), vcpu.cpu().mode(), "a refused write keeps the mode: " + what);
                continue;
              }
              assertNull(why, "the CPU accepts " + what);
              boolean lma = (efer & ControlRegisters.EFER_LME) != 0 && (cr0 & ControlRegisters.CR0_PG) != 0;
              long expectedEfer = (efer & ~ControlRegisters.EFER_LMA) | (lma ? ControlRegisters.EFER_LMA : 0);
              assertEquals(new ControlRegisters(cr0, before.regs().cr3(), cr4, expectedEfer, rflags), vcpu.regs(), what);
              assertEquals(lma ? CpuState.Mode.LONG_64 : CpuState.Mode.PROTECTED_32, vcpu.cpu().mode(), what);
              assertEquals(sdmPagingMode(cr0, cr4, lma), vcpu.regs().pagingMode(), what);
              longMode += lma ? 1 : 0;
            }
          }
        }
      }
    }
    // Both sides of every rule were taken. Of the 8,192 writes from each of the two vCPUs,
    // PG without PE is 4 CR0 values x 32 x 8 x 2 = 2,048; PG, PE, LME without PAE is
    // 4 x 16 x 4 x 2 = 512; long mode is entered by PG, PE, LME and PAE: 4 x 16 x 4 x 2 = 512.
    assertEquals(2 * (2_048 + 512), refused, "refused writes");
    assertEquals(2 * 512, longMode, "writes entering long mode");
  }

  @Test
  void loadCr3ChangesOnlyCr3() {
    for (Vcpu before : startingVcpus()) {
      Vcpu vcpu = before.copy();
      GuestControl.loadCr3(vcpu, new GuestOp.LoadCr3(0, 0xABC_D020L));
      assertEquals(before.regs().withCr3(0xABC_D020L), vcpu.regs());
      assertEquals(before.cpu().mode(), vcpu.cpu().mode());
    }
  }

  /** The SDM's #GP conditions, from the rules above (not from GuestControl). */
  private static boolean sdmRefuses(long cr0, long cr4, long efer) {
    boolean pg = (cr0 & ControlRegisters.CR0_PG) != 0;
    boolean pe = (cr0 & ControlRegisters.CR0_PE) != 0;
    boolean pae = (cr4 & ControlRegisters.CR4_PAE) != 0;
    boolean lme = (efer & ControlRegisters.EFER_LME) != 0;
    return (pg && !pe) || (pg && lme && !pae);
  }

  /** SDM Vol. 3 Table 4-1: the paging mode CR0.PG, CR4.PAE and EFER.LMA select. */
  private static @Nullable PagingMode sdmPagingMode(long cr0, long cr4, boolean lma) {
    if ((cr0 & ControlRegisters.CR0_PG) == 0) {
      return null;
    }
    if ((cr4 & ControlRegisters.CR4_PAE) == 0) {
      return PagingMode.TWO_LEVEL;
    }
    return lma ? PagingMode.FOUR_LEVEL : PagingMode.PAE;
  }

  /** A vCPU in long mode with 4-level paging, and one with paging off in protected mode. */
  private static List<Vcpu> startingVcpus() {
    return List.of(
        new Vcpu(0, ControlRegisters.forMode(PagingMode.FOUR_LEVEL, CR3), new CpuState(CpuState.Mode.LONG_64)),
        new Vcpu(0, ControlRegisters.pagingOff().withCr3(CR3), new CpuState(CpuState.Mode.PROTECTED_32)));
  }

  private static List<Long> subsets(long[] bits) {
    List<Long> out = new ArrayList<>();
    for (int mask = 0; mask < 1 << bits.length; mask++) {
      long value = 0;
      for (int i = 0; i < bits.length; i++) {
        value |= (mask >> i & 1) != 0 ? bits[i] : 0;
      }
      out.add(value);
    }
    return out;
  }
}
