package io.wavelb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Active health check of a target group (NLB's vocabulary).
 *
 * @param protocol           how to probe
 * @param port               port to probe; 0 means each target's traffic port
 * @param send               udp: the datagram to send
 * @param expect             udp: the reply must start with these bytes (empty: any reply)
 * @param path               http: the request path
 * @param httpStatus         http: the accepted status codes
 * @param interval           time between probes of one target
 * @param timeout            how long one probe may take; less than {@code interval}
 * @param healthyThreshold   consecutive successes that make an unhealthy target healthy
 * @param unhealthyThreshold consecutive failures that make a healthy target unhealthy
 */
public record HealthCheckConfig(HealthProtocol protocol, int port, Payload send, Payload expect, String path,
                                StatusRange httpStatus, Duration interval, Duration timeout,
                                int healthyThreshold, int unhealthyThreshold) {

    public enum HealthProtocol {
        TCP, HTTP, UDP;

        public String yamlName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Inclusive range of HTTP status codes, {@code 200} or {@code 200-399} in YAML. */
    public record StatusRange(int min, int max) {
        public static final StatusRange DEFAULT = new StatusRange(200, 399);

        public StatusRange {
            if (min < 100 || max > 599 || min > max) {
                throw new IllegalArgumentException("status range " + min + "-" + max + " (expected 100..599, min <= max)");
            }
        }

        public boolean contains(int status) {
            return status >= min && status <= max;
        }

        @Override
        public String toString() {
            return min == max ? Integer.toString(min) : min + "-" + max;
        }
    }

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_HEALTHY_THRESHOLD = 3;
    public static final int DEFAULT_UNHEALTHY_THRESHOLD = 3;
    public static final String DEFAULT_PATH = "/";

    public HealthCheckConfig {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(send, "send");
        Objects.requireNonNull(expect, "expect");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(httpStatus, "httpStatus");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
    }

    /** A check of {@code protocol} with every other setting at its default. */
    public static HealthCheckConfig defaults(HealthProtocol protocol) {
        return new HealthCheckConfig(protocol, 0, Payload.EMPTY, Payload.EMPTY, DEFAULT_PATH, StatusRange.DEFAULT,
                DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_HEALTHY_THRESHOLD, DEFAULT_UNHEALTHY_THRESHOLD);
    }
}
