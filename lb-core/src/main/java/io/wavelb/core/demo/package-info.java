/** The self-contained demo: named echo targets behind a local balancer. */
package io.wavelb.core.demo;
