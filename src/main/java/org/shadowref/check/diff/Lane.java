package org.shadowref.check.diff;

import org.checkerframework.checker.nullness.qual.Nullable;
import org.shadowref.arch.PagingMode;

/**
 * One configuration a campaign runs: the platforms compared (native first), the paging mode its
 * guests start in (null: every mode), and its share of the campaign's operations.
 */
public record Lane(String name, PlatformSet platforms, @Nullable PagingMode mode, int weight) {
  public Lane {
    if (weight <= 0) {
      throw new IllegalArgumentException("a lane's weight must be positive, got " + weight);
    }
  }
}
