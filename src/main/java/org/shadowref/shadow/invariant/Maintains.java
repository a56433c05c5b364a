package org.shadowref.shadow.invariant;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On an engine's state class: the invariants (ids from {@link InvariantIds}) that hold between any
 * two operations. Tests, the explorer and the proofs catalogue read it by reflection.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Maintains {
  String[] value();
}
