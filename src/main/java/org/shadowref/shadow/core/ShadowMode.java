package org.shadowref.shadow.core;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.Addr;
import org.shadowref.arch.ControlRegisters;
import org.shadowref.arch.PagingMode;
import org.shadowref.mmu.Walker;
import org.shadowref.shadow.entry.ShadowFormat;

/**
 * How guest tables of one paging mode are shadowed: the guest's mode, the mode the hardware walks
 * the shadows in, and the shadow types used at each level. {@link #UNPAGED} is the 1:1 map of the
 * P2M a guest with paging off runs on.
 */
public enum ShadowMode {
  TWO_ON_TWO(PagingMode.TWO_LEVEL, PagingMode.TWO_LEVEL, ShadowFormat.LEGACY_32),
  /** A 32-bit guest on PAE shadows, as Xen runs it: one guest l1 is two shadow l1s. */
  TWO_ON_THREE(PagingMode.TWO_LEVEL, PagingMode.PAE, ShadowFormat.LONG_64),
  THREE_ON_THREE(PagingMode.PAE, PagingMode.PAE, ShadowFormat.LONG_64),
  FOUR_ON_FOUR(PagingMode.FOUR_LEVEL, PagingMode.FOUR_LEVEL, ShadowFormat.LONG_64),
  UNPAGED(null, PagingMode.PAE, ShadowFormat.LONG_64);

  private final @Nullable PagingMode guestMode;
  private final PagingMode hostMode;
  private final ShadowFormat format;

  ShadowMode(@Nullable PagingMode guestMode, PagingMode hostMode, ShadowFormat format) {
    this.guestMode = guestMode;
    this.hostMode = hostMode;
    this.format = format;
  }

  /** The guest's paging mode; {@code TWO_LEVEL} stands in for the unpaged guest's (unused). */
  public PagingMode guestMode() {
    return guestMode == null ? PagingMode.TWO_LEVEL : guestMode;
  }

  public PagingMode hostMode() {
    return hostMode;
  }

  public ShadowFormat format() {
    return format;
  }

  /**
   * The shadow mode a vCPU with {@code regs} runs in: 32-bit guests on PAE shadows, as Xen runs
   * them, unless {@code twoOnTwo}; a guest with paging off on the 1:1 map of the P2M.
   */
  public static ShadowMode of(ControlRegisters regs, boolean twoOnTwo) {
    PagingMode mode = regs.pagingMode();
    if (mode == null) {
      return UNPAGED;
    }
    switch (mode) {
      case TWO_LEVEL:
        return twoOnTwo ? TWO_ON_TWO : TWO_ON_THREE;
      case PAE:
        return THREE_ON_THREE;
      default:
        return FOUR_ON_FOUR;
    }
  }

  /** The key of the top-level shadow a vCPU in this mode with {@code regs} runs on (its CR3's). */
  public ShadowKey topKey(ControlRegisters regs, int maxPhysAddr) {
    if (this == UNPAGED) {
      return new ShadowKey(ShadowType.UNPAGED_L3, Addr.gfn(0), 0, 0);
    }
    long root = Walker.rootTable(guestMode(), regs.cr3(), maxPhysAddr);
    return new ShadowKey(topType(), Addr.gfnOf(Addr.gpa(root)), 0, ShadowKey.flavourOf(regs));
  }

  /**
   * The registers the hardware runs a vCPU in this mode with: {@code cr3} pointing into the shadow
   * root; CR0.WP forced on, so supervisor writes to write-protected page tables trap; SMEP and
   * SMAP as the guest's (with paging on), RFLAGS.AC as the guest's; NXE for 64-bit shadow entries;
   * the hardware paging structure of the mode.
   */
  public ControlRegisters hardwareRegs(ControlRegisters guestRegs, long cr3) {
    long cr0 = ControlRegisters.CR0_PE | ControlRegisters.CR0_PG | ControlRegisters.CR0_WP;
    long cr4 = hostMode == PagingMode.TWO_LEVEL ? 0 : ControlRegisters.CR4_PAE;
    if (guestRegs.pagingEnabled()) {
      cr4 |= guestRegs.cr4() & (ControlRegisters.CR4_SMEP | ControlRegisters.CR4_SMAP);
    }
    long efer = format == ShadowFormat.LONG_64 ? ControlRegisters.EFER_NXE : 0;
    if (hostMode == PagingMode.FOUR_LEVEL) {
      efer |= ControlRegisters.EFER_LME | ControlRegisters.EFER_LMA;
    }
    return new ControlRegisters(cr0, cr3, cr4, efer, guestRegs.rflags());
  }

  /** The shadow type of a guest table at {@code guestLevel}. */
  public ShadowType tableType(int guestLevel) {
    @Nullable ShadowType[] byLevel = Types.TABLES[ordinal()];
    ShadowType type = guestLevel >= 0 && guestLevel < byLevel.length ? byLevel[guestLevel] : null;
    if (type == null) {
      throw new IllegalArgumentException(this + " has no table shadow at level " + guestLevel);
    }
    return type;
  }

  /** The shadow type that splinters a guest large page mapped at {@code guestLevel}. */
  public ShadowType splinterType(int guestLevel) {
    if (this == FOUR_ON_FOUR && guestLevel == 3) {
      return ShadowType.FL2_64;
    }
    for (ShadowType type : Types.ALL) {
      if (type.mode() == this && type.role() == ShadowType.Role.SPLINTER && type.level() == 1) {
        return type;
      }
    }
    throw new IllegalArgumentException(this + " cannot splinter a page at level " + guestLevel);
  }

  /** The type a vCPU's CR3 points at. */
  public ShadowType topType() {
    for (ShadowType type : Types.ALL) {
      if (type.mode() == this && type.isTop()) {
        return type;
      }
    }
    throw new IllegalStateException(this + " has no top-level type");
  }

  /**
   * Every shadow type, read once, and the table types by mode and level: {@code values()} copies
   * its array on every call, and these lookups are on every fault's path. A holder, so it is
   * read after both enums are initialised.
   */
  private static final class Types {
    static final ShadowType[] ALL = ShadowType.values();
    /** {@code TABLES[mode][level]}: the TABLE type of that mode and level, or null. */
    static final @Nullable ShadowType[][] TABLES = tablesByModeAndLevel();

    private static @Nullable ShadowType[][] tablesByModeAndLevel() {
      @Nullable ShadowType[][] tables = new ShadowType[ShadowMode.values().length][PagingMode.FOUR_LEVEL.levels() + 1];
      for (ShadowType type : ALL) {
        if (type.role() == ShadowType.Role.TABLE) {
          tables[type.mode().ordinal()][type.level()] = type;
        }
      }
      return tables;
    }
  }
}
