package org.shadowref.check.explore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** How often each coverage label was reported, in the order the harness declared them. */
public final class Coverage {
  private final Map<String, long[]> counts = new HashMap<>();
  private final List<String> order = new ArrayList<>();

  Coverage(String[] declared) {
    for (String label : declared) {
      counter(label);
    }
  }

  void hit(String label) {
    long[] count = counts.get(label);
    if (count == null) {
      count = counter(label);
    }
    count[0]++;
  }

  /** Adds {@code other}'s counts (another thread's share of one search) to these. */
  void add(Coverage other) {
    for (String label : other.order) {
      counter(label)[0] += other.count(label);
    }
  }

  private long[] counter(String label) {
    long[] count = counts.get(label);
    if (count == null) {
      count = new long[1];
      counts.put(label, count);
      order.add(label);
    }
    return count;
  }

  /** Labels: the declared ones first, then any others in the order first reported. */
  public List<String> labels() {
    return new ArrayList<>(order);
  }

  public long count(String label) {
    long[] count = counts.get(label);
    return count == null ? 0 : count[0];
  }

  public int reached() {
    int reached = 0;
    for (String label : order) {
      if (count(label) > 0) {
        reached++;
      }
    }
    return reached;
  }

  /** Labels never reported. */
  public List<String> missed() {
    List<String> missed = new ArrayList<>();
    for (String label : order) {
      if (count(label) == 0) {
        missed.add(label);
      }
    }
    return missed;
  }
}
