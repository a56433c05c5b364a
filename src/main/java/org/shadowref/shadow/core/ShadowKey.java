package org.shadowref.shadow.core;

import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.qual.Gfn;

/**
 * Where a shadow is found in the index: the guest frame it shadows and its type. Two more fields
 * make the key exact where the frame and type alone do not:
 *
 * @param gfn for tables, the guest table's frame; for splinters, the frame of the guest table that
 *     holds the large leaf; for unpaged tables, the first guest frame covered
 * @param slot for splinters, the large leaf's index in that table (for {@link ShadowType#FL1G_64},
 *     index * 512 + which 2 MiB piece); else 0. A splinter belongs to the guest entry, not to the
 *     large page's frame, so two entries mapping one large page with different rights stay apart
 * @param flavour the guest controls the derivation depends on ({@link #PSE}, {@link #NXE}): vCPUs
 *     that disagree on them use different shadows of the same table
 */
public record ShadowKey(ShadowType type, @Gfn long gfn, long slot, int flavour)
    implements ShadowId, Comparable<ShadowKey> {
  public static final int PSE = 1;
  public static final int NXE = 2;

  /** The flavour of shadows for a vCPU with {@code regs}: PSE for 32-bit guests, NXE for the others. */
  public static int flavourOf(ControlRegisters regs) {
    PagingMode mode = regs.pagingMode();
    if (mode == null) {
      return 0;
    }
    if (mode == PagingMode.TWO_LEVEL) {
      return regs.pse() ? PSE : 0;
    }
    return regs.nxe() ? NXE : 0;
  }

  /** The key of {@code id} (itself if it is one). */
  public static ShadowKey of(ShadowId id) {
    return id instanceof ShadowKey key ? key : new ShadowKey(id.type(), id.gfn(), id.slot(), id.flavour());
  }

  /** Whether {@code id} names the shadow this key names. */
  public boolean names(ShadowId id) {
    return type == id.type() && gfn == id.gfn() && slot == id.slot() && flavour == id.flavour();
  }

  /**
   * For a 3-on-3 top ({@link ShadowType#L3_32_PAE}): the l2 shadow of the same guest frame, made
   * with the top, whose four parts the top's four entries point at.
   */
  public ShadowKey pdptL2() {
    return new ShadowKey(ShadowType.L2_32_PAE, gfn, 0, flavour);
  }

  @Override
  public int compareTo(ShadowKey other) {
    if (type != other.type) {
      return Integer.compare(type.ordinal(), other.type.ordinal());
    }
    if (gfn != other.gfn) {
      return Long.compare(gfn, other.gfn);
    }
    if (slot != other.slot) {
      return Long.compare(slot, other.slot);
    }
    return Integer.compare(flavour, other.flavour);
  }

  /** A hash that does not depend on the JVM run (enum identity hashes do). */
  public long stableHash() {
    return ((type.ordinal() * 0x9E37_79B9L + gfn) * 31 + slot) * 31 + flavour;
  }

  @Override
  public String toString() {
    String base = type + "(gfn " + Addr.hex(gfn);
    if (type.role() == ShadowType.Role.SPLINTER) {
      base += " slot " + slot;
    }
    return base + (pse() ? " pse" : "") + (nxe() ? " nxe" : "") + ")";
  }
}
