package org.shadowref.shadow.reference;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;
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

  /** The shadow type of a guest table at {@code guestLevel}. */
  public ShadowType tableType(int guestLevel) {
    for (ShadowType type : Types.ALL) {
      if (type.mode() == this && type.role() == ShadowType.Role.TABLE && type.level() == guestLevel) {
        return type;
      }
    }
    throw new IllegalArgumentException(this + " has no table shadow at level " + guestLevel);
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
   * Every shadow type, read once: {@code values()} copies its array on every call, and these
   * lookups are on every fault's path. A holder, so it is read after both enums are initialised.
   */
  private static final class Types {
    static final ShadowType[] ALL = ShadowType.values();
  }
}
