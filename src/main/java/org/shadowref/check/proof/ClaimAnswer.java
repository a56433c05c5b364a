package org.shadowref.check.proof;

/** Z3's answer for one claim; {@code counterexample} is empty unless it was refuted. */
public record ClaimAnswer(String claim, Status status, long millis, String counterexample) {}
