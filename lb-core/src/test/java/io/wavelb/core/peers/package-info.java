/**
 * Real-peer tests: off-the-shelf programs and libraries (iperf3, sockperf, srt-live-transmit,
 * coturn, ice4j) on both sides of a balancer. They prove wavelb carries what real clients and
 * servers of each protocol send, not only what our own test clients send. Tagged {@code peers};
 * the programs come from Debian packages that {@code .ci/run} installs, and a missing program fails
 * the test with the package to install.
 */
package io.wavelb.core.peers;
