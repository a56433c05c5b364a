package org.shadowref.arch;

/**
 * One memory access as the MMU sees it: read, write or fetch, at user or supervisor privilege.
 * Supervisor accesses are explicit (CPL &lt; 3); implicit supervisor accesses are not modelled.
 */
public record Access(AccessKind kind, boolean user) {
  public static final Access SUPERVISOR_READ = new Access(AccessKind.READ, false);
  public static final Access SUPERVISOR_WRITE = new Access(AccessKind.WRITE, false);
  public static final Access SUPERVISOR_FETCH = new Access(AccessKind.FETCH, false);
  public static final Access USER_READ = new Access(AccessKind.READ, true);
  public static final Access USER_WRITE = new Access(AccessKind.WRITE, true);
  public static final Access USER_FETCH = new Access(AccessKind.FETCH, true);

  public boolean isWrite() {
    return kind == AccessKind.WRITE;
  }

  public boolean isFetch() {
    return kind == AccessKind.FETCH;
  }

  /** The shared constant for {@code kind} and {@code user}: accesses are on every walk's path. */
  public static Access of(AccessKind kind, boolean user) {
    switch (kind) {
      case WRITE:
        return user ? USER_WRITE : SUPERVISOR_WRITE;
      case FETCH:
        return user ? USER_FETCH : SUPERVISOR_FETCH;
      default:
        return user ? USER_READ : SUPERVISOR_READ;
    }
  }

  @Override
  public String toString() {
    return (user ? "user-" : "supervisor-") + kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
