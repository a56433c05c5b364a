package org.shadowref.check.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.shadowref.arch.Access;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.mmu.PageTableMemory;
import org.shadowref.mmu.Walker;

/** The native walker against the SDM rule table, on every combination of the access matrix. */
class AccessMatrixTest {

  /**
   * One run over every geometry (the matrix is millions of walks; it runs once): zero
   * mismatches, thousands of combinations per mode, and every outcome expected for every access
   * somewhere in every geometry, so no rule goes unexercised.
   */
  @Test
  void walkerConformsToTheSdmOnEveryCombinationOfEveryMode() {
    Geometry[] geometries = Geometry.values();
    MatrixReport report = AccessMatrix.run(geometries, AccessMatrix.NATIVE_WALKER, null);
    for (PagingMode mode : PagingMode.values()) {
      long combinations = 0;
      for (int g = 0; g < geometries.length; g++) {
        combinations += geometries[g].mode() == mode ? report.total(g) : 0;
      }
      System.out.println("access matrix " + mode.cliName() + ": combinations=" + combinations);
      assertTrue(combinations > 10_000, mode.cliName() + " checked only " + combinations);
    }
    System.out.println("access matrix: combinations=" + report.total() + " failed=" + report.failed());
    assertEquals(0, report.failed(), "mismatches:\n" + String.join("\n", report.mismatches()));

    for (int g = 0; g < geometries.length; g++) {
      for (int a = 0; a < AccessMatrix.ACCESSES.length; a++) {
        for (Expectation.Outcome outcome : Expectation.Outcome.values()) {
          if (geometries[g] == Geometry.TWO_LEVEL && outcome == Expectation.Outcome.RESERVED_BIT) {
            continue; // 32-bit entries have no reserved bits unless a PDE maps a 4 MiB page
          }
          assertTrue(
              report.count(g, a, outcome) > 0,
              geometries[g].label() + " " + AccessMatrix.ACCESSES[a] + " never expects " + outcome);
        }
      }
    }
  }

  @Test
  void aWalkerThatIgnoresWriteProtectIsCaught() {
    AccessMatrix.WalkUnderTest ignoresWp =
        (memory, regs, cpu, va, access, out) ->
            Walker.walk(memory, regs.with(0, ControlRegisters.CR0_WP, false), cpu, va, access, true, out);
    MatrixReport report = AccessMatrix.run(new Geometry[] {Geometry.TWO_LEVEL_PSE}, ignoresWp, null);
    assertTrue(report.failed() > 0, "a walker without CR0.WP passed the matrix");
    assertTrue(report.mismatches().get(0).contains("supervisor-write"), report.mismatches().get(0));
  }

  @Test
  void aWalkerThatNeverSetsDirtyIsCaught() {
    AccessMatrix.WalkUnderTest forgetsDirty =
        (memory, regs, cpu, va, access, out) ->
            Walker.walk(withoutDirtyWrites(memory), regs, cpu, va, access, true, out);
    MatrixReport report = AccessMatrix.run(new Geometry[] {Geometry.TWO_LEVEL}, forgetsDirty, null);
    assertTrue(report.failed() > 0, "a walker that loses D updates passed the matrix");
    assertTrue(report.mismatches().get(0).contains("afterwards"), report.mismatches().get(0));
  }

  @Test
  void aWalkerThatSetsAccessedOnFaultsIsCaught() {
    AccessMatrix.WalkUnderTest marksEarly =
        (memory, regs, cpu, va, access, out) -> {
          Walker.walk(memory, regs, cpu, va, access, false, out);
          if (!out.ok()) { // a mutant: marks the top entry accessed even though the access faulted
            int top = out.mode().levels();
            memory.writeEntry(out.entryAddress(top), out.mode().entryBytes(), out.entry(top) | 0x20);
          } else {
            Walker.walk(memory, regs, cpu, va, access, true, out);
          }
        };
    MatrixReport report = AccessMatrix.run(new Geometry[] {Geometry.TWO_LEVEL}, marksEarly, null);
    assertTrue(report.failed() > 0, "a walker that marks faulting walks passed the matrix");
  }

  @Test
  void ruleTableSaysWhatTheSdmSaysOnHandPickedCases() {
    Controls wp = new Controls(true, false, false, false, false);
    int readOnlyUser = Flags.P | Flags.US;
    int fullUser = Flags.P | Flags.RW | Flags.US;
    Expectation kernelWritesReadOnly =
        SdmRules.expect(new AccessCase(Geometry.PAE, wp, Access.SUPERVISOR_WRITE, fullUser, readOnlyUser), 40);
    assertEquals(Expectation.Outcome.PROTECTION, kernelWritesReadOnly.outcome());
    assertEquals(PfErrorCode.P | PfErrorCode.W, kernelWritesReadOnly.errorCode());

    Controls smepNx = new Controls(false, true, true, false, false);
    Expectation kernelRunsUserCode =
        SdmRules.expect(new AccessCase(Geometry.FOUR_LEVEL, smepNx, Access.SUPERVISOR_FETCH, fullUser, fullUser), 40);
    assertEquals(PfErrorCode.P | PfErrorCode.ID, kernelRunsUserCode.errorCode());

    Controls none = new Controls(false, false, false, false, false);
    Expectation userWrites4M =
        SdmRules.expect(
            new AccessCase(Geometry.TWO_LEVEL_PSE, none, Access.USER_WRITE, fullUser | Flags.PS, 0), 40);
    assertTrue(userWrites4M.ok());
    assertEquals(0x1_0040_0000L + (0xC123_4567L & 0x3F_FFFF), userWrites4M.translated());
    assertEquals(fullUser | Flags.PS | Flags.A | Flags.D, userWrites4M.flagsAfter()[2]);

    Expectation ignoredPs =
        SdmRules.expect(new AccessCase(Geometry.TWO_LEVEL, none, Access.USER_READ, fullUser | Flags.PS, 0), 40);
    assertEquals(Expectation.Outcome.NOT_PRESENT, ignoredPs.outcome(), "without CR4.PSE the PTE is read");
    assertEquals(PfErrorCode.U, ignoredPs.errorCode());

    Expectation nxWithoutNxe =
        SdmRules.expect(new AccessCase(Geometry.PAE, none, Access.USER_FETCH, fullUser | Flags.NX, fullUser), 40);
    assertEquals(PfErrorCode.P | PfErrorCode.RSVD | PfErrorCode.U, nxWithoutNxe.errorCode());
  }

  private static PageTableMemory withoutDirtyWrites(PageTableMemory memory) {
    return new PageTableMemory() {
      @Override
      public long readEntry(long address, int size) {
        return memory.readEntry(address, size);
      }

      @Override
      public void writeEntry(long address, int size, long value) {
        memory.writeEntry(address, size, value & ~0x40L);
      }
    };
  }
}
