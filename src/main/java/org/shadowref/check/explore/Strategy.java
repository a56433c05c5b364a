package org.shadowref.check.explore;

/** The order in which the explorer visits states. */
public enum Strategy {
  /** Breadth-first: the first violation found has a shortest trace. */
  BFS,
  /** Depth-first: keeps only the current path's states, so it needs far less memory. */
  DFS
}
