package org.shadowref.check.proof;

import com.microsoft.z3.BoolExpr;
import com.microsoft.z3.Context;
import java.util.ArrayList;
import java.util.List;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.check.proof.Unknowns.Flag;
import org.shadowref.check.spec.DirectoryRule;
import org.shadowref.check.spec.LeafRule;
import org.shadowref.memory.P2mType;

/**
 * Lemma 6: the engines' propagation is the specification's ({@link LeafRule}, {@link
 * DirectoryRule}, written apart from it), for every guest entry: so the invariant predicates, which judge shadow leaves against
 * the specification, and the engines agree wherever the engines are right.
 */
public final class PropagationMatchesSpec extends Lemma<PropagationRules> {
  @Override
  public String id() {
    return "propagation-spec";
  }

  @Override
  public String title() {
    return "Propagation equals its specification";
  }

  @Override
  public String statement() {
    return String.join(
        "\n",
        "For every 64-bit guest entry, every P2M type, every machine frame below 2^40 (2^20 and",
        "32-bit guest entries for 32-bit shadows), whether or not the target is a shadowed page",
        "table, either EFER.NXE and either shadow format:",
        "",
        "- `Propagation.leaf` of the guest leaf equals `LeafRule.leaf` of it, the specification",
        "  of the shadow leaf that INV-COHERENT judges with (check.spec, which shares no code with",
        "  the engines);",
        "- for a guest large leaf, `Propagation.leaf` of `Propagation.asSmallLeaf` of it (what a",
        "  splinter's leaves are made of) equals `LeafRule.leaf` of `LeafRule.pieceOfLarge` of it;",
        "- for a guest directory entry (a PAE PDPTE or not) and a shadow frame below 2^40",
        "  (2^20), `Propagation.directory` equals `DirectoryRule.entry`.",
        "",
        "The specification takes the P2M type as two conditions (writable RAM, read-only RAM); the",
        "lemma gives them from the same type the engine's rule reads.");
  }

  @Override
  public String whyItMatters() {
    return String.join(
        "\n",
        "The invariant predicates judge the engines against a specification written separately,",
        "so that a wrong propagation is not coherent with itself. That only helps if the",
        "specification is right where the engines are: this lemma shows the two leaf rules, and",
        "the two directory rules, are the same functions on all 2^64 guest entries, so every",
        "entry INV-COHERENT rejects is one the engines' own rules would not have produced (or a",
        "fault outside them: a wrong frame, a wrong guest entry, a wrong child, a seeded bug).");
  }

  @Override
  public List<String> codeProved() {
    return List.of("Propagation.leaf", "Propagation.asSmallLeaf", "Propagation.directory");
  }

  @Override
  public PropagationRules code() {
    return PropagationRules.CODE;
  }

  @Override
  public List<Variant<PropagationRules>> brokenVariants() {
    return List.of(
        new Variant<>(
            "drops PWT and PCD from leaves",
            new PropagationRules() {
              @Override
              public long leaf(
                  BitAlgebra b, long guestLeaf, long type, long mfn, long targetIsPageTable, long nxe, long long64) {
                long leaf = PropagationRules.CODE.leaf(b, guestLeaf, type, mfn, targetIsPageTable, nxe, long64);
                return b.and(leaf, b.not(b.constant(EntryBits.PWT | EntryBits.PCD)));
              }
            }),
        new Variant<>(
            "copies the guest's G bit",
            new PropagationRules() {
              @Override
              public long leaf(
                  BitAlgebra b, long guestLeaf, long type, long mfn, long targetIsPageTable, long nxe, long long64) {
                long leaf = PropagationRules.CODE.leaf(b, guestLeaf, type, mfn, targetIsPageTable, nxe, long64);
                return b.or(leaf, b.when(b.anySet(leaf, EntryBits.P), b.masked(guestLeaf, EntryBits.G)));
              }
            }),
        new Variant<>(
            "keeps a large leaf's PS as the piece's PAT bit",
            new PropagationRules() {
              @Override
              public long asSmallLeaf(BitAlgebra b, long guestLargeLeaf) {
                return b.or(PropagationRules.CODE.asSmallLeaf(b, guestLargeLeaf), b.constant(EntryBits.PAT_4K));
              }
            }),
        new Variant<>(
            "drops NX from directory entries",
            new PropagationRules() {
              @Override
              public long directory(
                  BitAlgebra b, long guestEntry, long paePdpte, long shadowMfn, long nxe, long long64) {
                long entry = PropagationRules.CODE.directory(b, guestEntry, paePdpte, shadowMfn, nxe, long64);
                return b.and(entry, b.not(b.constant(EntryBits.NX)));
              }
            }));
  }

  @Override
  protected List<Claim> claims(Z3Bits z3, PropagationRules rules) {
    Context c = z3.context();
    long guest = z3.variable("guest");
    long type = z3.variable("type");
    long mfn = z3.variable("mfn");
    Flag pageTable = Flag.named(z3, "targetIsPageTable");
    Flag nxe = Flag.named(z3, "nxe");
    Flag long64 = Flag.named(z3, "long64");
    Flag pdpte = Flag.named(z3, "paePdpte");
    BoolExpr assumptions =
        c.mkAnd(
            z3.below(type, P2mType.values().length),
            c.mkImplies(long64.truth(), z3.below(mfn, 1L << 40)),
            c.mkImplies(c.mkNot(long64.truth()), z3.below(mfn, 1L << 20)),
            c.mkImplies(c.mkNot(long64.truth()), z3.below(guest, 1L << 32)));
    long ram = z3.equalTo(type, P2mType.RAM.ordinal());
    long readOnly = z3.equalTo(type, P2mType.RAM_RO.ordinal());

    long engineLeaf = rules.leaf(z3, guest, type, mfn, pageTable.condition(), nxe.condition(), long64.condition());
    long specLeaf = LeafRule.leaf(z3, guest, ram, readOnly, mfn, pageTable.condition(), nxe.condition(),
        long64.condition());
    long enginePiece = rules.leaf(z3, rules.asSmallLeaf(z3, guest), type, mfn, pageTable.condition(),
        nxe.condition(), long64.condition());
    long specPiece = LeafRule.leaf(z3, LeafRule.pieceOfLarge(z3, guest), ram, readOnly, mfn, pageTable.condition(),
        nxe.condition(), long64.condition());

    long engineDirectory = rules.directory(z3, guest, pdpte.condition(), mfn, nxe.condition(), long64.condition());
    long specDirectory = DirectoryRule.entry(z3, guest, pdpte.condition(), mfn, nxe.condition(), long64.condition());

    // A leaf and a large page's piece are shown with the same inputs; only the results differ.
    List<Shown> leafInputs =
        List.of(
            Shown.of("guest", z3, guest, Unknowns::entry),
            Shown.of("type", z3, type, Unknowns::p2mType),
            Shown.hex("mfn", z3, mfn),
            pageTable.shown("targetIsPageTable"),
            nxe.shown("nxe"),
            long64.shown("long64"));
    List<Shown> leafShown = withResults(leafInputs,
        Shown.of("engine", z3, engineLeaf, Unknowns::entry), Shown.of("spec", z3, specLeaf, Unknowns::entry));
    List<Shown> pieceShown = withResults(leafInputs,
        Shown.of("engine", z3, enginePiece, Unknowns::entry), Shown.of("spec", z3, specPiece, Unknowns::entry));
    List<Shown> directoryShown =
        List.of(
            Shown.of("guest", z3, guest, Unknowns::entry),
            pdpte.shown("paePdpte"),
            Shown.hex("shadowMfn", z3, mfn),
            nxe.shown("nxe"),
            long64.shown("long64"),
            Shown.of("engine", z3, engineDirectory, Unknowns::entry),
            Shown.of("spec", z3, specDirectory, Unknowns::entry));
    return List.of(
        new Claim("a 4 KiB leaf: the engines' shadow l1e is the specification's", assumptions,
            z3.same(engineLeaf, specLeaf), leafShown),
        new Claim("a piece of a large page: the engines' shadow l1e is the specification's", assumptions,
            z3.same(enginePiece, specPiece), pieceShown),
        new Claim("a directory entry: the engines' shadow entry is the specification's", assumptions,
            z3.same(engineDirectory, specDirectory), directoryShown));
  }

  private static List<Shown> withResults(List<Shown> inputs, Shown engine, Shown spec) {
    List<Shown> all = new ArrayList<>(inputs);
    all.add(engine);
    all.add(spec);
    return List.copyOf(all);
  }
}
