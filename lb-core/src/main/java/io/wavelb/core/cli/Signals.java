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

    /** SIGHUP: reload, as NGINX and HAProxy operators expect. Runs off the signal thread. */
    static Runnable onHangup(Runnable action) {
        return handle("HUP", s -> Thread.ofPlatform().name("wavelb-reload").start(action));
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
