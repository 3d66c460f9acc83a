package io.wavelb.core.systemd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sockets systemd passed this process, read from the environment as sd_listen_fds(3) and
 * sd_listen_fds_with_names(3) do: descriptors {@link #FIRST_FD} … {@code 3 + LISTEN_FDS - 1},
 * named by the colon-separated {@code LISTEN_FDNAMES}. Only numbers and names: what each
 * descriptor is, is asked of the kernel elsewhere.
 *
 * @param sockets in descriptor order; empty when nothing was passed to this process
 */
public record ListenFds(List<Passed> sockets) {

    /** {@code SD_LISTEN_FDS_START}: 0–2 are stdin, stdout, stderr. */
    public static final int FIRST_FD = 3;

    /** The name sd_listen_fds_with_names(3) gives every descriptor when {@code LISTEN_FDNAMES} is not set. */
    public static final String UNKNOWN = "unknown";

    /** One passed descriptor and its {@code FileDescriptorName=} ({@link #UNKNOWN} when systemd gave none). */
    public record Passed(int fd, String name) {
    }

    public ListenFds {
        sockets = List.copyOf(sockets);
    }

    public static ListenFds none() {
        return new ListenFds(List.of());
    }

    /**
     * Reads {@code LISTEN_PID}, {@code LISTEN_FDS} and {@code LISTEN_FDNAMES}. As sd_listen_fds(3):
     * nothing was passed when {@code LISTEN_PID} or {@code LISTEN_FDS} is unset, or when
     * {@code LISTEN_PID} names another process (the variables were inherited from a parent that
     * was the one activated, and the descriptors are not meant for us).
     *
     * @throws IllegalArgumentException when a variable is malformed, or {@code LISTEN_FDNAMES} names
     *                                  a different number of descriptors than {@code LISTEN_FDS} counts
     */
    public static ListenFds parse(Map<String, String> env, long ownPid) {
        String pid = env.get("LISTEN_PID");
        String count = env.get("LISTEN_FDS");
        if (pid == null || count == null) {
            return none();
        }
        if (parse("LISTEN_PID", pid) != ownPid) {
            return none();
        }
        long n = parse("LISTEN_FDS", count);
        if (n == 0) {
            return none();
        }
        if (n > Integer.MAX_VALUE - FIRST_FD) {
            throw new IllegalArgumentException("LISTEN_FDS=" + count + " is not a descriptor count");
        }
        String names = env.get("LISTEN_FDNAMES");
        List<String> split = names == null ? null : List.of(names.split(":", -1));
        if (split != null && split.size() != n) {
            throw new IllegalArgumentException("LISTEN_FDNAMES=" + names + " names " + split.size()
                    + " descriptor(s) but LISTEN_FDS=" + count + " passes " + n);
        }
        List<Passed> passed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            passed.add(new Passed(FIRST_FD + i, split == null ? UNKNOWN : split.get(i)));
        }
        return new ListenFds(passed);
    }

    private static long parse(String variable, String value) {
        try {
            long v = Long.parseLong(value.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(variable + "=" + value + " is not a non-negative number");
    }
}
