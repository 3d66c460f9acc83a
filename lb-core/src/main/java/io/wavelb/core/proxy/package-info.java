/** PROXY protocol v1/v2 header building. Pure: no Netty. */
package io.wavelb.core.proxy;
