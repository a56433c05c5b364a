package org.shadowref.shadow;

/**
 * What an engine does inside that no observer outside it can see: prefetches, resyncs of
 * out-of-sync tables, unshadowing and shadow-pool reclaims. Input-space coverage listens; the engine's
 * behaviour does not depend on whether anyone does. Every method defaults to nothing.
 */
public interface ShadowEvents {
  /** Listens to nothing. */
  ShadowEvents NONE = new ShadowEvents() {};

  /** Why an out-of-sync table is brought back in sync from inside a fault. */
  enum ResyncCause {
    /** Every out-of-sync slot was taken and another table went out of sync. */
    SLOT_FULL,
    /** A new shadow path came to reach the table. */
    NEW_PATH,
    /** The table is about to be shadowed at a higher level or as another kind. */
    PROMOTED
  }

  /** Why a shadowed guest table stops being shadowed ({@code sh_remove_shadows} from a fault). */
  enum UnshadowCause {
    /** A user-mode store hit it: kernels do not let user code write their page tables. */
    USER_WRITE,
    /** A store during event delivery hit it (the exception frame landed on a table). */
    EVENT_DELIVERY,
    /** A supervisor store hit it that the emulator could not carry out. */
    UNHANDLEABLE_INSTRUCTION
  }

  /**
   * A demand fault at entry {@code index} of an l1 shadow of {@code entries} entries prefetches
   * entries {@code index + 1} to {@code last}; {@code splinter} when it splinters a large page.
   */
  default void prefetching(int index, int last, int entries, boolean splinter) {}

  /** Prefetch propagated guest l1e {@code guestEntry}. */
  default void prefetched(long guestEntry) {}

  /** The next resync (from inside a fault) happens for {@code cause}. */
  default void resyncing(ResyncCause cause) {}

  /**
   * An out-of-sync table is brought back in sync: {@code snapshot} holds its words when it went
   * out of sync, {@code now} its words now (8-byte words; neither may be kept or changed).
   */
  default void resynced(long[] snapshot, long[] now) {}

  /** The guest table a fault's store hit is about to be unshadowed, for {@code cause}. */
  default void unshadowing(UnshadowCause cause) {}

  /**
   * The pool ran short of {@code frames} free frames: pinned tops were let go ({@code dropAll}
   * false) or every shadow below the tops was dropped ({@code dropAll} true).
   */
  default void poolReclaimed(int frames, boolean dropAll) {}
}
