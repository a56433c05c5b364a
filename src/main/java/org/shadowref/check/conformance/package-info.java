/**
 * Conformance of the native walker to the Intel SDM: the access matrix (every combination of
 * entry flags, access and control bits, in every paging mode) and the independent rule table
 * that says what each combination must do.
 */
package org.shadowref.check.conformance;
