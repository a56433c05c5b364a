package org.shadowref.bench;

import org.checkerframework.checker.nullness.qual.Nullable;

/** The guest behaviours the benchmarks time, each a storm of one kind of shadow fault. */
public enum WorkloadKind {
  /** First touches of every page of a large mapped region: one demand fault per page. */
  DEMAND("demand", "demand-fault storm: first touch of every page of a large region"),
  /** A kernel rewriting the PTEs of a live page table with MOV stores, as fork and COW do. */
  WRITE("write", "page-table write storm: MOV stores to a shadowed l1, each followed by INVLPG and an access"),
  /** CR3 loads across many address spaces, a few accesses after each. */
  SWITCH("switch", "context-switch storm: CR3 loads across many address spaces, four accesses after each"),
  /** All of the above, interleaved at random. */
  MIXED("mixed", "accesses, PTE stores (with INVLPG) and CR3 loads at random over 8 address spaces");

  private final String cliName;
  private final String description;

  WorkloadKind(String cliName, String description) {
    this.cliName = cliName;
    this.description = description;
  }

  public String cliName() {
    return cliName;
  }

  public String description() {
    return description;
  }

  public static @Nullable WorkloadKind fromCliName(String name) {
    for (WorkloadKind kind : values()) {
      if (kind.cliName.equals(name)) {
        return kind;
      }
    }
    return null;
  }
}
