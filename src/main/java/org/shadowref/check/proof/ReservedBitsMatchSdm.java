package org.shadowref.check.proof;

import com.microsoft.z3.BitVecExpr;
import com.microsoft.z3.BoolExpr;
import java.util.ArrayList;
import java.util.List;
import org.shadowref.arch.ReservedBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.check.proof.Unknowns.Flag;

/** Lemma 5: {@code ReservedBits.mask} is the SDM's reserved-bit table, for every MAXPHYADDR. */
public final class ReservedBitsMatchSdm extends Lemma<ReservedBitsMatchSdm.MaskRule> {
  static final int MIN_MAXPHYADDR = 32;
  static final int MAX_MAXPHYADDR = 52;

  /** The shape of {@code ReservedBits.mask} over the algebra. */
  @FunctionalInterface
  public interface MaskRule {
    long mask(BitAlgebra b, PagingMode mode, int level, boolean large, long nxe, long maxPhysAddr);
  }

  @Override
  public String id() {
    return "reserved-bits";
  }

  @Override
  public String title() {
    return "The reserved-bit masks match the SDM tables";
  }

  @Override
  public String statement() {
    return String.join(
        "\n",
        "For every paging mode, every level, large page or not (where the mode can map one),",
        "EFER.NXE on or off and every MAXPHYADDR from " + MIN_MAXPHYADDR + " to " + MAX_MAXPHYADDR
            + ": `ReservedBits.mask` is exactly the set of bits the Intel SDM (vol. 3, tables 4-4"
            + " to 4-19) marks reserved.",
        "",
        "The specification is `check.proof.SdmReservedBits`: one rule per table row, deciding each",
        "bit on its own, sharing no code with `ReservedBits`. One claim per kind of entry;",
        "MAXPHYADDR and NXE are unknowns of the claim.");
  }

  @Override
  public String whyItMatters() {
    return String.join(
        "\n",
        "The walker uses these masks as the native oracle, as the hardware walking the shadows,",
        "and in the engines' guest walk. A bit missing from a mask lets a corrupt guest entry",
        "translate where hardware would fault with RSVD; a bit too many faults a valid entry.",
        "Magic entries rely on the same masks to fault (proofs/magic-disjoint.md).");
  }

  @Override
  public List<String> codeProved() {
    return List.of("ReservedBits.mask");
  }

  @Override
  public MaskRule code() {
    return ReservedBits::mask;
  }

  @Override
  public List<Variant<MaskRule>> brokenVariants() {
    return List.of(
        new Variant<>(
            "PAE page-directory and page-table entries reserve only bits 51:M, as in 4-level",
            (b, mode, level, large, nxe, maxPhysAddr) ->
                ReservedBits.mask(
                    b,
                    mode == PagingMode.PAE && level < 3 ? PagingMode.FOUR_LEVEL : mode,
                    level,
                    large,
                    nxe,
                    maxPhysAddr)),
        new Variant<>(
            "PSE-36 reserves one address bit too many (from bit M-20)",
            (b, mode, level, large, nxe, maxPhysAddr) -> {
              if (mode != PagingMode.TWO_LEVEL || level != 2 || !large) {
                return ReservedBits.mask(b, mode, level, large, nxe, maxPhysAddr);
              }
              long m = b.select(b.lessUnsigned(maxPhysAddr, b.constant(40)), maxPhysAddr, b.constant(40));
              return b.bitsFrom(21, b.subtract(m, b.constant(20)));
            }));
  }

  private static String describe(PagingMode mode, int level, boolean large) {
    String size = "";
    if (large) {
      long bytes = mode.pageSize(level);
      size = bytes >= 1L << 30 ? ", 1 GiB page" : bytes >= 1L << 22 ? ", 4 MiB page" : ", 2 MiB page";
    }
    return mode.cliName() + " level " + level + size;
  }

  @Override
  protected List<Claim> claims(Z3Bits z3, MaskRule rule) {
    long maxPhysAddr = z3.variable("maxPhysAddr");
    Flag nxe = Flag.named(z3, "nxe");
    BoolExpr range = Unknowns.within(z3, maxPhysAddr, MIN_MAXPHYADDR, MAX_MAXPHYADDR);
    List<Claim> claims = new ArrayList<>();
    for (PagingMode mode : PagingMode.values()) {
      for (int level = 1; level <= mode.levels(); level++) {
        for (boolean large : new boolean[] {false, true}) {
          if (large && !mode.canMapLargePage(level, true)) {
            continue;
          }
          long code = rule.mask(z3, mode, level, large, nxe.condition(), maxPhysAddr);
          long spec = z3.handle(specification(z3, mode, level, large, nxe.truth(), maxPhysAddr));
          claims.add(
              new Claim(
                  describe(mode, level, large),
                  range,
                  z3.same(code, spec),
                  List.of(
                      Shown.of("maxPhysAddr", z3, maxPhysAddr, Long::toString),
                      nxe.shown("nxe"),
                      Shown.hex("code", z3, code),
                      Shown.hex("sdm", z3, spec),
                      Shown.hex("differ", z3, z3.xor(code, spec)))));
        }
      }
    }
    return claims;
  }

  /** The specification's mask for every MAXPHYADDR and NXE, as a Z3 term of both. */
  private static BitVecExpr specification(
      Z3Bits z3, PagingMode mode, int level, boolean large, BoolExpr nxe, long maxPhysAddr) {
    BitVecExpr term = z3.vector(0);
    for (int m = MIN_MAXPHYADDR; m <= MAX_MAXPHYADDR; m++) {
      BitVecExpr here =
          z3.ite(
              nxe,
              z3.vector(SdmReservedBits.mask(mode, level, large, true, m)),
              z3.vector(SdmReservedBits.mask(mode, level, large, false, m)));
      term = z3.ite(z3.same(maxPhysAddr, z3.constant(m)), here, term);
    }
    return term;
  }
}
