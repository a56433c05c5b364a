/**
 * The explorable models: one harness per {@code models/NAME.jpf} file. Each implements {@link
 * org.shadowref.check.explore.Harness}, has a public constructor taking {@link
 * org.shadowref.check.explore.ModelArgs}, and a {@code main} so that {@code jpf models/NAME.jpf}
 * runs it under Java PathFinder. This package sits above {@code check}: models drive the
 * platforms and use the explorer's choice interface; nothing below depends on them, and the CLI
 * finds them by class name.
 */
package org.shadowref.models;
