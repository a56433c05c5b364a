package org.shadowref.check.gen;

import java.util.Random;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;

/**
 * The features one generated guest draws before anything else (swarm testing): its paging mode,
 * MAXPHYADDR, how many address spaces and mappings it has, how often each entry bit is set, how
 * often tables are shared, linked, read-only or odd, and the weight of every kind of operation.
 * Each guest leaves some features out entirely and leans hard on others, so combinations a
 * uniform generator would almost never produce (every entry with NX and A clear, a guest that
 * only rewrites entries byte by byte, eight roots on a small pool) come up as a matter of course.
 */
final class Swarm {
  /** The MAXPHYADDR values a generated CPU model has (36: old parts, 52: the architectural limit). */
  static final int[] MAX_PHYS_ADDRS = {36, 39, 40, 46, 52};

  /** Operation kinds, in the order of {@link #opWeights}. */
  static final int ACCESS = 0;
  static final int TABLE_STORE = 1;
  static final int TABLE_INSTRUCTION = 2;
  static final int LOAD_CR3 = 3;
  static final int CONTROL_BIT = 4;
  static final int PAGING_TOGGLE = 5;
  static final int MODE_SWITCH = 6;
  static final int INVLPG = 7;
  static final int FLUSH = 8;
  static final int PHYSICAL_ALIAS = 9;
  /** The hypervisor changes a P2M entry (migrates, shares, balloons, makes a device of a frame). */
  static final int P2M_CHANGE = 10;
  /** The hypervisor's log-dirty mode switched on, cleaned or off (a live migration). */
  static final int LOG_DIRTY = 11;
  static final int OP_KINDS = 12;

  final PagingMode mode;
  final int maxPhysAddr;
  /** Address spaces in the main mode: up to eight, so small shadow pools run out. */
  final int spaces;
  final int mappingsPerSpace;
  /** Chance a new virtual address shares its upper table indices with an earlier one. */
  final double cluster;
  final double largePages;
  /** Chance a large page's base has a reserved low bit set. */
  final double misalignedLarge;
  /** Chance an entry on a new mapping's path gets a reserved bit. */
  final double reservedBits;
  /** Chance a directory entry on a new mapping's path is rewritten with random flags. */
  final double directoryFlags;
  /** Chance a new table is a frame already in use (a table elsewhere, or data). */
  final double sharedTables;
  /** Entries pointing one table at another (or at itself): self-maps, cross-level links. */
  final int links;
  /** Table frames mapped as data, at consecutive pages. */
  final int windows;
  /** Chance a table frame ends in read-only RAM. */
  final double readOnlyTables;
  /** Chance a directory entry points at MMIO, a hole or read-only RAM instead of a table. */
  final double oddTables;
  /** A second paging mode the guest also builds address spaces for and switches to. */
  final @Nullable PagingMode secondMode;
  /**
   * Opens by taking more l1 tables out of sync than there are slots; then (unless also
   * cross-format) no CR3 loads, control changes, mode switches or flushes, only accesses and
   * stores into tables, on windows over distinct l1 tables.
   */
  final boolean quiet;
  /** Main mode 4-level, second mode 2-level, and instruction stores aimed at 4-byte entries too. */
  final boolean crossFormat;
  /** CR3 values with low bits set (PAE: PDPTs at 32-byte offsets; others: PWT, PCD, ignored bits). */
  final boolean oddCr3;
  /** Chance a page-table instruction is a block writing an entry's two 32-bit halves (PAE kernels). */
  final double halves;
  /** Per entry bit, the chance a random entry sets it. */
  final double[] bitChance = new double[64];
  /** Chance an access is a user access. */
  final double user;
  /** Device pages each address space maps, as a kernel's ioremap does (see GuestLayout). */
  final int devices;
  final int[] opWeights = new int[OP_KINDS];

  Swarm(Random random, @Nullable PagingMode forced) {
    PagingMode[] modes = {PagingMode.TWO_LEVEL, PagingMode.PAE, PagingMode.FOUR_LEVEL};
    // A long-mode guest that keeps 2-level tables (what a mode switch leaves behind) is the only
    // way 8- and 16-byte instruction stores reach 4-byte entries: give it a share of its own.
    crossFormat = forced == null && random.nextInt(4) == 0;
    mode = crossFormat ? PagingMode.FOUR_LEVEL : forced != null ? forced : modes[random.nextInt(modes.length)];
    maxPhysAddr = MAX_PHYS_ADDRS[random.nextInt(MAX_PHYS_ADDRS.length)];
    spaces = random.nextInt(4) == 0 ? 4 + random.nextInt(5) : 1 + random.nextInt(3);
    // A guest that only stores into its tables and touches memory, for long stretches with
    // nothing that resyncs: enough tables go out of sync at once to fill every slot.
    quiet = random.nextInt(8) == 0;
    mappingsPerSpace = quiet ? 12 : 3 + random.nextInt(spaces > 3 ? 5 : 12);
    cluster = quiet ? 0 : pick(random, 0, 0.3, 0.7, 0.9);
    largePages = pick(random, 0, 0, 0.15, 0.4);
    misalignedLarge = pick(random, 0, 0.2, 0.6);
    reservedBits = pick(random, 0, 0, 0.05, 0.2);
    directoryFlags = pick(random, 0, 0.2, 0.5, 1);
    sharedTables = pick(random, 0, 0, 0.1, 0.3);
    links = random.nextInt(3) == 0 ? 0 : random.nextInt(5);
    windows = quiet ? 6 : 1 + random.nextInt(6);
    readOnlyTables = pick(random, 0, 0, 0.1, 0.3);
    oddTables = pick(random, 0, 0, 0.05, 0.15);
    secondMode = crossFormat ? PagingMode.TWO_LEVEL : random.nextInt(4) == 0 ? other(random, mode, modes) : null;
    oddCr3 = random.nextInt(3) == 0;
    halves = mode == PagingMode.PAE ? pick(random, 0.3, 0.6) : pick(random, 0, 0, 0.1, 0.3);
    user = pick(random, 0, 0.3, 0.6, 0.9);
    for (int bit = 0; bit < 64; bit++) {
      bitChance[bit] = pick(random, 0, 0, 0.05, 0.3, 0.7);
    }
    bitChance[0] = pick(random, 0.6, 0.9, 1);
    bitChance[1] = pick(random, 0.3, 0.7, 1);
    bitChance[2] = pick(random, 0.3, 0.7, 1);
    bitChance[5] = pick(random, 0, 0.5, 1);
    bitChance[6] = pick(random, 0, 0.3, 0.7, 1);
    for (int bit = 12; bit < 52; bit++) {
      bitChance[bit] = 0; // frame bits come from the chosen target, reserved bits on purpose
    }
    bitChance[12] = pick(random, 0, 0.2, 0.5); // PAT of a large page
    bitChance[63] = pick(random, 0, 0.2, 0.5, 0.9);
    if (mode == PagingMode.PAE && random.nextInt(4) != 0) {
      // Bits 62:52 are reserved in a PAE entry (ignored in a 4-level one): drawn at these chances
      // they stop all but one walk in thirteen, and a walk that never reaches its leaf never
      // splinters a large page. Most PAE guests leave them out (reservedBits still sets them).
      for (int bit = 52; bit < 63; bit++) {
        bitChance[bit] = 0;
      }
    }
    int[] weights = {0, 1, 3, 8};
    for (int kind = 0; kind < P2M_CHANGE; kind++) {
      opWeights[kind] = weights[random.nextInt(weights.length)];
    }
    opWeights[ACCESS] += 4;
    opWeights[TABLE_STORE + random.nextInt(2)] += 4;
    if (quiet && !crossFormat) {
      for (int kind : new int[] {LOAD_CR3, CONTROL_BIT, PAGING_TOGGLE, MODE_SWITCH, FLUSH}) {
        opWeights[kind] = 0;
      }
      opWeights[TABLE_STORE] += 8;
    }
    if (mode == PagingMode.PAE) {
      opWeights[TABLE_INSTRUCTION] += 3; // a PAE kernel's entries are written in halves, by instructions
    }
    if (crossFormat) {
      opWeights[MODE_SWITCH] = Math.max(opWeights[MODE_SWITCH], 3); // the 2-level tables are tables only once loaded
      opWeights[TABLE_INSTRUCTION] += 8;
    } else if (secondMode == null && random.nextBoolean()) {
      opWeights[MODE_SWITCH] = 0;
    }
    devices = random.nextBoolean() ? 0 : 1 + random.nextInt(2);
    // P2M changes and log-dirty operations are rare beside the guest's own operations, as on a
    // real host, and each in about half the guests. Decided without a draw of its own, so the
    // other half (and every guest's layout) come out of the same seeds exactly as before the
    // hypervisor's operations existed.
    opWeights[P2M_CHANGE] = (opWeights[INVLPG] + opWeights[FLUSH]) % 2;
    opWeights[LOG_DIRTY] = (opWeights[LOAD_CR3] + opWeights[CONTROL_BIT]) % 2;
  }

  private static PagingMode other(Random random, PagingMode mode, PagingMode[] modes) {
    PagingMode second = modes[random.nextInt(modes.length)];
    return second == mode ? modes[(second.ordinal() + 1) % modes.length] : second;
  }

  static double pick(Random random, double... choices) {
    return choices[random.nextInt(choices.length)];
  }

  /** Random entry bits (frame bits excluded) drawn with this guest's chances. */
  long flags(Random random, boolean eightByte) {
    long flags = 0;
    for (int bit = 0; bit < (eightByte ? 64 : 32); bit++) {
      if (bitChance[bit] > 0 && random.nextDouble() < bitChance[bit]) {
        flags |= 1L << bit;
      }
    }
    return flags;
  }

  /** A kind of operation, drawn by this guest's weights. */
  int opKind(Random random) {
    int total = 0;
    for (int weight : opWeights) {
      total += weight;
    }
    int roll = random.nextInt(total);
    for (int kind = 0; kind < OP_KINDS; kind++) {
      roll -= opWeights[kind];
      if (roll < 0) {
        return kind;
      }
    }
    return ACCESS;
  }
}
