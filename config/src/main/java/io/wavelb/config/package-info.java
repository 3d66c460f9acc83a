/**
 * The wavelb configuration: the model records ({@link io.wavelb.config.WavelbConfig} and its parts),
 * safe YAML loading and validation.
 *
 * <p>Data enters as a file or a string through {@link io.wavelb.config.ConfigLoader} and leaves as
 * an immutable {@code WavelbConfig}, or as a {@link io.wavelb.config.ConfigException} carrying every
 * {@link io.wavelb.config.Problem} found, each located at {@code file:line:column} with its YAML path.
 * YAML is only composed into a node tree, never constructed into objects, so a hostile file can cost
 * a bounded amount of work and nothing more.
 *
 * <p>This package imports neither Netty nor AWS; both the data plane and the agent depend on it.
 */
package io.wavelb.config;
