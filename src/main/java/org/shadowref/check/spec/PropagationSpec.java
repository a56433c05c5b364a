package org.shadowref.check.spec;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.arch.PagingMode;
import org.shadowref.arch.ReservedBits;
import org.shadowref.memory.GuestPhysicalMemory;
import org.shadowref.memory.P2m;
import org.shadowref.memory.P2mType;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * What a present shadow entry may be, given the guest entry it stands for (read from guest memory
 * now), its level and kind, the shadow mode, the P2M and which frames are shadowed page tables:
 * the specification the invariant predicates judge the engines against (INV-COHERENT, INV-OOS,
 * INV-MAGIC). It is a relation, not a function: where engines may legitimately differ (a magic
 * marker or nothing for a guest entry that is not present) it says which values are allowed.
 * Absent entries are always allowed (shadows are built on demand), so only present ones are asked
 * about.
 *
 * <p>The rules, from the SDM (vol. 3, 4.3 to 4.5) and the handler's flow:
 *
 * <ul>
 *   <li>A guest entry is shadowed only when it is present and has no reserved bit set (under the
 *       shadow's own PSE and NXE, and the guest's MAXPHYADDR), and, but for PDPTEs, which have
 *       none, its A bit is set.
 *   <li>A directory entry points at the shadow of what its guest entry points at: the shadow, of
 *       the same PSE/NXE, of the guest table one level down, or, for a large page, the splinter
 *       of that guest entry (this guest table, this index), and is {@link DirectoryRule#entry}
 *       of the guest entry and that shadow's frame. In 2-on-3, shadow l2e {@code i} of frame {@code p} stands for guest l2e
 *       {@code 256p + i/2} and points at frame {@code i mod 2} of the l1 shadow (or splinter): a
 *       4 MiB guest region is two 2 MiB shadow regions; the 2-on-3 PDPT's entry {@code i} points
 *       at frame {@code i} of the l2 shadow.
 *   <li>A leaf is {@link LeafRule#leaf} of its guest leaf and guest frame: for a table, guest l1e
 *       {@code 512p + i} for entry {@code i} of frame {@code p} in 2-on-3, else entry {@code i};
 *       for piece {@code k} of a large page, the large leaf's rights ({@link LeafRule#pieceOfLarge})
 *       and guest frame {@code base + k}, with {@code k = 512p + i} (2-on-3), {@code i}, or
 *       {@code 512 * (slot mod 512) + i} for the 2 MiB piece {@code slot mod 512} of a 1 GiB page;
 *       the base frame of a 4 MiB page takes bits 39:32 from bits 20:13 of its PDE (PSE-36).
 *   <li>With paging off, the 1:1 map: guest frame {@code gfn + i} with every right.
 *   <li>In a 64-bit l1 shadow of a guest table, on a host where bits 51:48 are reserved, a magic
 *       marker ({@link MagicMarkers}) may stand instead: the not-present marker exactly where the
 *       guest l1e is not present; an MMIO marker for frame {@code g} exactly where the guest l1e
 *       is shadowable, maps {@code g}, which the P2M holds as MMIO and which fits the marker, and
 *       grants every access with A and D already set (the fast path checks no l1 rights and sets
 *       no bits).
 * </ul>
 */
public final class PropagationSpec {
  /** The shadow table owning a machine frame, or null (the scan's cached {@link ShadowView#tableAt}). */
  public interface TableLookup {
    @Nullable ShadowTable tableAt(long mfn);
  }

  private static final long GUEST_FRAME_32 = EntryBits.bits(31, 12);
  private static final long SHADOW_FRAME_32 = EntryBits.ADDR_MASK_32;
  private static final long SHADOW_FRAME_64 = EntryBits.ADDR_MASK_64;
  /** The rights of the 1:1 map of a guest with paging off. */
  private static final long UNPAGED_RIGHTS = EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A | EntryBits.D;
  private static final long MMIO_MARKER_NEEDS = EntryBits.P | EntryBits.RW | EntryBits.US | EntryBits.A | EntryBits.D;

  private final TableLookup lookup;
  private final GuestPhysicalMemory physical;
  private final P2m p2m;
  private final int guestMaxPhysAddr;
  private final int hostMaxPhysAddr;
  /** The engine judged: asked only whether log-dirty mode protects a frame (INV-LOG-DIRTY judges its log). */
  private final ShadowView view;
  /** What {@link #source} read: the guest leaf, its frame, and (a table l1's) the guest l1e index. */
  private long sourceLeaf;
  private long sourceGfn;
  private int sourceIndex;
  /** By machine frame: it holds a guest page table with shadows that are in sync. */
  private final boolean[] shadowedFrame;

  /**
   * @param view the engine judged
   * @param tables its shadow tables ({@link ShadowView#shadowTables})
   * @param lookup its table by machine frame
   */
  public PropagationSpec(ShadowView view, List<ShadowTable> tables, TableLookup lookup) {
    this.view = view;
    this.lookup = lookup;
    this.physical = view.guest().physical();
    this.p2m = view.guest().p2m();
    this.guestMaxPhysAddr = view.guest().cpu().maxPhysAddr();
    this.hostMaxPhysAddr = view.hostCpu().maxPhysAddr();
    this.shadowedFrame = new boolean[view.guest().machine().frameCount()];
    for (ShadowTable table : tables) {
      // An out-of-sync l1 leaves its guest table writable on purpose (INV-OOS bounds what that may show).
      if (table.shadowsGuestFrame() && p2m.type(Addr.gfn(table.guestGfn())).isRam() && !view.isOutOfSync(table)) {
        long mfn = p2m.mfn(Addr.gfn(table.guestGfn()));
        if (mfn >= 0 && mfn < shadowedFrame.length) {
          shadowedFrame[(int) mfn] = true;
        }
      }
    }
  }

  /** Whether machine frame {@code mfn} holds a guest page table with in-sync shadows. */
  public boolean shadowedTable(long mfn) {
    return mfn >= 0 && mfn < shadowedFrame.length && shadowedFrame[(int) mfn];
  }

  /**
   * Why present entry {@code entry}, entry {@code index} of frame {@code part} of {@code table},
   * is not one the specification allows there; null when it is.
   */
  public @Nullable String violation(ShadowTable table, int part, int index, long entry) {
    ShadowKind kind = ShadowKind.named(table.type());
    if (kind == null) {
      return "is in a table of kind " + table.type() + ", which the specification does not know";
    }
    return kind.level() == 1 ? leaf(kind, table, part, index, entry) : directory(kind, table, part, index, entry);
  }

  // ---------------------------------------------------------------------------------------------
  // Directory entries

  private @Nullable String directory(ShadowKind kind, ShadowTable table, int part, int index, long entry) {
    long guestEntry;
    boolean pdpte;
    ShadowKind childKind;
    long childGfn;
    long childSlot = 0;
    int childPart = 0;
    switch (kind.role()) {
      case PDPT:
        if (index >= 4) {
          return "is beyond the four entries of a 2-on-3 PDPT";
        }
        guestEntry = EntryBits.P;
        pdpte = true;
        childKind = ShadowKind.L2_32_PAE;
        childGfn = table.guestGfn();
        childPart = index;
        break;
      case UNPAGED:
        if (kind == ShadowKind.UNPAGED_L3) {
          if (index >= 4) {
            return "is beyond the four PDPTEs of the 1:1 map";
          }
          pdpte = true;
          guestEntry = EntryBits.P;
          childKind = ShadowKind.UNPAGED_L2;
          childGfn = (long) index << 18; // each PDPTE covers 1 GiB: 2^18 frames
        } else {
          pdpte = false;
          guestEntry = UNPAGED_RIGHTS;
          childKind = ShadowKind.UNPAGED_L1;
          childGfn = table.guestGfn() + 512L * index;
        }
        break;
      case SPLINTER: {
        // The l2 of a 1 GiB page: entry i points at the l1 of its i-th 2 MiB piece.
        long large = largeLeaf(table.guestGfn(), (int) table.slot(), 3, PagingMode.FOUR_LEVEL, table);
        if (large == NONE || (large & EntryBits.A) == 0) {
          return "splits guest entry " + table.slot() + " of frame " + Addr.hex(table.guestGfn())
              + ", which is no shadowable 1 GiB page (or its A bit is clear)";
        }
        guestEntry = large;
        pdpte = false;
        childKind = ShadowKind.FL1G_64;
        childGfn = table.guestGfn();
        childSlot = table.slot() * 512 + index;
        break;
      }
      default: {
        PagingMode mode = kind.guestMode();
        int level = kind.level();
        int guestIndex = kind == ShadowKind.L2_32_PAE ? 256 * part + index / 2 : index;
        childPart = kind == ShadowKind.L2_32_PAE ? index % 2 : 0;
        guestEntry = guestWord(table.guestGfn(), guestIndex, mode.entryBytes());
        pdpte = mode == PagingMode.PAE && level == 3;
        boolean large = isLarge(guestEntry, mode, level, table.pse());
        if (!shadowable(guestEntry, mode, level, large, table.nxe(), pdpte)) {
          return "stands for guest entry " + guestIndex + " = " + Addr.hex(guestEntry)
              + ", which cannot be shadowed (not present, reserved bits, or A clear)";
        }
        ShadowKind splinter = kind.childSplinter();
        ShadowKind table1 = kind.childTable();
        if (large && splinter != null) {
          childKind = splinter;
          childGfn = table.guestGfn();
          childSlot = guestIndex;
        } else if (table1 != null) {
          childKind = table1;
          childGfn = guestTableFrame(guestEntry, mode);
        } else {
          return "is in a " + kind + ", which has no children";
        }
        break;
      }
    }
    long childMfn = (entry & (kind.entryBytes() == 4 ? SHADOW_FRAME_32 : SHADOW_FRAME_64)) >>> 12;
    ShadowTable child = lookup.tableAt(childMfn);
    String wanted = childKind + " of guest frame " + Addr.hex(childGfn)
        + (childKind.role() == ShadowKind.Role.SPLINTER ? " slot " + childSlot : "") + " frame " + childPart;
    if (child == null || !child.type().equals(childKind.name()) || child.guestGfn() != childGfn
        || child.slot() != childSlot || child.pse() != table.pse() || child.nxe() != table.nxe()
        || childPart >= child.parts() || child.mfn(childPart) != childMfn) {
      return "points at " + (child == null ? "no shadow" : child.key()) + " where the guest entry "
          + Addr.hex(guestEntry) + " needs " + wanted + (table.nxe() ? " (nxe)" : "") + (table.pse() ? " (pse)" : "");
    }
    long expected = DirectoryRule.entry(guestEntry, pdpte, childMfn, table.nxe(), kind.entryBytes() == 8);
    return entry == expected ? null
        : "but guest entry " + Addr.hex(guestEntry) + " makes it " + Addr.hex(expected)
            + " (" + EntryBits.describe(expected) + ")";
  }

  // ---------------------------------------------------------------------------------------------
  // Leaves

  /**
   * The guest frame leaf entry {@code index} of frame {@code part} of {@code table} stands for, as
   * the guest's memory holds it now, or -1 when its guest entry cannot be shadowed.
   */
  public long leafGfn(ShadowTable table, int part, int index) {
    ShadowKind kind = ShadowKind.named(table.type());
    return kind != null && kind.level() == 1 && source(kind, table, part, index) == null ? sourceGfn : -1;
  }

  /**
   * Reads what a leaf derives from into {@link #sourceLeaf} and {@link #sourceGfn} (a table l1's
   * guest l1e also into {@link #sourceIndex}); null, or why it derives from no guest frame. Fields,
   * not a record: the predicates judge every leaf of every state.
   */
  private @Nullable String source(ShadowKind kind, ShadowTable table, int part, int index) {
    switch (kind.role()) {
      case UNPAGED:
        sourceLeaf = UNPAGED_RIGHTS;
        sourceGfn = table.guestGfn() + index;
        return null;
      case SPLINTER: {
        boolean gigabyte = kind == ShadowKind.FL1G_64;
        int level = gigabyte ? 3 : 2;
        PagingMode mode = kind.guestMode();
        int slot = (int) (gigabyte ? table.slot() / 512 : table.slot());
        long large = largeLeaf(table.guestGfn(), slot, level, mode, table);
        if (large == NONE) {
          return "splits guest entry " + slot + " of frame " + Addr.hex(table.guestGfn())
              + ", which is no shadowable large page";
        }
        long piece = gigabyte ? (table.slot() % 512) * 512 + index
            : kind == ShadowKind.FL1_32_PAE ? 512L * part + index : index;
        sourceLeaf = LeafRule.pieceOfLarge(large);
        sourceGfn = largeBaseFrame(large, mode, level) + piece;
        return null;
      }
      default: {
        PagingMode mode = kind.guestMode();
        sourceIndex = kind == ShadowKind.L1_32_PAE ? 512 * part + index : index;
        sourceLeaf = guestWord(table.guestGfn(), sourceIndex, mode.entryBytes());
        if (!shadowable(sourceLeaf, mode, 1, false, table.nxe(), true)) {
          return "stands for guest l1e " + sourceIndex + " = " + Addr.hex(sourceLeaf)
              + ", which cannot be shadowed (not present or reserved bits)";
        }
        sourceGfn = guestTableFrame(sourceLeaf, mode);
        return null;
      }
    }
  }

  private @Nullable String leaf(ShadowKind kind, ShadowTable table, int part, int index, long entry) {
    String none = source(kind, table, part, index);
    boolean markers = kind.role() == ShadowKind.Role.TABLE && kind.entryBytes() == 8
        && MagicMarkers.tagReserved(kind.hostMode(), hostMaxPhysAddr);
    if (markers && MagicMarkers.isMarker(entry)) {
      return marker(table, kind.guestMode(), sourceIndex, sourceLeaf, none == null, entry);
    }
    if (none != null) {
      return none;
    }
    long guestLeaf = sourceLeaf;
    long gfn = sourceGfn;
    P2mType type = p2m.type(Addr.gfn(gfn));
    long mfn = type.isRam() ? p2m.mfn(Addr.gfn(gfn)) : 0;
    long expected = LeafRule.leaf(guestLeaf, type == P2mType.RAM, type == P2mType.RAM_RO, mfn,
        type.isRam() && (shadowedTable(mfn) || view.logDirtyProtects(gfn)), table.nxe(), kind.entryBytes() == 8);
    if (entry == expected) {
      return null;
    }
    return "but guest leaf " + Addr.hex(guestLeaf) + " on guest frame " + Addr.hex(gfn) + " (" + type
        + (shadowedTable(mfn) ? ", a shadowed page table" : "") + ") makes it "
        + (expected == 0 ? "absent" : Addr.hex(expected) + " (" + EntryBits.describe(expected) + ")");
  }

  /** Judges a magic marker in a 64-bit l1 shadow of guest l1e {@code guestLeaf}. */
  private @Nullable String marker(
      ShadowTable table, PagingMode mode, int guestIndex, long guestLeaf, boolean usable, long entry) {
    if (entry == MagicMarkers.NOT_PRESENT) {
      return (guestLeaf & EntryBits.P) == 0 ? null
          : "is the not-present marker for guest l1e " + guestIndex + " = " + Addr.hex(guestLeaf) + ", which is present";
    }
    if (!MagicMarkers.isMmioMarker(entry)) {
      return "has the magic pattern but is neither the not-present marker nor an MMIO marker";
    }
    if (!usable) {
      return "is an MMIO marker for guest l1e " + guestIndex + " = " + Addr.hex(guestLeaf) + ", which cannot be shadowed";
    }
    long gfn = guestTableFrame(guestLeaf, mode);
    if (gfn != MagicMarkers.mmioGfn(entry)) {
      return "is an MMIO marker for guest frame " + Addr.hex(MagicMarkers.mmioGfn(entry)) + ", the guest l1e maps "
          + Addr.hex(gfn);
    }
    if (p2m.type(Addr.gfn(gfn)) != P2mType.MMIO) {
      return "is an MMIO marker for guest frame " + Addr.hex(gfn) + ", which the P2M holds as " + p2m.type(Addr.gfn(gfn));
    }
    if ((guestLeaf & MMIO_MARKER_NEEDS) != MMIO_MARKER_NEEDS || (table.nxe() && (guestLeaf & EntryBits.NX) != 0)) {
      return "is an MMIO marker for guest l1e " + Addr.hex(guestLeaf)
          + ", which does not grant every access with A and D set (the fast path would skip its checks)";
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Guest entries

  /** {@link #largeLeaf}'s answer when the guest entry is no shadowable large page. */
  private static final long NONE = 0;

  /** The guest's large leaf at {@code index} of table {@code gfn}, or {@link #NONE}. */
  private long largeLeaf(long gfn, int index, int level, PagingMode mode, ShadowTable table) {
    long entry = guestWord(gfn, index, mode.entryBytes());
    // A is not asked for here: a leaf of the splinter is absent while it is clear (LeafRule).
    return isLarge(entry, mode, level, table.pse()) && shadowable(entry, mode, level, true, table.nxe(), true)
        ? entry : NONE;
  }

  private long guestWord(long gfn, int index, int bytes) {
    return physical.read(Addr.gpaOf(Addr.gfn(gfn), (long) index * bytes), bytes);
  }

  /** A PS=1 entry maps a page where the mode allows one: 4 MiB with CR4.PSE, 2 MiB, 1 GiB (SDM 4.3-4.5). */
  private static boolean isLarge(long entry, PagingMode mode, int level, boolean pse) {
    return (entry & EntryBits.PS) != 0 && mode.canMapLargePage(level, pse);
  }

  /** Present, no reserved bit set, and A set where the entry has one (every entry but a PAE PDPTE). */
  private boolean shadowable(long entry, PagingMode mode, int level, boolean large, boolean nxe, boolean noA) {
    if ((entry & EntryBits.P) == 0) {
      return false;
    }
    if ((entry & ReservedBits.mask(mode, level, large, nxe, guestMaxPhysAddr)) != 0) {
      return false;
    }
    return noA || (entry & EntryBits.A) != 0;
  }

  /** The guest frame a table entry or 4 KiB leaf points at. */
  private long guestTableFrame(long entry, PagingMode mode) {
    long field = mode == PagingMode.TWO_LEVEL ? GUEST_FRAME_32 : EntryBits.bits(guestMaxPhysAddr - 1, 12);
    return (entry & field) >>> 12;
  }

  /** The first guest frame of the large page a large leaf at {@code level} maps. */
  private long largeBaseFrame(long large, PagingMode mode, int level) {
    if (mode == PagingMode.TWO_LEVEL) {
      // 4 MiB: address bits 31:22 from the PDE's bits 31:22, bits 39:32 from its bits 20:13
      // (PSE-36), as far as MAXPHYADDR (at most 40 here) reaches.
      long address = (large & EntryBits.bits(31, 22)) | (((large >>> 13) & 0xFF) << 32);
      return (address & EntryBits.bits(Math.min(guestMaxPhysAddr, 40) - 1, 0)) >>> 12;
    }
    int pageBits = level == 3 ? 30 : 21;
    return (large & EntryBits.bits(guestMaxPhysAddr - 1, pageBits)) >>> 12;
  }
}
