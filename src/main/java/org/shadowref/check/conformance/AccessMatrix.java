package org.shadowref.check.conformance;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Access;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.CpuModel;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.qual.Gva;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.MachineMemory;
import org.shadowref.memory.P2m;
import org.shadowref.mmu.FaultKind;
import org.shadowref.mmu.GuestTables;
import org.shadowref.mmu.PageTableMemory;
import org.shadowref.mmu.WalkResult;
import org.shadowref.mmu.Walker;

/**
 * The access matrix, after the combination space of KVM's access test (kvm-unit-tests
 * x86/access.c): every combination of directory flags (P, RW, US, A, D, PS, NX, one reserved
 * bit) and leaf flags (P, RW, US, A, D, NX, one reserved bit), times the six accesses
 * (read/write/fetch, user/supervisor), times CR0.WP, EFER.NXE, CR4.SMEP and CR4.SMAP with
 * EFLAGS.AC, in every {@link Geometry}. Each combination is walked by the walker under test and
 * judged by {@link SdmRules}: the outcome, the error code, the translated address and every
 * entry of the walk afterwards (A/D bits, and that nothing else changed). A successful access
 * is repeated and must do the same again without changing any entry.
 *
 * <p>Three rules keep the space meaningful, as in KVM's test: at most one reserved bit is set
 * per combination (a reserved-bit fault is terminal and its error code does not say which bit);
 * a directory entry that maps a large page has no leaf below it, so the leaf is enumerated once,
 * not present; and flags that do not exist in an entry format (NX and bit 51 in 32-bit entries)
 * are not set.
 */
public final class AccessMatrix {
  /** MAXPHYADDR of the CPU the matrix runs on; the probe bits assume 40. */
  public static final int MAX_PHYS_ADDR = 40;

  private static final int DIRECTORY_FLAG_SPACE = 1 << 8; // P RW US A D NX RSVD PS
  private static final int LEAF_FLAG_SPACE = 1 << 7; // P RW US A D NX RSVD
  private static final int TABLE_FRAMES = 8;

  /** The walker under test: fills {@code out} and writes A/D into {@code memory}. */
  public interface WalkUnderTest {
    void walk(PageTableMemory memory, ControlRegisters regs, CpuModel cpu, @Gva long va, Access access, WalkResult out);
  }

  /** Sees every combination with its verdict: {@code mismatch} is null when it conformed. */
  public interface Listener {
    void onCase(AccessCase c, Expectation expected, WalkResult actual, @Nullable String mismatch);
  }

  /** The native walker, setting A/D as the hardware does. */
  public static final WalkUnderTest NATIVE_WALKER = new NativeWalker();

  /** The six accesses, in table order: read, write, fetch; supervisor before user. */
  public static final Access[] ACCESSES = {
    Access.SUPERVISOR_READ,
    Access.USER_READ,
    Access.SUPERVISOR_WRITE,
    Access.USER_WRITE,
    Access.SUPERVISOR_FETCH,
    Access.USER_FETCH,
  };

  private AccessMatrix() {}

  /** Runs every combination of {@code geometries} against {@code walker}. */
  public static MatrixReport run(Geometry[] geometries, WalkUnderTest walker, @Nullable Listener listener) {
    MatrixReport report = new MatrixReport(geometries);
    for (int g = 0; g < geometries.length; g++) {
      runGeometry(g, geometries[g], walker, listener, report);
    }
    return report;
  }

  private static void runGeometry(
      int geometryIndex, Geometry geometry, WalkUnderTest walker, @Nullable Listener listener, MatrixReport report) {
    MachineMemory machine = new MachineMemory(TABLE_FRAMES);
    P2m p2m = new P2m(TABLE_FRAMES);
    for (int gfn = 0; gfn < TABLE_FRAMES; gfn++) {
      p2m.mapRam(Addr.gfn(gfn), Addr.mfn(gfn), true);
    }
    GuestPhysicalMemory memory = new GuestPhysicalMemory(machine, p2m);
    GuestTables tables = new GuestTables(memory);
    CpuModel cpu = new CpuModel(MAX_PHYS_ADDR);
    WalkResult actual = new WalkResult();
    long cr3 = geometry.tableAddress(geometry.mode().levels());
    Controls[] settings = Controls.all();
    for (Controls controls : settings) {
      ControlRegisters regs = controls.registers(geometry.mode(), cr3, geometry.pse());
      for (int a = 0; a < ACCESSES.length; a++) {
        for (int directory = 0; directory < DIRECTORY_FLAG_SPACE; directory++) {
          if (!exists(geometry, true, directory)) {
            continue;
          }
          int leafCount = geometry.directoryMapsPage(directory) ? 1 : LEAF_FLAG_SPACE;
          for (int leaf = 0; leaf < leafCount; leaf++) {
            if (!exists(geometry, false, leaf) || reservedBitsSet(directory, leaf, controls) > 1) {
              continue;
            }
            AccessCase c = new AccessCase(geometry, controls, ACCESSES[a], directory, leaf);
            writeEntries(memory, c);
            walker.walk(tables, regs, cpu, Addr.gva(geometry.va()), c.access(), actual);
            Expectation expected = SdmRules.expect(c, MAX_PHYS_ADDR);
            String mismatch = compare(memory, c, expected, actual);
            if (mismatch == null && expected.ok()) {
              // As KVM's "access twice": the same access again finds A/D already set, changes
              // nothing and reaches the same address.
              walker.walk(tables, regs, cpu, Addr.gva(geometry.va()), c.access(), actual);
              mismatch = compare(memory, c, expected, actual);
              mismatch = mismatch == null ? null : "on the second access: " + mismatch;
            }
            report.record(geometryIndex, a, expected.outcome(), c, mismatch);
            if (listener != null) {
              listener.onCase(c, expected, actual, mismatch);
            }
          }
        }
      }
    }
  }

  /** Whether every flag set in {@code flags} exists in the entry's format and role. */
  private static boolean exists(Geometry geometry, boolean directory, int flags) {
    if (!directory && Flags.has(flags, Flags.PS)) {
      return false;
    }
    if (!geometry.hasWideEntries() && Flags.has(flags, Flags.NX)) {
      return false;
    }
    if (Flags.has(flags, Flags.RSVD)) {
      boolean large = directory && geometry.directoryMapsPage(flags);
      return geometry.probeBit(directory, large) >= 0;
    }
    return true;
  }

  /** Bits that may be reserved: the probe bits, and NX while EFER.NXE is clear. */
  private static int reservedBitsSet(int directory, int leaf, Controls controls) {
    int count = 0;
    count += Flags.has(directory, Flags.RSVD) ? 1 : 0;
    count += Flags.has(leaf, Flags.RSVD) ? 1 : 0;
    if (!controls.nxe()) {
      count += Flags.has(directory, Flags.NX) ? 1 : 0;
      count += Flags.has(leaf, Flags.NX) ? 1 : 0;
    }
    return count;
  }

  /** Writes every entry of the walk, so earlier A/D updates do not leak into this case. */
  private static void writeEntries(GuestPhysicalMemory memory, AccessCase c) {
    Geometry g = c.geometry();
    for (int level = g.mode().levels(); level >= g.leafLevel(); level--) {
      memory.write(Addr.gpa(g.entryAddress(level)), g.entryBytes(), g.encode(level, c.flagsAt(level)));
    }
  }

  /** Compares the walk with the expectation; null when they agree in every respect. */
  private static @Nullable String compare(
      GuestPhysicalMemory memory, AccessCase c, Expectation expected, WalkResult actual) {
    Expectation.Outcome got = outcomeOf(actual.fault());
    if (got != expected.outcome()) {
      return "expected " + describe(expected) + ", walker gave " + actual.describe();
    }
    if (!expected.ok() && expected.errorCode() != actual.errorCode()) {
      return "expected error code "
          + PfErrorCode.describe(expected.errorCode())
          + ", walker gave "
          + PfErrorCode.describe(actual.errorCode());
    }
    if (expected.ok() && expected.translated() != actual.translated()) {
      return "expected translation to "
          + Addr.hex(expected.translated())
          + ", walker gave "
          + Addr.hex(actual.translated());
    }
    Geometry g = c.geometry();
    for (int level = g.mode().levels(); level >= g.leafLevel(); level--) {
      long want = g.encode(level, expected.flagsAfter()[level]);
      long have = memory.read(Addr.gpa(g.entryAddress(level)), g.entryBytes());
      if (want != have) {
        return "entry at L" + level + " afterwards: expected " + Addr.hex(want) + " ("
            + Flags.describe(expected.flagsAfter()[level]) + "), found " + Addr.hex(have);
      }
    }
    return null;
  }

  private static Expectation.Outcome outcomeOf(FaultKind fault) {
    switch (fault) {
      case NONE:
        return Expectation.Outcome.OK;
      case NOT_PRESENT:
        return Expectation.Outcome.NOT_PRESENT;
      case RESERVED_BIT:
        return Expectation.Outcome.RESERVED_BIT;
      default:
        return Expectation.Outcome.PROTECTION;
    }
  }

  /** An expectation as one phrase, e.g. {@code ok 0x1234} or {@code #PF P|W|U}. */
  public static String describe(Expectation expected) {
    if (expected.ok()) {
      return "ok " + Addr.hex(expected.translated());
    }
    return "#PF " + PfErrorCode.describe(expected.errorCode()) + " (" + expected.outcome() + ")";
  }

  private static final class NativeWalker implements WalkUnderTest {
    @Override
    public void walk(
        PageTableMemory memory, ControlRegisters regs, CpuModel cpu, @Gva long va, Access access, WalkResult out) {
      Walker.walk(memory, regs, cpu, va, access, true, out);
    }
  }
}
