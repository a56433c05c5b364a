package org.shadowref.check.explore;

/**
 * The only source of nondeterminism a model may use. Under the project's explorer every value in
 * range is tried in turn; under Java PathFinder the same calls become JPF choice points. A model
 * that also read the clock, a random number or a hash-ordered collection would not be explored
 * exhaustively, so it must not.
 */
public interface Choices {
  /** One value of {@code lowInclusive..highInclusive}; every value is explored. */
  int chooseInt(int lowInclusive, int highInclusive);

  /** False or true; both are explored. */
  boolean chooseBoolean();
}
