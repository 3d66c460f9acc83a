/** The {@code wavelb-agent} command line. */
package io.wavelb.agent.cli;
