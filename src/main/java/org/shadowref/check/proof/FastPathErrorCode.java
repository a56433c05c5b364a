package org.shadowref.check.proof;

import com.microsoft.z3.BoolExpr;
import com.microsoft.z3.Context;
import java.util.List;
import org.shadowref.arch.Access;
import org.shadowref.arch.AccessKind;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.PfErrorCode;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.check.proof.Unknowns.Flag;
import org.shadowref.mmu.FaultKind;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.entry.MagicEntries;

/**
 * Lemma 4: the fast path's fix-up turns the hardware's reserved-bit error code into exactly the
 * error code the native MMU gives for the guest's not-present fault.
 */
public final class FastPathErrorCode extends Lemma<FastPathErrorCode.FixUp> {
  /** The shape of {@code MagicEntries.guestNotPresentErrorCode} over the algebra. */
  @FunctionalInterface
  public interface FixUp {
    long apply(BitAlgebra b, long hardwareErrorCode, long smep, long nxe, long twoLevel);
  }

  @Override
  public String id() {
    return "fast-path-error-code";
  }

  @Override
  public String title() {
    return "The fast-path error-code fix-up gives the native error code";
  }

  @Override
  public String statement() {
    return String.join(
        "\n",
        "For every access (read, write or fetch; user or supervisor), every guest paging mode",
        "(2-level, PAE, 4-level) and every combination of the guest's CR0.WP, CR4.PSE, CR4.SMEP,",
        "CR4.SMAP, EFER.NXE and RFLAGS.AC, and every 64-bit shadow setting of the hardware (PAE",
        "or 4-level, with any of the same bits): let `hw` be the error code the hardware reports",
        "when the access meets a guest-not-present magic entry,",
        "`Walker.errorCode(RESERVED_BIT, access, hardware)`. Then",
        "`MagicEntries.guestNotPresentErrorCode(hw, guest)` equals",
        "`Walker.errorCode(NOT_PRESENT, access, guest)`, the error code of the native fault.",
        "",
        "Precondition (where the fast path applies): the hardware reports an instruction fetch",
        "(I/D) whenever the guest's paging would, i.e. the shadows run with EFER.NXE or CR4.SMEP",
        "whenever the guest has SMEP, or NXE in PAE or 4-level paging. Without it a fetch is",
        "indistinguishable from a read and no fix-up can be exact.",
        "",
        "`Walker.errorCode` is Java, not algebra: the prover tabulates it over every one of the",
        "finitely many settings above and Z3 compares the table with the fix-up.");
  }

  @Override
  public String whyItMatters() {
    return String.join(
        "\n",
        "The fast path reflects the guest's own fault without walking the guest tables, so the",
        "error code it injects is all the guest learns about the fault. A guest kernel decides",
        "from it whether to page in (P=0), to kill the process (P=1, a protection fault) or to",
        "panic (RSVD=1, corrupt tables): a leftover P or RSVD bit turns a demand-paging fault",
        "into a crash.");
  }

  @Override
  public List<String> codeProved() {
    return List.of("MagicEntries.guestNotPresentErrorCode");
  }

  @Override
  public FixUp code() {
    return MagicEntries::guestNotPresentErrorCode;
  }

  @Override
  public List<Variant<FixUp>> brokenVariants() {
    return List.of(
        new Variant<>(
            "clears RSVD but leaves P set",
            (b, hw, smep, nxe, twoLevel) -> b.and(hw, b.not(b.constant(PfErrorCode.RSVD)))),
        new Variant<>(
            "clears P and RSVD but keeps the I/D bit the hardware reported",
            (b, hw, smep, nxe, twoLevel) ->
                b.and(hw, b.not(b.constant(PfErrorCode.P | PfErrorCode.RSVD)))));
  }

  /** The Boolean unknowns of one set of control registers. */
  private record Registers(
      Flag pae, Flag long64, Flag wp, Flag pse, Flag smep, Flag smap, Flag nxe, Flag ac) {
    static Registers named(Z3Bits z3, String prefix) {
      return new Registers(
          Flag.named(z3, prefix + ".pae"),
          Flag.named(z3, prefix + ".long"),
          Flag.named(z3, prefix + ".wp"),
          Flag.named(z3, prefix + ".pse"),
          Flag.named(z3, prefix + ".smep"),
          Flag.named(z3, prefix + ".smap"),
          Flag.named(z3, prefix + ".nxe"),
          Flag.named(z3, prefix + ".ac"));
    }

    List<BoolExpr> unknowns() {
      return Unknowns.list(
          pae.truth(), long64.truth(), wp.truth(), pse.truth(), smep.truth(), smap.truth(),
          nxe.truth(), ac.truth());
    }

    /** Long mode needs PAE: the one combination of the two that is not a paging mode. */
    BoolExpr valid(Context c) {
      return c.mkImplies(long64.truth(), pae.truth());
    }

    long modeOrdinal(Z3Bits z3) {
      return z3.select(
          pae.condition(),
          z3.select(
              long64.condition(),
              z3.constant(PagingMode.FOUR_LEVEL.ordinal()),
              z3.constant(PagingMode.PAE.ordinal())),
          z3.constant(PagingMode.TWO_LEVEL.ordinal()));
    }

    /** The registers of one assignment: {@code values} from {@code offset}, in {@link #unknowns} order. */
    static ControlRegisters of(boolean[] values, int offset) {
      long cr0 = ControlRegisters.CR0_PE | ControlRegisters.CR0_PG;
      long cr4 = 0;
      long efer = 0;
      long rflags = 0;
      if (values[offset]) {
        cr4 |= ControlRegisters.CR4_PAE;
      }
      if (values[offset + 1]) {
        efer |= ControlRegisters.EFER_LME | ControlRegisters.EFER_LMA;
      }
      if (values[offset + 2]) {
        cr0 |= ControlRegisters.CR0_WP;
      }
      if (values[offset + 3]) {
        cr4 |= ControlRegisters.CR4_PSE;
      }
      if (values[offset + 4]) {
        cr4 |= ControlRegisters.CR4_SMEP;
      }
      if (values[offset + 5]) {
        cr4 |= ControlRegisters.CR4_SMAP;
      }
      if (values[offset + 6]) {
        efer |= ControlRegisters.EFER_NXE;
      }
      if (values[offset + 7]) {
        rflags |= ControlRegisters.RFLAGS_AC;
      }
      return new ControlRegisters(cr0, 0, cr4, efer, rflags);
    }
  }

  /** The access of an assignment whose first three values are write, fetch, user. */
  private static Access access(boolean[] values) {
    AccessKind kind = values[0] ? AccessKind.WRITE : values[1] ? AccessKind.FETCH : AccessKind.READ;
    return Access.of(kind, values[2]);
  }

  private static String kindName(long ordinal) {
    return AccessKind.values()[(int) ordinal].name();
  }

  private static String modeName(long ordinal) {
    return PagingMode.values()[(int) ordinal].cliName();
  }

  private static String errorCode(long code) {
    return PfErrorCode.describe((int) code);
  }

  @Override
  protected List<Claim> claims(Z3Bits z3, FixUp fixUp) {
    Context c = z3.context();
    Flag write = Flag.named(z3, "write");
    Flag fetch = Flag.named(z3, "fetch");
    Flag user = Flag.named(z3, "user");
    Registers guest = Registers.named(z3, "guest");
    Registers host = Registers.named(z3, "hardware");

    List<BoolExpr> nativeInputs = Unknowns.list(write.truth(), fetch.truth(), user.truth());
    nativeInputs.addAll(guest.unknowns());
    long nativeCode =
        Unknowns.table(
            z3,
            nativeInputs,
            values -> (long) Walker.errorCode(FaultKind.NOT_PRESENT, access(values), Registers.of(values, 3)));
    List<BoolExpr> hardwareInputs = Unknowns.list(write.truth(), fetch.truth(), user.truth());
    hardwareInputs.addAll(host.unknowns());
    long hardwareCode =
        Unknowns.table(
            z3,
            hardwareInputs,
            values -> (long) Walker.errorCode(FaultKind.RESERVED_BIT, access(values), Registers.of(values, 3)));

    long fixed =
        fixUp.apply(
            z3,
            hardwareCode,
            guest.smep().condition(),
            guest.nxe().condition(),
            z3.not(guest.pae().condition()));

    BoolExpr assumptions =
        c.mkAnd(
            c.mkNot(c.mkAnd(write.truth(), fetch.truth())),
            guest.valid(c),
            host.pae().truth(),
            host.valid(c),
            c.mkImplies(
                Unknowns.anySet(z3, nativeCode, PfErrorCode.ID),
                Unknowns.anySet(z3, hardwareCode, PfErrorCode.ID)));
    long kind =
        z3.select(
            write.condition(),
            z3.constant(AccessKind.WRITE.ordinal()),
            z3.select(
                fetch.condition(),
                z3.constant(AccessKind.FETCH.ordinal()),
                z3.constant(AccessKind.READ.ordinal())));
    return List.of(
        new Claim(
            "fix-up(hardware error code) == native not-present error code",
            assumptions,
            z3.same(fixed, nativeCode),
            List.of(
                Shown.of("access", z3, kind, FastPathErrorCode::kindName),
                user.shown("user"),
                Shown.of("guest", z3, guest.modeOrdinal(z3), FastPathErrorCode::modeName),
                guest.smep().shown("guest.smep"),
                guest.nxe().shown("guest.nxe"),
                Shown.of("hardware", z3, host.modeOrdinal(z3), FastPathErrorCode::modeName),
                host.smep().shown("hardware.smep"),
                host.nxe().shown("hardware.nxe"),
                Shown.of("hardwareCode", z3, hardwareCode, FastPathErrorCode::errorCode),
                Shown.of("fixed", z3, fixed, FastPathErrorCode::errorCode),
                Shown.of("native", z3, nativeCode, FastPathErrorCode::errorCode))));
  }
}
