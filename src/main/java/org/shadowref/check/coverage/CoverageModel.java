package org.shadowref.check.coverage;

import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.shadow.ShadowEvents;
import org.shadowref.shadow.invariant.InvariantIds;

/**
 * The input space of the page-fault handler, written down as groups of cells (issue 16 §1).
 * Each group is a {@link Grid}: a product of small dimensions. Cells that no guest can reach are
 * declared here with the architectural reason; proofs/coverage.md lists them, generated from
 * this class ({@link CoveragePage}).
 */
public final class CoverageModel {
  private CoverageModel() {}

  // ----- Dimensions -----------------------------------------------------------------------------

  /** How the guest's vCPU translates. */
  public enum GuestPaging {
    OFF("paging off"), TWO_LEVEL("2-level"), PAE("pae"), FOUR_LEVEL("4-level");

    private final String label;

    GuestPaging(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** How an engine shadows the guest. */
  public enum Shadowing {
    TWO_ON_TWO("2-on-2"), TWO_ON_THREE("2-on-3"), THREE_ON_THREE("3-on-3"), FOUR_ON_FOUR("4-on-4"),
    ONE_TO_ONE("1:1 map");

    private final String label;

    Shadowing(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** The format of a guest table: ordinals follow {@link org.shadowref.arch.PagingMode}. */
  public enum Flavour {
    TWO_LEVEL("2-level"), PAE("pae"), FOUR_LEVEL("4-level");

    private final String label;

    Flavour(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** The role a guest frame plays in a walk: a table at a level, or a large page splintered. */
  public enum Role { L1, L2, L3, L4, PDPT, SPLINTER }

  /** Where in its table an entry lies. */
  public enum IndexClass {
    FIRST, MIDDLE, UPPER_HALF("upper half (512..1022)"), LAST;

    private final @Nullable String label;

    IndexClass() {
      this.label = null;
    }

    IndexClass(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label == null ? name() : label;
    }
  }

  /** A guest frame with more than one use at once. */
  public enum Sharing {
    TWO_LEVELS("a table at two levels"),
    TWO_FLAVOURS("a table in two formats"),
    TWO_ADDRESS_SPACES("a table under two roots"),
    MAPPED_AS_DATA("a table accessed as data"),
    SELF_MAP("a table that is the data of its own walk");

    private final String label;

    Sharing(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** The form of a store: a plain access, or an instruction the emulator decodes. */
  public enum Form {
    ACCESS("plain store"), MOV("mov"), MOVNTI("movnti"), XCHG("xchg"), CMPXCHG("cmpxchg"),
    CMPXCHG8B("cmpxchg8b"), CMPXCHG16B("cmpxchg16b"), ALU("add/or/adc/sbb/and/sub/xor"), BIT("bts/btr/btc"),
    STOS("stos");

    private final String label;

    Form(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }

    /** Whether this form can store {@code bytes} bytes. */
    public boolean stores(int bytes) {
      switch (this) {
        case CMPXCHG8B:
          return bytes == 8;
        case CMPXCHG16B:
          return bytes == 16;
        case MOVNTI:
          return bytes == 4 || bytes == 8;
        case BIT:
          return bytes == 2 || bytes == 4 || bytes == 8;
        default:
          return bytes != 16;
      }
    }

    String widths() {
      StringBuilder out = new StringBuilder();
      for (Width width : Width.values()) {
        if (stores(width.bytes)) {
          out.append(out.length() == 0 ? "" : ", ").append(width.bytes);
        }
      }
      return out.toString();
    }
  }

  /** The size of the entries of the table a store lands in. */
  public enum EntrySize {
    FOUR("4-byte entries", 4), EIGHT("8-byte entries", 8);

    private final String label;
    public final int bytes;

    EntrySize(String label, int bytes) {
      this.label = label;
      this.bytes = bytes;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** Bytes a store writes. */
  public enum Width {
    W1(1), W2(2), W4(4), W8(8), W16(16);

    public final int bytes;

    Width(int bytes) {
      this.bytes = bytes;
    }

    @Override
    public String toString() {
      return bytes + "B";
    }

    public static int ordinalOf(int bytes) {
      return Integer.numberOfTrailingZeros(bytes);
    }
  }

  /** The byte offset of a store inside the entry it starts in. */
  public enum Offset {
    O0, O1, O2, O3, O4, O5, O6, O7;

    @Override
    public String toString() {
      return "+" + ordinal();
    }
  }

  /** Which frame of a store that crosses a page is the page table. */
  public enum CrossSide {
    LEAVES_TABLE("starts in a table"), ENTERS_TABLE("ends in a table");

    private final String label;

    CrossSide(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public enum Compare { CMPXCHG, CMPXCHG8B, CMPXCHG16B }

  public enum CompareOutcome { SUCCEEDS, FAILS }

  public enum RepStos {
    WITHIN_TABLE("within one table"), OUT_OF_TABLE("from a table across its end"),
    INTO_TABLE("across into a table");

    private final String label;

    RepStos(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** Whether a block that writes an entry as two halves runs in a PAE guest (where Xen emulates ahead). */
  public enum Halves {
    PAE("PAE guest"), NOT_PAE("other guest");

    private final String label;

    Halves(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** How a block of instructions writes an 8-byte entry of a table as two 4-byte halves. */
  public enum HalvesShape {
    HIGH_FIRST("high half, then low"), LOW_FIRST("low half, then high"),
    INSTRUCTION_BETWEEN("an instruction between the halves"),
    LATER_INSTRUCTION_STOPS("an instruction after a half stops");

    private final String label;

    HalvesShape(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** Where a reserved bit that stopped a walk lies. */
  public enum ReservedClass {
    MAXPHYADDR("address bit MAXPHYADDR"),
    MAXPHYADDR_PLUS_1("address bit MAXPHYADDR+1"),
    ABOVE("address bits MAXPHYADDR+2..50"),
    BIT_51("bit 51"),
    HIGH_52_62("bits 52..62"),
    NX_WITHOUT_NXE("NX with EFER.NXE=0"),
    PS_WHERE_RESERVED("PS where reserved"),
    LARGE_PAGE_LOW("low address bits of a large page"),
    BIT21_OF_4M_PDE("bit 21 of a 4 MiB PDE"),
    PDPTE_RESERVED("PDPTE reserved bits");

    private final String label;

    ReservedClass(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public enum MaxPhys {
    M36(36), M39(39), M40(40), M46(46), M52(52);

    public final int bits;

    MaxPhys(int bits) {
      this.bits = bits;
    }

    @Override
    public String toString() {
      return "MAXPHYADDR " + bits;
    }

    /** The ordinal of {@code bits}, or -1 when it is none of these. */
    public static int ordinalOf(int bits) {
      for (MaxPhys value : values()) {
        if (value.bits == bits) {
          return value.ordinal();
        }
      }
      return -1;
    }
  }

  public enum WalkSeen { ANY_WALK("a walk"), RESERVED_FAULT("a reserved-bit fault");

    private final String label;

    WalkSeen(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** Who sets (or, for prefetch, reads) the A and D bits. */
  public enum AdPath {
    ACCESS("plain access"), INSTRUCTION("instruction"), PREFETCH("prefetch");

    private final String label;

    AdPath(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public enum AdEntry { TABLE("non-leaf"), SMALL_LEAF("4 KiB leaf"), LARGE_LEAF("large leaf");

    private final String label;

    AdEntry(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** A and D of an entry before the access: ordinal = A + 2 * D. */
  public enum AdBefore {
    A0_D0("A0 D0"), A1_D0("A1 D0"), A0_D1("A0 D1"), A1_D1("A1 D1");

    private final String label;

    AdBefore(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public enum AdAccess { READ("read/fetch"), WRITE("write");

    private final String label;

    AdAccess(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public enum FrameUse { DATA("data frame"), TABLE("page-table frame");

    private final String label;

    FrameUse(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** P2M types: ordinals follow {@link org.shadowref.memory.P2mType}. */
  public enum FrameType { RAM, RAM_RO, MMIO, ABSENT }

  public enum Cr3Offset {
    PAGE_ALIGNED("PAE CR3 page-aligned"), INSIDE("PAE CR3 at 0x20..0xfc0"), LAST_SLOT("PAE CR3 at 0xfe0");

    private final String label;

    Cr3Offset(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public enum ControlBit { NXE, PSE, WP, SMEP, SMAP, AC }

  public enum Change { SET, CLEARED }

  public enum PrefetchKind { TABLE("guest l1"), SPLINTER("splinter") ;

    private final String label;

    PrefetchKind(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public enum PrefetchEnd {
    FROM_FIRST("fault at entry 0"), INSIDE("inside the table"), TO_LAST("reaches the last entry");

    private final String label;

    PrefetchEnd(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** Which entries of an out-of-sync table the guest changed before its resync. */
  public enum OosChange { FIRST("first entry"), MIDDLE("a middle entry"), LAST("last entry"), NONE("none");

    private final String label;

    OosChange(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public enum ResyncTrigger { CR3_LOAD, CONTROL_CHANGE, FLUSH, SLOT_FULL, NEW_PATH, PROMOTED }

  public enum PoolSite { FAULT("page fault"), TOP("top install (CR3, control)");

    private final String label;

    PoolSite(String label) {
      this.label = label;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  public enum PoolReclaim { UNPIN_TOPS, DROP_BELOW_TOPS }

  public enum Engine { REFERENCE, OPTIMIZED }

  // ----- Groups ---------------------------------------------------------------------------------

  private static final List<Grid> GRIDS = new ArrayList<>();
  private static int cells;

  private static Grid grid(String id, String title, String observed, Grid.Rule rule, Grid.Dim... dims) {
    Grid grid = new Grid(id, title, observed, cells, rule, dims);
    cells += grid.size();
    GRIDS.add(grid);
    return grid;
  }

  private static Grid.Dim dim(String name, Enum<?>[] values) {
    return Grid.Dim.of(name, values);
  }

  private static final Grid.Rule ALL = at -> null;

  public static final Grid MODES = grid("modes", "guest paging mode x shadow mode",
      "the vCPU's control registers before each operation; each engine's configured 32-bit shadow mode",
      at -> modesUnreachable(GuestPaging.values()[at[0]], Shadowing.values()[at[1]]),
      dim("guest", GuestPaging.values()), dim("shadow", Shadowing.values()));

  public static final Grid INDEX = grid("index", "table format x role x entry index",
      "native's walk of every access and of every instruction operand, on the guest tables (no A/D set)",
      at -> indexUnreachable(Flavour.values()[at[0]], Role.values()[at[1]], IndexClass.values()[at[2]]),
      dim("format", Flavour.values()), dim("role", Role.values()), dim("index", IndexClass.values()));

  public static final Grid SHARING = grid("sharing", "a frame with two uses at once",
      "the guest tables reachable from every root the vCPUs have loaded, against each walk and store",
      ALL, dim("frame", Sharing.values()));

  public static final Grid STORE = grid("store", "store to a page table: form x entry size x width x offset",
      "the operation; instructions run once more on the SDM executor over a dry-run memory (nothing written)",
      at -> storeUnreachable(Form.values()[at[0]], EntrySize.values()[at[1]], Width.values()[at[2]],
          Offset.values()[at[3]]),
      dim("form", Form.values()), dim("entries", EntrySize.values()), dim("width", Width.values()),
      dim("offset", Offset.values()));

  public static final Grid STRADDLE = grid("straddle", "store across two frames, one a page table",
      "as for stores", at -> straddleUnreachable(Form.values()[at[0]], Width.values()[at[1]]),
      dim("form", Form.values()), dim("width", Width.values()), dim("side", CrossSide.values()));

  public static final Grid COMPARE = grid("cmpxchg", "compare-exchange on a page-table entry",
      "ZF after the dry run", ALL, dim("instruction", Compare.values()), dim("outcome", CompareOutcome.values()));

  public static final Grid REP_STOS = grid("rep-stos", "REP STOS and table boundaries", "as for stores", ALL,
      dim("stos", RepStos.values()));

  public static final Grid HALVES = grid("halves", "an 8-byte entry written as two 4-byte halves in one block",
      "the dry run of each block's instructions in turn", ALL, dim("guest", Halves.values()),
      dim("shape", HalvesShape.values()));

  public static final Grid RESERVED = grid("reserved", "reserved bit that stopped a walk: format x position",
      "the entry native's walk stopped at, against the SDM's reserved-bit masks",
      at -> reservedUnreachable(Flavour.values()[at[0]], ReservedClass.values()[at[1]]),
      dim("format", Flavour.values()), dim("bit", ReservedClass.values()));

  public static final Grid MAXPHYADDR = grid("maxphyaddr", "MAXPHYADDR of the guest CPU", "the world's CPU model",
      ALL, dim("format", Flavour.values()), dim("maxphyaddr", MaxPhys.values()), dim("seen", WalkSeen.values()));

  public static final Grid ACCESSED_DIRTY = grid("accessed-dirty", "A and D before a walk that sets them",
      "entries of native's successful walks before the operation; prefetch through the optimized engine's hook",
      at -> adUnreachable(AdPath.values()[at[0]], AdEntry.values()[at[1]], AdBefore.values()[at[2]],
          AdAccess.values()[at[3]]),
      dim("path", AdPath.values()), dim("entry", AdEntry.values()), dim("before", AdBefore.values()),
      dim("access", AdAccess.values()));

  public static final Grid P2M = grid("p2m", "P2M type of the frames a walk touches",
      "the P2M type of every table frame native's walk reads and of the frame an access reaches", ALL,
      dim("frame", FrameUse.values()), dim("type", FrameType.values()));

  public static final Grid CR3 = grid("cr3", "PAE CR3 within its page", "the vCPU's CR3 at each PAE access", ALL,
      dim("cr3", Cr3Offset.values()));

  public static final Grid CONTROL = grid("control", "control bit changed without a CR3 load",
      "the vCPU's registers before and after each set-control with paging on throughout", ALL,
      dim("bit", ControlBit.values()), dim("change", Change.values()));

  public static final Grid PREFETCH = grid("prefetch", "prefetch and the ends of a table",
      "optimized engine hook (ShadowEvents.prefetching)", ALL,
      dim("kind", PrefetchKind.values()), dim("where", PrefetchEnd.values()));

  public static final Grid OUT_OF_SYNC = grid("out-of-sync", "out-of-sync table: entries changed before its resync",
      "optimized engine hook (ShadowEvents.resynced)", ALL, dim("changed", OosChange.values()));

  public static final Grid RESYNC = grid("resync", "resync triggers",
      "the operation for CR3 loads, control changes and flushes; the optimized engine hook inside faults",
      ALL, dim("trigger", ResyncTrigger.values()));

  public static final Grid POOL = grid("pool", "shadow pool short of frames, by allocation site",
      "optimized engine hook (ShadowEvents.poolReclaimed) and the operation that ran",
      ALL, dim("site", PoolSite.values()), dim("reclaim", PoolReclaim.values()));

  public static final Grid UNSHADOW = grid("unshadow", "a shadowed table unshadowed from a fault, by cause",
      "optimized engine hook (ShadowEvents.unshadowing)",
      at -> at[0] == ShadowEvents.UnshadowCause.EVENT_DELIVERY.ordinal()
          ? "the machine model delivers no events: a fault ends the operation, so no store happens during"
              + " delivery (the handler's branch is exercised by ReferenceEngineTest)"
          : null,
      dim("cause", ShadowEvents.UnshadowCause.values()));

  public static final Grid INVARIANTS = grid("invariants", "invariant judged where it could fail",
      "the engine reading each step's invariants were judged on: at least one entry the predicate examines",
      at -> invariantUnreachable(InvariantIds.all()[at[0]], Engine.values()[at[1]]),
      new Grid.Dim("invariant", List.of(InvariantIds.all())), dim("engine", Engine.values()));

  /** Every group, in order. */
  public static List<Grid> grids() {
    return List.copyOf(GRIDS);
  }

  /** The number of cells of every group together. */
  public static int cells() {
    return cells;
  }

  // ----- Why cells cannot be reached --------------------------------------------------------------

  static @Nullable String modesUnreachable(GuestPaging guest, Shadowing shadow) {
    switch (guest) {
      case OFF:
        return shadow == Shadowing.ONE_TO_ONE ? null : "a guest with paging off runs on a 1:1 map of the P2M";
      case TWO_LEVEL:
        return shadow == Shadowing.TWO_ON_TWO || shadow == Shadowing.TWO_ON_THREE ? null
            : "a 32-bit guest is shadowed 2-on-2 or 2-on-3";
      case PAE:
        return shadow == Shadowing.THREE_ON_THREE ? null : "a PAE guest is shadowed 3-on-3";
      default:
        return shadow == Shadowing.FOUR_ON_FOUR ? null : "a 4-level guest is shadowed 4-on-4";
    }
  }

  static @Nullable String indexUnreachable(Flavour flavour, Role role, IndexClass index) {
    switch (flavour) {
      case TWO_LEVEL:
        if (role == Role.L3 || role == Role.L4 || role == Role.PDPT) {
          return "32-bit paging has two levels";
        }
        return null;
      case PAE:
        if (role == Role.L3) {
          return "PAE's third level is the PDPT (role pdpt)";
        }
        if (role == Role.L4) {
          return "PAE paging has three levels";
        }
        break;
      default:
        if (role == Role.PDPT) {
          return "4-level paging's third level is an ordinary table (role l3)";
        }
    }
    if (index == IndexClass.UPPER_HALF) {
      return role == Role.PDPT ? "a PDPT has 4 entries" : "tables of 8-byte entries have 512 entries";
    }
    return null;
  }

  static @Nullable String storeUnreachable(Form form, EntrySize entries, Width width, Offset offset) {
    if (offset.ordinal() >= entries.bytes) {
      return "a 4-byte entry has byte offsets 0-3";
    }
    if (!form.stores(width.bytes)) {
      return form + " stores " + form.widths() + " bytes";
    }
    if (form == Form.CMPXCHG16B && offset != Offset.O0) {
      return "cmpxchg16b needs a 16-byte aligned operand (#GP otherwise)";
    }
    return null;
  }

  /** Whether a store of {@code width} at {@code offset} inside an entry of {@code entries} reaches the next entry. */
  public static boolean straddlesEntries(EntrySize entries, Width width, Offset offset) {
    return offset.ordinal() + width.bytes > entries.bytes;
  }

  static @Nullable String straddleUnreachable(Form form, Width width) {
    if (!form.stores(width.bytes)) {
      return form + " stores " + form.widths() + " bytes";
    }
    if (width == Width.W1) {
      return "a 1-byte store lies in one frame";
    }
    if (form == Form.ACCESS) {
      return "a GuestOp.MemoryAccess lies in one page by definition (an instruction crosses instead)";
    }
    if (form == Form.CMPXCHG16B) {
      return "cmpxchg16b needs a 16-byte aligned operand, which lies in one frame";
    }
    return null;
  }

  static @Nullable String reservedUnreachable(Flavour flavour, ReservedClass bit) {
    switch (flavour) {
      case TWO_LEVEL:
        switch (bit) {
          case BIT_51:
          case HIGH_52_62:
            return "32-bit entries have 32 bits, and a 4 MiB PDE reaches address bit 40 at most (PSE-36)";
          case NX_WITHOUT_NXE:
            return "32-bit paging has no execute-disable bit";
          case PS_WHERE_RESERVED:
            return "in 32-bit paging PS is ignored where it cannot map a page, never reserved";
          case LARGE_PAGE_LOW:
            return "bits 20:13 of a 4 MiB PDE carry address bits 39:32 (PSE-36); the rest are the MAXPHYADDR classes";
          case PDPTE_RESERVED:
            return "32-bit paging has no PDPT";
          default:
            return null;
        }
      case PAE:
        return bit == ReservedClass.BIT21_OF_4M_PDE ? "PAE paging has no 4 MiB pages" : null;
      default:
        switch (bit) {
          case HIGH_52_62:
            return "bits 62:52 of 4-level entries are ignored, not reserved";
          case BIT21_OF_4M_PDE:
            return "4-level paging has no 4 MiB pages";
          case PDPTE_RESERVED:
            return "4-level l3 entries are ordinary entries (their reserved bits are the other classes)";
          default:
            return null;
        }
    }
  }

  static @Nullable String adUnreachable(AdPath path, AdEntry entry, AdBefore before, AdAccess access) {
    if (path == AdPath.PREFETCH) {
      if (entry != AdEntry.SMALL_LEAF) {
        return "prefetch reads guest l1es only (a splinter's entries come from the large page's PDE)";
      }
      if (access == AdAccess.WRITE) {
        return "prefetch makes no access: its guest entries are classed under read/fetch";
      }
      return null;
    }
    if (entry == AdEntry.TABLE && (before == AdBefore.A0_D1 || before == AdBefore.A1_D1)) {
      return "D (bit 6) of a non-leaf entry is ignored: table entries are classed by A alone";
    }
    return null;
  }

  static @Nullable String invariantUnreachable(String id, Engine engine) {
    if (engine == Engine.REFERENCE && id.equals(InvariantIds.MAGIC)) {
      return "the reference engine writes no magic entries";
    }
    if (engine == Engine.REFERENCE && id.equals(InvariantIds.OUT_OF_SYNC)) {
      return "the reference engine keeps every table in sync";
    }
    return null;
  }
}
