package org.shadowref.check.invariants;

import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.EntryBits;
import org.shadowref.check.spec.PropagationSpec;
import org.shadowref.memory.MachineMemory;
import org.shadowref.shadow.invariant.ShadowTable;
import org.shadowref.shadow.invariant.ShadowView;

/**
 * One reading of an engine for one check: its shadow tables, described once, and the present
 * entries of every machine frame a predicate looks at, each frame read once. Every predicate
 * judges present entries only (an entry without P maps nothing and points at nothing), so a
 * check needs nothing else of a table; the registry shares one scan between all predicates.
 *
 * <p>Two ways to read a frame, which must find the same entries: {@link #of} scans its words
 * ({@link MachineMemory#nextWordMatching}, skipping the empty ones without a read each, as most
 * are); {@link #readingEveryEntry} reads each entry in turn, the literal definition the tests
 * compare it with.
 */
public final class ShadowScan {
  private final ShadowView view;
  private final boolean everyEntry;
  private final MachineMemory memory;
  private final List<ShadowTable> tables;
  /** Per machine frame: {@link ShadowView#tableAt}, once asked for ({@code tableKnown}). */
  private final @Nullable ShadowTable[] tableByFrame;
  private final boolean[] tableKnown;
  /** Per machine frame: its present entries as a table of 8-byte or of 4-byte entries, once read. */
  private final @Nullable PresentEntries[] eightByteEntries;
  private final @Nullable PresentEntries[] fourByteEntries;
  /** The specification of propagation for this reading, made when a predicate first asks. */
  private @Nullable PropagationSpec spec;

  private ShadowScan(ShadowView view, boolean everyEntry) {
    this.view = view;
    this.everyEntry = everyEntry;
    this.memory = view.guest().machine();
    this.tables = view.shadowTables();
    int frames = memory.frameCount();
    this.tableByFrame = new ShadowTable[frames];
    this.tableKnown = new boolean[frames];
    this.eightByteEntries = new PresentEntries[frames];
    this.fourByteEntries = new PresentEntries[frames];
  }

  /** A scan of {@code view} that finds present entries by word scans. */
  public static ShadowScan of(ShadowView view) {
    return new ShadowScan(view, false);
  }

  /** A scan of {@code view} that reads every entry of a frame to find the present ones. */
  public static ShadowScan readingEveryEntry(ShadowView view) {
    return new ShadowScan(view, true);
  }

  public ShadowView view() {
    return view;
  }

  /** {@link ShadowView#shadowTables()}, in index order. */
  public List<ShadowTable> tables() {
    return tables;
  }

  /** What the shadow entries of this reading may be (made once, shared by the predicates). */
  public PropagationSpec spec() {
    PropagationSpec made = spec;
    if (made == null) {
      made = new PropagationSpec(view, tables, this::tableAt);
      spec = made;
    }
    return made;
  }

  /** {@link ShadowView#tableAt}: the table owning machine frame {@code mfn}, or null; asked once per frame. */
  public @Nullable ShadowTable tableAt(long mfn) {
    if (!memory.contains(Addr.mfn(mfn))) {
      return view.tableAt(mfn);
    }
    int frame = (int) mfn;
    if (!tableKnown[frame]) {
      tableByFrame[frame] = view.tableAt(mfn);
      tableKnown[frame] = true;
    }
    return tableByFrame[frame];
  }

  /** The present entries of one part of {@code table}, in index order. */
  public PresentEntries present(ShadowTable table, int part) {
    return present(table.mfn(part), table.entryBytes());
  }

  /**
   * The present entries of machine frame {@code mfn} read as a table of {@code entryBytes}-byte
   * entries, in index order. A frame outside memory reads as all ones, as the hardware walk
   * reads it ({@link org.shadowref.mmu.MachineTables}): every entry present.
   */
  public PresentEntries present(long mfn, int entryBytes) {
    if (!memory.contains(Addr.mfn(mfn))) {
      return read(mfn, entryBytes);
    }
    @Nullable PresentEntries[] read = entryBytes == 8 ? eightByteEntries : fourByteEntries;
    PresentEntries found = read[(int) mfn];
    if (found == null) {
      found = read(mfn, entryBytes);
      read[(int) mfn] = found;
    }
    return found;
  }

  private PresentEntries read(long mfn, int entryBytes) {
    int entries = (int) (Addr.PAGE_SIZE / entryBytes);
    PresentEntries out = new PresentEntries();
    if (!memory.contains(Addr.mfn(mfn))) {
      long allOnes = entryBytes == 8 ? -1L : 0xFFFF_FFFFL;
      for (int index = 0; index < entries; index++) {
        out.add(index, allOnes);
      }
      return out;
    }
    if (everyEntry || entryBytes != 8) {
      for (int index = 0; index < entries; index++) {
        long entry = memory.read(Addr.maddrOf(Addr.mfn(mfn), (long) index * entryBytes), entryBytes);
        if (ShadowEntries.present(entry)) {
          out.add(index, entry);
        }
      }
      return out;
    }
    for (int index = memory.nextWordMatching(Addr.mfn(mfn), 0, EntryBits.P, EntryBits.P);
        index >= 0;
        index = memory.nextWordMatching(Addr.mfn(mfn), index + 1, EntryBits.P, EntryBits.P)) {
      out.add(index, memory.read(Addr.maddrOf(Addr.mfn(mfn), (long) index * 8), 8));
    }
    return out;
  }

  /**
   * The present entries of every part of {@code table}, in part and index order, as a cursor the
   * predicates loop over: {@code for (ShadowScan.Entries at = scan.entries(table); at.next(); )}.
   */
  public Entries entries(ShadowTable table) {
    return new Entries(this, table);
  }

  /** A cursor over the present entries of one shadow table, every part. */
  public static final class Entries {
    private final ShadowScan scan;
    private final ShadowTable table;
    private int part = -1;
    private @Nullable PresentEntries inPart;
    private int i;

    private Entries(ShadowScan scan, ShadowTable table) {
      this.scan = scan;
      this.table = table;
    }

    /** Moves to the next present entry; false when there is none left. */
    public boolean next() {
      while (true) {
        PresentEntries current = inPart;
        if (current != null && ++i < current.count()) {
          return true;
        }
        if (part + 1 >= table.parts()) {
          inPart = null;
          return false;
        }
        part++;
        inPart = scan.present(table, part);
        i = -1;
      }
    }

    public int part() {
      return part;
    }

    /** The entry's index in its part. */
    public int index() {
      return current().index(i);
    }

    public long entry() {
      return current().entry(i);
    }

    /** The entry named for a message: table, part, index and value. */
    public String where() {
      return ShadowEntries.where(table, part, index(), entry());
    }

    private PresentEntries current() {
      PresentEntries current = inPart;
      if (current == null) {
        throw new IllegalStateException("the cursor is not on an entry: call next() first");
      }
      return current;
    }
  }

  /** The present entries of one table frame: their indexes and values, in index order. */
  public static final class PresentEntries {
    private int count;
    private int[] indexes = new int[8];
    private long[] values = new long[8];

    void add(int index, long value) {
      if (count == indexes.length) {
        indexes = java.util.Arrays.copyOf(indexes, count * 2);
        values = java.util.Arrays.copyOf(values, count * 2);
      }
      indexes[count] = index;
      values[count] = value;
      count++;
    }

    public int count() {
      return count;
    }

    /** The index in its table of the {@code i}-th present entry. */
    public int index(int i) {
      return indexes[i];
    }

    /** The value of the {@code i}-th present entry. */
    public long entry(int i) {
      return values[i];
    }
  }
}
