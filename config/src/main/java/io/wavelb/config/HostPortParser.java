package io.wavelb.config;

/** Parses {@code host:port} and {@code [v6]:port}; messages are written for the person who typed it. */
final class HostPortParser {

    private HostPortParser() {
    }

    static HostPort parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty address (expected host:port)");
        }
        String host;
        String portText;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + text + "': missing ']' after IPv6 address");
            }
            host = text.substring(1, close);
            if (host.isEmpty() || host.indexOf(':') < 0) {
                throw new IllegalArgumentException("'" + text + "': '[...]' must hold an IPv6 address");
            }
            if (close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "': missing ':port' after ']'");
            }
            portText = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + text + "': missing port (expected host:port)");
            }
            host = text.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("'" + text + "': IPv6 addresses need brackets, as in [::1]:7000");
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "': missing host (use 0.0.0.0 for every address)");
            }
            portText = text.substring(colon + 1);
        }
        int port = parsePort(text, portText);
        return new HostPort(host, port);
    }

    private static int parsePort(String text, String portText) {
        if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("'" + text + "': port '" + portText + "' is not a number (expected 1..65535)");
        }
        int port = Integer.parseInt(portText);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'" + text + "': port " + port + " (expected 1..65535)");
        }
        return port;
    }
}
