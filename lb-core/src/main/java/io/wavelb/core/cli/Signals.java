package io.wavelb.core.cli;

import java.util.function.Consumer;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT handling. A shutdown hook alone would make the JVM exit with 143 after a
 * SIGTERM; handling the signal lets a graceful stop end with exit 0, which is what systemd and
 * container runtimes read as a clean stop.
 */
final class Signals {

    private Signals() {
    }

    /** SIGHUP: reload, as NGINX and HAProxy operators expect. Runs off the signal thread. */
    static void onHangup(Runnable action) {
        Signal.handle(new Signal("HUP"), s -> Thread.ofPlatform().name("wavelb-reload").start(action));
    }

    /**
     * SIGUSR1: reopen the flow log file, logrotate's convention (as NGINX). HotSpot on Linux keeps
     * SIGUSR2 (thread suspend/resume) and SIGQUIT (thread dumps) for itself and leaves SIGUSR1 to
     * the application; {@code Signal.handle} would refuse a signal the VM uses. The action only
     * sets a flag for the writer thread, so it runs on the signal thread.
     */
    static void onUser1(Runnable action) {
        Signal.handle(new Signal("USR1"), s -> action.run());
    }

    /** SIGTERM and SIGINT, every time they arrive, with the signal's name ({@code TERM}, {@code INT}). */
    static void onTerminate(Consumer<String> action) {
        Signal.handle(new Signal("TERM"), s -> action.accept(s.getName()));
        Signal.handle(new Signal("INT"), s -> action.accept(s.getName()));
    }
}
