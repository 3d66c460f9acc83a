/**
 * Active health checks (TCP, HTTP, UDP send/expect probes on the event loops) and their wiring to
 * target groups, metrics and passive outlier detection. Decisions live in {@code health.state}.
 */
package io.wavelb.core.health;
