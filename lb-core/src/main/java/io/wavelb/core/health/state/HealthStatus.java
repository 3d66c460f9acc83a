package io.wavelb.core.health.state;

/**
 * A target's active health: the one type for it, from the state machine's transitions through
 * the checker's report to the target the data plane reads ({@code Target.health()}). {@code UNKNOWN}
 * (not checked yet, or no check configured) is treated as eligible for traffic, so a restart neither
 * blackholes every target nor throws the group into fail-open.
 */
public enum HealthStatus { UNKNOWN, HEALTHY, UNHEALTHY }
