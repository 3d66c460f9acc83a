package io.wavelb.core.health.state;

/**
 * A target's active health. {@code UNKNOWN} (not checked yet) is treated as eligible for traffic,
 * so a restart neither blackholes every target nor throws the group into fail-open.
 */
public enum HealthStatus { UNKNOWN, HEALTHY, UNHEALTHY }
