/** JMH benchmarks: what each layer costs, and what the optimized engine's techniques buy. */
package org.shadowref.bench;
