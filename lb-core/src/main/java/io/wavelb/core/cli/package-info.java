/** The {@code wavelb} command line: run, check-config, demo. */
package io.wavelb.core.cli;
