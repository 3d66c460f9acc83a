package io.wavelb.core.transparent;

/** An address family as {@code ip} spells it: {@code ip -4 ...} / {@code ip -6 ...}. */
public enum IpFamily {
    IPV4("IPv4", "-4", "0.0.0.0/0"),
    IPV6("IPv6", "-6", "::/0");

    public final String label;
    public final String ipFlag;
    /** Every address of the family, as a route prefix. */
    public final String everything;

    IpFamily(String label, String ipFlag, String everything) {
        this.label = label;
        this.ipFlag = ipFlag;
        this.everything = everything;
    }
}
