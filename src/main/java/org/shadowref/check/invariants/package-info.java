/**
 * The invariant predicates: one class per id of {@link
 * org.shadowref.shadow.invariant.InvariantIds}, each judging a read-only {@link
 * org.shadowref.shadow.invariant.ShadowView} of the whole machine; {@link
 * org.shadowref.check.invariants.InvariantRegistry} maps ids to them.
 */
package org.shadowref.check.invariants;
