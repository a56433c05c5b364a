package org.shadowref.shadow.invariant;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On an operation of an engine: the invariants (ids from {@link InvariantIds}) it re-establishes
 * before it returns, given that they held when it was called.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Preserves {
  String[] value();
}
