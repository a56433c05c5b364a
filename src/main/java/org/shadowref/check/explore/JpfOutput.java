package org.shadowref.check.explore;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a run of a model under Java PathFinder showed, read from its console output: the counts
 * {@link JpfDriver} printed (steps completed, declared labels reached, across every path) and
 * JPF's own verdict ({@code no errors detected}, or {@code error #N}). The verdict is JPF's only
 * when the counts say the search checked something: no step completed is vacuous, and a declared
 * label never reached means the search checked less than the model claims.
 */
public final class JpfOutput {
  /** The verdict on one run. */
  public enum Verdict {
    /** Steps completed, every label reached, and JPF found no error. */
    HELD,
    /** JPF reported an error (a violated property, an exception in the model). */
    ERROR,
    /** The driver never printed a count, or counted no completed step: JPF checked nothing. */
    VACUOUS,
    /** Steps completed but some declared labels were never reached. */
    UNREACHED,
    /** JPF stopped without saying whether it found errors (killed, out of memory, a JPF failure). */
    UNFINISHED
  }

  private long steps;
  private int labelsReached;
  private int labelsDeclared = -1;
  private final Set<String> reached = new LinkedHashSet<>();
  private final List<String> errors = new ArrayList<>();
  private boolean noErrors;
  private long jpfStates = -1;
  private long endStates = -1;
  private long seconds = -1;

  /** Reads one line of JPF's output. */
  public void accept(String line) {
    String text = line.strip();
    if (text.startsWith(JpfDriver.MARK)) {
      String rest = text.substring(JpfDriver.MARK.length()).strip();
      if (rest.startsWith("reached ")) {
        reached.add(rest.substring("reached ".length()));
      } else {
        for (String field : rest.split(" ")) {
          if (field.startsWith("steps=")) {
            steps = Math.max(steps, parseLong(field.substring("steps=".length())));
          } else if (field.startsWith("labels=") && field.contains("/")) {
            String[] parts = field.substring("labels=".length()).split("/");
            labelsReached = Math.max(labelsReached, (int) parseLong(parts[0]));
            labelsDeclared = (int) parseLong(parts[1]);
          }
        }
      }
    } else if (text.startsWith("states:")) {
      // JPF's statistics: "states: new=N,visited=V,backtracked=B,end=E".
      for (String field : text.substring("states:".length()).strip().split(",")) {
        if (field.startsWith("new=")) {
          jpfStates = parseLong(field.substring("new=".length()));
        } else if (field.startsWith("end=")) {
          endStates = parseLong(field.substring("end=".length()));
        }
      }
    } else if (text.startsWith("elapsed time:")) {
      String[] hms = text.substring("elapsed time:".length()).strip().split(":");
      if (hms.length == 3) {
        seconds = parseLong(hms[0]) * 3600 + parseLong(hms[1]) * 60 + parseLong(hms[2]);
      }
    } else if (text.equals("no errors detected")) {
      noErrors = true;
    } else if (text.startsWith("error #")) {
      errors.add(text);
    }
  }

  private static long parseLong(String digits) {
    try {
      return Long.parseLong(digits.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** JPF's count of new states (its statistics), -1 when it printed none. */
  public long jpfStates() {
    return jpfStates;
  }

  /** JPF's end states: the paths it completed to their end, -1 when it printed none. */
  public long endStates() {
    return endStates;
  }

  /** JPF's elapsed time in seconds, -1 when it printed none. */
  public long seconds() {
    return seconds;
  }

  public long steps() {
    return steps;
  }

  /** Declared labels reached; {@code labelsDeclared()} is -1 when the driver printed no count. */
  public int labelsReached() {
    return labelsReached;
  }

  public int labelsDeclared() {
    return labelsDeclared;
  }

  /** The labels the driver reported reaching, in the order first reached. */
  public Set<String> reached() {
    return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(reached));
  }

  /** JPF's {@code error #N: PROPERTY DETAIL} lines. */
  public List<String> errors() {
    return List.copyOf(errors);
  }

  /** The verdict: an error wins; then vacuity; then unreached labels; then JPF's "no errors". */
  public Verdict verdict() {
    if (!errors.isEmpty()) {
      return Verdict.ERROR;
    }
    if (steps == 0 || labelsDeclared < 0) {
      return Verdict.VACUOUS;
    }
    if (labelsReached < labelsDeclared) {
      return Verdict.UNREACHED;
    }
    return noErrors ? Verdict.HELD : Verdict.UNFINISHED;
  }
}
