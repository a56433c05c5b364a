/** The command line: picocli commands, each ending with one {@code COMMAND: key=value} line. */
package org.shadowref.cli;
