package org.shadowref.check.explore;

/** The order in which the explorer visits states. */
public enum Strategy {
  /**
   * Breadth-first: the first violation found has a shortest trace. Levels keep the answers that
   * rebuild their states, not the states (see {@link Explorer}).
   */
  BFS,
  /** Depth-first: keeps only the current path's states, and expands each as it is found (no rebuilding). */
  DFS
}
