/** Prometheus metrics (Micrometer): JVM and Netty binders plus wavelb's own meters, read at scrape time. */
package io.wavelb.core.metrics;
