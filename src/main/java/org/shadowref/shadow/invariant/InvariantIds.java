package org.shadowref.shadow.invariant;

/**
 * The names of the shadow-paging invariants. Annotations ({@link Maintains}, {@link Preserves}),
 * predicates ({@code check.invariants}) and proofs/ pages all refer to these ids and nothing else.
 */
public final class InvariantIds {
  /** Any access the shadows let through, the guest's own tables allow too, to the same frame. */
  public static final String NO_AMPLIFY = "INV-NO-AMPLIFY";
  /** Every frame a shadow leaf maps is guest RAM in the P2M. */
  public static final String ISOLATION = "INV-ISOLATION";
  /** No shadowed guest page-table frame is writable through any shadow leaf. */
  public static final String WRITE_PROTECT = "INV-WRITE-PROTECT";
  /** Every present shadow entry equals the propagation of the current guest entry. */
  public static final String COHERENT = "INV-COHERENT";
  /** Shadows are indexed by (guest frame, type), point at shadows of the right type, refcounts exact. */
  public static final String SHADOW_STRUCTURE = "INV-SHADOW-STRUCTURE";

  /** A magic shadow entry can never equal an entry propagated from a guest entry, and says what the guest has. */
  public static final String MAGIC = "INV-MAGIC";

  /** Only l1 shadows of tables shadowed at no other level are ever out of sync, and no more than a few. */
  public static final String OUT_OF_SYNC = "INV-OOS";

  /**
   * No shadow entry or magic marker maps a guest frame otherwise than its current P2M entry does:
   * after the hypervisor changes an entry, nothing still follows the old one.
   */
  public static final String P2M_COHERENT = "INV-P2M-COHERENT";

  /** While log-dirty mode is on, every guest frame changed since the last clean is in the dirty log. */
  public static final String LOG_DIRTY = "INV-LOG-DIRTY";

  private static final String[] ALL = {
    NO_AMPLIFY, ISOLATION, WRITE_PROTECT, COHERENT, SHADOW_STRUCTURE, MAGIC, OUT_OF_SYNC, P2M_COHERENT, LOG_DIRTY
  };

  private InvariantIds() {}

  /** Every id, in catalogue order. */
  public static String[] all() {
    return ALL.clone();
  }

  public static boolean exists(String id) {
    for (String known : ALL) {
      if (known.equals(id)) {
        return true;
      }
    }
    return false;
  }
}
