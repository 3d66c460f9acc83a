/**
 * JMH benchmarks of the new-flow path: Maglev table build and lookup, flow hashing. Run them from the
 * shaded {@code benchmarks/target/benchmarks.jar}; see {@code benchmarks/README.md}.
 */
package io.wavelb.bench;
