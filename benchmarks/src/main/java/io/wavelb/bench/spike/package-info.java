/**
 * Spikes: throw-away prototypes that measure what a design could reach before the product is
 * changed, run by {@code benchmarks/e2e/run.sh} beside the real candidates. Not product code.
 * {@link io.wavelb.bench.spike.BareTcpRelay}: new TCP connections through a relay on bare
 * descriptors registered with Netty's epoll loop (results: {@code benchmarks/e2e/results/2026-12-05-tcp-spike.md}).
 */
package io.wavelb.bench.spike;
