package org.shadowref.mmu;

/** Why a walk stopped without a translation. */
public enum FaultKind {
  NONE,
  /** An entry on the way had P=0. */
  NOT_PRESENT,
  /** A present entry had a reserved bit set. */
  RESERVED_BIT,
  /** The walk completed but the combined rights forbid the access. */
  PROTECTION
}
