package org.shadowref.shadow.entry;

/** The entry format of a shadow table: what the real MMU walks. */
public enum ShadowFormat {
  /** 32-bit entries, 2-level shadows (2-on-2): no NX, frames below 4 GiB. */
  LEGACY_32,
  /** 64-bit entries: PAE shadows (2-on-3, 3-on-3) and 4-level shadows (4-on-4). */
  LONG_64
}
