/**
 * The project's trace file: a guest ({@link org.shadowref.check.trace.GuestSnapshot}) and the guest
 * operations run on it, with their expected results and, for explored counterexamples, where they
 * came from. {@link org.shadowref.check.trace.TraceWriter} documents the JSON format; {@link
 * org.shadowref.check.trace.TraceReader} rejects anything else with the file, line, column and
 * field.
 */
package org.shadowref.check.trace;
