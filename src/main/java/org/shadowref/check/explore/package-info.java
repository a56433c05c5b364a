/**
 * Exhaustive exploration of models. A model is a {@link org.shadowref.check.explore.Harness}
 * driven only through {@link org.shadowref.check.explore.Choices}; the {@link
 * org.shadowref.check.explore.Explorer} visits every state it can reach (breadth- or
 * depth-first, matched on a 128-bit {@link org.shadowref.check.explore.Fingerprint}) and rebuilds
 * a trace for each violation; {@link org.shadowref.check.explore.JpfDriver} runs the same harness
 * under Java PathFinder. {@link org.shadowref.check.explore.LockstepHarness} and {@link
 * org.shadowref.check.explore.OpMenu} are the parts of differential models that do not depend on
 * the engine being compared.
 */
package org.shadowref.check.explore;
