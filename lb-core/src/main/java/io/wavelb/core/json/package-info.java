/** A small strict JSON reader and writer for the admin API. Pure: no Netty. */
package io.wavelb.core.json;
