package io.wavelb.core.cli;

import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT handling. A shutdown hook alone would make the JVM exit with 143 after a
 * SIGTERM; handling the signal lets a graceful stop end with exit 0, which is what systemd and
 * container runtimes read as a clean stop. Each method returns what puts the handlers it replaced
 * back (a start that fails after installing them leaves the JVM as it found it).
 */
final class Signals {

    private Signals() {
    }

    /**
     * SIGHUP: reload, as NGINX and HAProxy operators expect. Runs off the signal thread. A process
     * started with SIGHUP ignored ({@code nohup}, some supervisors) keeps ignoring it: the JVM will
     * not install a handler for a signal ignored at its start. That is said once, at start, with the
     * way to reload that still works; silence would look like a reload that did nothing.
     */
    static Runnable onHangup(Runnable action) {
        Runnable restore = handle("HUP", s -> Thread.ofPlatform().name("wavelb-reload").start(action));
        if (ignored(SIGHUP)) {
            System.getLogger("wavelb").log(System.Logger.Level.WARNING, "SIGHUP is ignored in this process (started"
                    + " under nohup, or by a parent that ignores it): reloads come only through POST /v1/reload");
        }
        return restore;
    }

    private static final int SIGHUP = 1;

    /** Whether {@code signal} is ignored in this process: its bit in {@code /proc/self/status}'s SigIgn mask. */
    static boolean ignored(int signal) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) >>> (signal - 1) & 1) != 0;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux, or no /proc: nothing to say.
        }
        return false;
    }

    /**
     * SIGUSR1: reopen the flow log file, logrotate's convention (as NGINX). HotSpot on Linux keeps
     * SIGUSR2 (thread suspend/resume) and SIGQUIT (thread dumps) for itself and leaves SIGUSR1 to
     * the application; {@code Signal.handle} would refuse a signal the VM uses. The action only
     * sets a flag for the writer thread, so it runs on the signal thread.
     */
    static Runnable onUser1(Runnable action) {
        return handle("USR1", s -> action.run());
    }

    /** SIGTERM and SIGINT, every time they arrive, with the signal's name ({@code TERM}, {@code INT}). */
    static Runnable onTerminate(Consumer<String> action) {
        Runnable term = handle("TERM", s -> action.accept(s.getName()));
        Runnable interrupt = handle("INT", s -> action.accept(s.getName()));
        return () -> {
            interrupt.run();
            term.run();
        };
    }

    private static Runnable handle(String name, SignalHandler handler) {
        Signal signal = new Signal(name);
        SignalHandler before = Signal.handle(signal, handler);
        return () -> Signal.handle(signal, before);
    }
}
