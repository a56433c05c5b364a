package gov.nasa.jpf.vm;

/**
 * A stand-in for Java PathFinder's {@code Verify}, with the same signatures, so that the bridge
 * and the JPF driver can be tested without JPF: it claims to be running inside JPF and answers
 * every choice with the highest value allowed (one path of the tree JPF would explore).
 */
public final class Verify {
  public static int choicesMade;
  public static int pathsIgnored;

  private Verify() {}

  public static boolean isRunningInJPF() {
    return true;
  }

  public static int getInt(int min, int max) {
    choicesMade++;
    return max;
  }

  public static boolean getBoolean() {
    choicesMade++;
    return true;
  }

  /** JPF keeps these in its native peer, so they survive backtracking; here, a plain array. */
  private static int[] counters = new int[0];

  public static int getCounter(int id) {
    return id < counters.length ? counters[id] : 0;
  }

  public static int incrementCounter(int id) {
    if (id >= counters.length) {
      counters = java.util.Arrays.copyOf(counters, id + 1);
    }
    return ++counters[id];
  }

  public static void setCounter(int id, int value) {
    if (id >= counters.length) {
      counters = java.util.Arrays.copyOf(counters, id + 1);
    }
    counters[id] = value;
  }

  public static void ignoreIf(boolean condition) {
    if (condition) {
      pathsIgnored++;
    }
  }
}
