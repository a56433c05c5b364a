/**
 * The invariant vocabulary shadow code is annotated with: ids, {@link
 * org.shadowref.shadow.invariant.Maintains}, {@link org.shadowref.shadow.invariant.Preserves}, and
 * the read-only view of an engine the predicates in {@code check.invariants} judge.
 */
package org.shadowref.shadow.invariant;
