package org.shadowref.check.proof;

import com.microsoft.z3.BoolExpr;
import com.microsoft.z3.Context;
import java.util.ArrayList;
import java.util.List;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.ReservedBits;
import org.shadowref.check.proof.Unknowns.Flag;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.entry.MagicEntries;

/** Lemma 2: magic entries never arise from propagation, and always fault with RSVD. */
public final class MagicDisjoint extends Lemma<MagicRules> {
  private static final int MIN_MAXPHYADDR = 32;

  @Override
  public String id() {
    return "magic-disjoint";
  }

  @Override
  public String title() {
    return "Magic entries are disjoint from propagation and alone fault with RSVD";
  }

  @Override
  public String statement() {
    return String.join(
        "\n",
        "For every host MAXPHYADDR M from 32 to " + MagicEntries.HOST_MAXPHYADDR_LIMIT
            + " (the precondition of magic entries, `MagicEntries.usable`):",
        "",
        "- no entry that `Propagation.leaf` or `Propagation.directory` produces, from any 64-bit",
        "  guest entry, P2M type, page-table flag, EFER.NXE and shadow format, with any machine",
        "  frame below 2^(M-12), has the magic pattern (`MagicEntries.isMagic`);",
        "- the guest-not-present marker and the MMIO entry of every gfn below 2^"
            + MagicEntries.GFN_BITS + " are magic;",
        "- every 64-bit value with the magic pattern is present and has a bit set in",
        "  `ReservedBits.mask` for a PAE l1e and for a 4-level l1e, with EFER.NXE on or off:",
        "  the walker stops on it with a reserved-bit fault in every shadow mode that uses magic",
        "  entries;",
        "- conversely, no entry propagation produces for a PAE or 4-level shadow (the l1e, and",
        "  the directory entry at each level, a PDPTE for PAE level 3) has a bit set in",
        "  `ReservedBits.mask` of its level, when the hardware has EFER.NXE on whenever the guest",
        "  has: a reserved-bit fault on a shadow always means a magic entry.");
  }

  @Override
  public String whyItMatters() {
    return String.join(
        "\n",
        "The fast path trusts the pattern: a reserved-bit fault on an entry that looks magic is",
        "handled without walking the guest tables. If a real shadow entry could look magic, the",
        "fast path would inject a bogus fault or exit to the device model for an ordinary page; if",
        "a magic entry could be used by the hardware, the guest would read or write whatever frame",
        "the gfn bits happen to name; and if a propagated entry could carry a reserved bit, the",
        "fast path would see a reserved-bit fault that no magic entry explains.");
  }

  @Override
  public List<String> codeProved() {
    return List.of(
        "MagicEntries.isMagic",
        "MagicEntries.encodeMmio",
        "MagicEntries.GUEST_NOT_PRESENT",
        "Propagation.leaf",
        "Propagation.directory",
        "ReservedBits.mask");
  }

  @Override
  public MagicRules code() {
    return MagicRules.CODE;
  }

  @Override
  public List<Variant<MagicRules>> brokenVariants() {
    return List.of(
        new Variant<>(
            "tag in bits 62:59, which 4-level paging ignores",
            new TaggedMagic(EntryBits.bits(62, 59))),
        new Variant<>(
            "tag in bits 47:44, inside the frame field of a 48-bit host",
            new TaggedMagic(EntryBits.bits(47, 44))));
  }

  @Override
  protected List<Claim> claims(Z3Bits z3, MagicRules magic) {
    Context c = z3.context();
    long guest = z3.variable("guest");
    long type = z3.variable("type");
    long mfn = z3.variable("mfn");
    long maxPhysAddr = z3.variable("maxPhysAddr");
    long gfn = z3.variable("gfn");
    long entry = z3.variable("entry");
    Flag pageTable = Flag.named(z3, "targetIsPageTable");
    Flag nxe = Flag.named(z3, "nxe");
    Flag long64 = Flag.named(z3, "long64");
    Flag pdpte = Flag.named(z3, "paePdpte");

    BoolExpr hostRange =
        Unknowns.within(z3, maxPhysAddr, MIN_MAXPHYADDR, MagicEntries.HOST_MAXPHYADDR_LIMIT);
    long frameLimit =
        z3.shiftLeftBy(z3.constant(1), z3.subtract(maxPhysAddr, z3.constant(Addr.PAGE_SHIFT)));
    BoolExpr propagationInputs =
        c.mkAnd(
            hostRange,
            z3.below(type, P2mType.values().length),
            z3.holds(z3.lessUnsigned(mfn, frameLimit)));

    long leaf =
        PropagationRules.CODE.leaf(
            z3, guest, type, mfn, pageTable.condition(), nxe.condition(), long64.condition());
    long directory =
        PropagationRules.CODE.directory(
            z3, guest, pdpte.condition(), mfn, nxe.condition(), long64.condition());
    Shown maxPhys = Shown.of("maxPhysAddr", z3, maxPhysAddr, Long::toString);

    List<Claim> claims = new ArrayList<>();
    claims.add(
        new Claim(
            "no propagated leaf is magic",
            propagationInputs,
            c.mkNot(z3.holds(magic.isMagic(z3, leaf))),
            List.of(
                maxPhys,
                Shown.of("guest", z3, guest, Unknowns::entry),
                Shown.of("type", z3, type, Unknowns::p2mType),
                Shown.hex("mfn", z3, mfn),
                pageTable.shown("targetIsPageTable"),
                nxe.shown("nxe"),
                long64.shown("long64"),
                Shown.hex("shadow", z3, leaf))));
    claims.add(
        new Claim(
            "no propagated directory entry is magic",
            propagationInputs,
            c.mkNot(z3.holds(magic.isMagic(z3, directory))),
            List.of(
                maxPhys,
                Shown.of("guest", z3, guest, Unknowns::entry),
                pdpte.shown("paePdpte"),
                Shown.hex("shadowMfn", z3, mfn),
                nxe.shown("nxe"),
                long64.shown("long64"),
                Shown.hex("shadow", z3, directory))));
    long mmio = magic.encodeMmio(z3, gfn);
    claims.add(
        new Claim(
            "the not-present marker and every MMIO entry are magic",
            z3.below(gfn, MagicEntries.GFN_LIMIT),
            c.mkAnd(
                z3.holds(magic.isMagic(z3, magic.guestNotPresentEntry(z3))),
                z3.holds(magic.isMagic(z3, mmio))),
            List.of(Shown.hex("gfn", z3, gfn), Shown.hex("mmio", z3, mmio))));
    for (PagingMode mode : List.of(PagingMode.PAE, PagingMode.FOUR_LEVEL)) {
      long reserved = ReservedBits.mask(z3, mode, 1, false, nxe.condition(), maxPhysAddr);
      claims.add(
          new Claim(
              "every magic entry faults with RSVD in a " + mode.cliName() + " l1e",
              c.mkAnd(hostRange, z3.holds(magic.isMagic(z3, entry))),
              c.mkAnd(
                  Unknowns.anySet(z3, entry, EntryBits.P),
                  c.mkNot(z3.holds(z3.isZero(z3.and(entry, reserved))))),
              List.of(
                  maxPhys,
                  nxe.shown("nxe"),
                  Shown.hex("entry", z3, entry),
                  Shown.hex("reservedMask", z3, reserved))));
    }
    claims.addAll(propagatedEntriesHaveNoReservedBits(z3));
    return claims;
  }

  /** The converse: propagation's own entries never fault with RSVD in the shadow modes. */
  private static List<Claim> propagatedEntriesHaveNoReservedBits(Z3Bits z3) {
    Context c = z3.context();
    long guest = z3.variable("guest");
    long type = z3.variable("type");
    long mfn = z3.variable("mfn");
    long maxPhysAddr = z3.variable("maxPhysAddr");
    Flag pageTable = Flag.named(z3, "targetIsPageTable");
    Flag guestNxe = Flag.named(z3, "guest.nxe");
    Flag hardwareNxe = Flag.named(z3, "hardware.nxe");
    long long64 = z3.condition(true);
    long frameLimit =
        z3.shiftLeftBy(z3.constant(1), z3.subtract(maxPhysAddr, z3.constant(Addr.PAGE_SHIFT)));
    BoolExpr assumptions =
        c.mkAnd(
            Unknowns.within(z3, maxPhysAddr, MIN_MAXPHYADDR, MagicEntries.HOST_MAXPHYADDR_LIMIT),
            z3.below(type, P2mType.values().length),
            z3.holds(z3.lessUnsigned(mfn, frameLimit)),
            c.mkImplies(guestNxe.truth(), hardwareNxe.truth()));
    List<Claim> claims = new ArrayList<>();
    for (PagingMode mode : List.of(PagingMode.PAE, PagingMode.FOUR_LEVEL)) {
      for (int level = 1; level <= mode.levels(); level++) {
        long entry;
        if (level == 1) {
          entry =
              PropagationRules.CODE.leaf(
                  z3, guest, type, mfn, pageTable.condition(), guestNxe.condition(), long64);
        } else {
          long pdpte = z3.condition(mode == PagingMode.PAE && level == 3);
          entry =
              PropagationRules.CODE.directory(
                  z3, guest, pdpte, mfn, guestNxe.condition(), long64);
        }
        long reserved =
            ReservedBits.mask(z3, mode, level, false, hardwareNxe.condition(), maxPhysAddr);
        claims.add(
            new Claim(
                "a propagated " + mode.cliName() + " level " + level + " entry has no reserved bit",
                assumptions,
                z3.holds(z3.isZero(z3.and(entry, reserved))),
                List.of(
                    Shown.of("maxPhysAddr", z3, maxPhysAddr, Long::toString),
                    Shown.of("guest", z3, guest, Unknowns::entry),
                    Shown.of("type", z3, type, Unknowns::p2mType),
                    Shown.hex("mfn", z3, mfn),
                    guestNxe.shown("guest.nxe"),
                    hardwareNxe.shown("hardware.nxe"),
                    Shown.hex("shadow", z3, entry),
                    Shown.hex("reservedMask", z3, reserved))));
      }
    }
    return claims;
  }
}
