package org.shadowref.check.proof;

import com.microsoft.z3.BoolExpr;
import com.microsoft.z3.Context;
import java.util.List;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.check.proof.Unknowns.Flag;
import org.shadowref.memory.P2mType;

/** Lemma 1: propagation never grants a right the guest entry and the P2M type do not both grant. */
public final class NoAmplification extends Lemma<PropagationRules> {
  @Override
  public String id() {
    return "no-amplification";
  }

  @Override
  public String title() {
    return "Propagation never amplifies";
  }

  @Override
  public String statement() {
    return String.join(
        "\n",
        "For every 64-bit guest entry, every P2M type, every machine frame below 2^40 (2^20 for",
        "32-bit shadows), whether or not the target is a shadowed page table, either EFER.NXE, and",
        "either shadow format (a 32-bit shadow is built only from 32-bit guest entries):",
        "",
        "- the shadow l1e from `Propagation.leaf` is present only if the guest entry has P and A",
        "  set and the P2M type lets the guest read the frame;",
        "- it is writable only if the guest entry has RW and D set, the type lets the guest write,",
        "  and the target is not a shadowed page table;",
        "- it is user-accessible only if the guest entry is;",
        "- it is executable only if the type lets the guest execute, and it has NX set whenever",
        "  the guest forbids execution (EFER.NXE and NX);",
        "- the shadow directory entry from `Propagation.directory` is present only if the guest",
        "  entry has P and A set (P alone for a PAE PDPTE), and is writable, user-accessible or",
        "  executable only where the guest entry is.",
        "",
        "What each P2M type grants is the lemma's own table, from the types' documentation: RAM",
        "read/write/execute, RAM_RO read/execute, MMIO and ABSENT nothing.");
  }

  @Override
  public String whyItMatters() {
    return String.join(
        "\n",
        "The shadow tables are what the hardware really walks, so any right a shadow entry grants",
        "the guest has. A shadow that is writable without the guest's D bit loses the guest's",
        "dirty tracking; one that is writable over a shadowed page table lets the guest change its",
        "tables behind the engine's back (the isolation breach shadow paging exists to prevent);",
        "one that is present over MMIO or an absent frame reaches memory the guest does not own.");
  }

  @Override
  public List<String> codeProved() {
    return List.of("Propagation.leaf", "Propagation.directory");
  }

  @Override
  public PropagationRules code() {
    return PropagationRules.CODE;
  }

  @Override
  public List<Variant<PropagationRules>> brokenVariants() {
    return List.of(
        new Variant<>(
            "forgets the D check: a leaf is writable as if the guest's D bit were always set",
            new PropagationRules() {
              @Override
              public long leaf(
                  BitAlgebra b,
                  long guestLeaf,
                  long type,
                  long mfn,
                  long targetIsPageTable,
                  long nxe,
                  long long64) {
                long withDirty = b.or(guestLeaf, b.constant(EntryBits.D));
                return PropagationRules.CODE.leaf(
                    b, withDirty, type, mfn, targetIsPageTable, nxe, long64);
              }
            }),
        new Variant<>(
            "treats read-only RAM as RAM",
            new PropagationRules() {
              @Override
              public long leaf(
                  BitAlgebra b,
                  long guestLeaf,
                  long type,
                  long mfn,
                  long targetIsPageTable,
                  long nxe,
                  long long64) {
                long asRam =
                    b.select(
                        b.equalTo(type, P2mType.RAM_RO.ordinal()),
                        b.constant(P2mType.RAM.ordinal()),
                        type);
                return PropagationRules.CODE.leaf(
                    b, guestLeaf, asRam, mfn, targetIsPageTable, nxe, long64);
              }
            }),
        new Variant<>(
            "drops NX from directory entries",
            new PropagationRules() {
              @Override
              public long directory(
                  BitAlgebra b,
                  long guestEntry,
                  long paePdpte,
                  long shadowMfn,
                  long nxe,
                  long long64) {
                long entry =
                    PropagationRules.CODE.directory(b, guestEntry, paePdpte, shadowMfn, nxe, long64);
                return b.and(entry, b.not(b.constant(EntryBits.NX)));
              }
            }));
  }

  /** What a P2M type lets the guest do with the frame: this lemma's specification table. */
  private static boolean grants(P2mType type, char right) {
    switch (type) {
      case RAM:
        return true;
      case RAM_RO:
        return right == 'r' || right == 'x';
      default:
        return false;
    }
  }

  private static BoolExpr typeGrants(Z3Bits z3, long type, char right) {
    Context c = z3.context();
    BoolExpr any = c.mkFalse();
    for (P2mType candidate : P2mType.values()) {
      if (grants(candidate, right)) {
        any = c.mkOr(any, z3.same(type, z3.constant(candidate.ordinal())));
      }
    }
    return any;
  }

  @Override
  protected List<Claim> claims(Z3Bits z3, PropagationRules rules) {
    Context c = z3.context();
    long guest = z3.variable("guest");
    long type = z3.variable("type");
    long mfn = z3.variable("mfn");
    long shadowMfn = z3.variable("shadowMfn");
    Flag pageTable = Flag.named(z3, "targetIsPageTable");
    Flag nxe = Flag.named(z3, "nxe");
    Flag long64 = Flag.named(z3, "long64");
    Flag pdpte = Flag.named(z3, "paePdpte");

    BoolExpr assumptions =
        c.mkAnd(
            z3.below(type, P2mType.values().length),
            c.mkImplies(long64.truth(), z3.below(mfn, 1L << 40)),
            c.mkImplies(long64.truth(), z3.below(shadowMfn, 1L << 40)),
            c.mkImplies(c.mkNot(long64.truth()), z3.below(mfn, 1L << 20)),
            c.mkImplies(c.mkNot(long64.truth()), z3.below(shadowMfn, 1L << 20)),
            c.mkImplies(c.mkNot(long64.truth()), z3.below(guest, 1L << 32)));

    long leaf =
        rules.leaf(z3, guest, type, mfn, pageTable.condition(), nxe.condition(), long64.condition());
    long directory =
        rules.directory(
            z3, guest, pdpte.condition(), shadowMfn, nxe.condition(), long64.condition());

    BoolExpr guestForbidsExecution = c.mkAnd(nxe.truth(), Unknowns.anySet(z3, guest, EntryBits.NX));
    BoolExpr leafPresent = Unknowns.anySet(z3, leaf, EntryBits.P);
    BoolExpr dirPresent = Unknowns.anySet(z3, directory, EntryBits.P);

    List<Shown> leafShown =
        List.of(
            Shown.of("guest", z3, guest, Unknowns::entry),
            Shown.of("type", z3, type, Unknowns::p2mType),
            Shown.hex("mfn", z3, mfn),
            pageTable.shown("targetIsPageTable"),
            nxe.shown("nxe"),
            long64.shown("long64"),
            Shown.of("shadow", z3, leaf, Unknowns::entry));
    List<Shown> dirShown =
        List.of(
            Shown.of("guest", z3, guest, Unknowns::entry),
            pdpte.shown("paePdpte"),
            Shown.hex("shadowMfn", z3, shadowMfn),
            nxe.shown("nxe"),
            long64.shown("long64"),
            Shown.of("shadow", z3, directory, Unknowns::entry));

    return List.of(
        new Claim(
            "leaf present only if guest P and A and the type is readable",
            assumptions,
            c.mkImplies(
                leafPresent,
                c.mkAnd(
                    Unknowns.allSet(z3, guest, EntryBits.P | EntryBits.A),
                    typeGrants(z3, type, 'r'))),
            leafShown),
        new Claim(
            "leaf writable only if guest RW and D, the type is writable, not a page table",
            assumptions,
            c.mkImplies(
                c.mkAnd(leafPresent, Unknowns.anySet(z3, leaf, EntryBits.RW)),
                c.mkAnd(
                    Unknowns.allSet(z3, guest, EntryBits.RW | EntryBits.D),
                    typeGrants(z3, type, 'w'),
                    c.mkNot(pageTable.truth()))),
            leafShown),
        new Claim(
            "leaf user-accessible only if the guest entry is",
            assumptions,
            c.mkImplies(
                c.mkAnd(leafPresent, Unknowns.anySet(z3, leaf, EntryBits.US)),
                Unknowns.anySet(z3, guest, EntryBits.US)),
            leafShown),
        new Claim(
            "leaf executable only if the type is executable and the guest allows it",
            assumptions,
            c.mkImplies(
                leafPresent,
                c.mkAnd(
                    typeGrants(z3, type, 'x'),
                    c.mkImplies(guestForbidsExecution, Unknowns.anySet(z3, leaf, EntryBits.NX)))),
            leafShown),
        new Claim(
            "directory present only if guest P and A (P for a PAE PDPTE)",
            assumptions,
            c.mkImplies(
                dirPresent,
                c.mkAnd(
                    Unknowns.anySet(z3, guest, EntryBits.P),
                    c.mkOr(pdpte.truth(), Unknowns.anySet(z3, guest, EntryBits.A)))),
            dirShown),
        new Claim(
            "directory rights no wider than the guest entry's",
            assumptions,
            c.mkImplies(
                dirPresent,
                c.mkAnd(
                    c.mkImplies(
                        Unknowns.anySet(z3, directory, EntryBits.RW),
                        Unknowns.anySet(z3, guest, EntryBits.RW)),
                    c.mkImplies(
                        Unknowns.anySet(z3, directory, EntryBits.US),
                        Unknowns.anySet(z3, guest, EntryBits.US)),
                    c.mkImplies(
                        c.mkAnd(c.mkNot(pdpte.truth()), guestForbidsExecution),
                        Unknowns.anySet(z3, directory, EntryBits.NX)))),
            dirShown));
  }
}
