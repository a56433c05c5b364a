package org.shadowref.check.proof;

import com.microsoft.z3.Context;
import java.util.List;
import org.shadowref.arch.bits.BitAlgebra;
import org.shadowref.shadow.entry.MagicEntries;

/** Lemma 3: the gfn decoded from an MMIO entry is the gfn it was made for. */
public final class MmioRoundTrip extends Lemma<MagicRules> {
  @Override
  public String id() {
    return "mmio-roundtrip";
  }

  @Override
  public String title() {
    return "The MMIO encoding round-trips";
  }

  @Override
  public String statement() {
    return String.join(
        "\n",
        "For every gfn below 2^" + MagicEntries.GFN_BITS + " (guest-physical addresses below 256"
            + " TiB), the entry `MagicEntries.encodeMmio(gfn)`:",
        "",
        "- decodes to the same gfn: `mmioGfn(encodeMmio(gfn)) == gfn`;",
        "- is an MMIO entry (`isMmio`) and is not the guest-not-present marker",
        "  (`isGuestNotPresent`).",
        "",
        "And the guest-not-present marker is magic, is recognised by `isGuestNotPresent`, and is",
        "not an MMIO entry.");
  }

  @Override
  public String whyItMatters() {
    return String.join(
        "\n",
        "The fast path exits to the device model with the gfn it decodes from the faulting entry,",
        "without walking the guest tables. A lost or moved gfn bit sends the access to the wrong",
        "device register; an MMIO entry mistaken for the not-present marker turns a device access",
        "into a page fault injected into the guest.");
  }

  @Override
  public List<String> codeProved() {
    return List.of(
        "MagicEntries.encodeMmio",
        "MagicEntries.mmioGfn",
        "MagicEntries.isMmio",
        "MagicEntries.isGuestNotPresent",
        "MagicEntries.isMagic");
  }

  @Override
  public MagicRules code() {
    return MagicRules.CODE;
  }

  @Override
  public List<Variant<MagicRules>> brokenVariants() {
    return List.of(
        new Variant<>(
            "encodeMmio drops gfn bit 35",
            new MagicRules() {
              @Override
              public long encodeMmio(BitAlgebra b, long gfn) {
                long lower35 = b.masked(gfn, (MagicEntries.GFN_LIMIT >>> 1) - 1);
                return MagicRules.CODE.encodeMmio(b, lower35);
              }
            }),
        new Variant<>(
            "encodeMmio leaves out the MMIO kind bit",
            new MagicRules() {
              @Override
              public long encodeMmio(BitAlgebra b, long gfn) {
                long entry = MagicRules.CODE.encodeMmio(b, gfn);
                return b.and(entry, b.not(b.constant(MagicEntries.MMIO_KIND)));
              }
            }));
  }

  @Override
  protected List<Claim> claims(Z3Bits z3, MagicRules magic) {
    Context c = z3.context();
    long gfn = z3.variable("gfn");
    long mmio = magic.encodeMmio(z3, gfn);
    long decoded = magic.mmioGfn(z3, mmio);
    long marker = magic.guestNotPresentEntry(z3);
    List<Shown> shown =
        List.of(
            Shown.hex("gfn", z3, gfn), Shown.hex("mmio", z3, mmio), Shown.hex("decoded", z3, decoded));
    return List.of(
        new Claim(
            "mmioGfn(encodeMmio(gfn)) == gfn",
            z3.below(gfn, MagicEntries.GFN_LIMIT),
            z3.same(decoded, gfn),
            shown),
        new Claim(
            "an MMIO entry is MMIO, not the not-present marker",
            z3.below(gfn, MagicEntries.GFN_LIMIT),
            c.mkAnd(
                z3.holds(magic.isMmio(z3, mmio)),
                c.mkNot(z3.holds(magic.isGuestNotPresent(z3, mmio)))),
            shown),
        new Claim(
            "the not-present marker is magic, recognised, and not MMIO",
            c.mkTrue(),
            c.mkAnd(
                z3.holds(magic.isMagic(z3, marker)),
                z3.holds(magic.isGuestNotPresent(z3, marker)),
                c.mkNot(z3.holds(magic.isMmio(z3, marker)))),
            List.of(Shown.hex("marker", z3, marker))));
  }
}
