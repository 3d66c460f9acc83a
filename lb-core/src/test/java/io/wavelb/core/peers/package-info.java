/**
 * Real-peer tests: off-the-shelf programs (iperf3, sockperf, srt-live-transmit, coturn) on both
 * sides of an in-process balancer on loopback. They prove wavelb carries what real clients and
 * servers of each protocol send, not only what our own test clients send. Tagged {@code peers};
 * the tools come from Debian packages that {@code .ci/run} installs, and a missing tool fails the
 * test with the package to install.
 */
package io.wavelb.core.peers;
