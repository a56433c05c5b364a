/** Generators of guests and operation sequences for differential testing (usable outside JUnit). */
package org.shadowref.check.gen;
