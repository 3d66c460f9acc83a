package io.wavelb.core.cli;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.ConfigCheck;
import io.wavelb.config.ConfigException;
import io.wavelb.config.ConfigLoader;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.HostProbe;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.Wavelb;
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.demo.EchoTargets;
import io.wavelb.core.listener.Bind;
import io.wavelb.core.listener.InheritedSockets;
import io.wavelb.core.listener.Listener;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.systemd.SdNotify;
import io.wavelb.core.systemd.SocketActivation;
import io.wavelb.core.takeover.ControlServer;
import io.wavelb.core.takeover.TakeoverStats;
import io.wavelb.core.target.Target;
import io.wavelb.core.transparent.Finding;
import io.wavelb.core.transparent.HostCheck;
import io.wavelb.core.transparent.IpFamily;
import io.wavelb.core.transparent.TransparentNeeds;
import io.wavelb.core.transport.Transport;
import io.wavelb.core.udp.UdpListener;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.stream.Collectors;

/**
 * The {@code wavelb} command. Exit codes: 0 success, 1 runtime failure (cannot bind, cannot
 * resolve), 2 bad usage or invalid config.
 */
public final class Main {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private static final String USAGE_TEXT = """
            Usage: wavelb <command> [options]

            Commands:
              run --config FILE         start the balancer with FILE; SIGTERM/SIGINT stop it gracefully
                                        (a second SIGTERM/SIGINT skips the rest of the grace period)
              run --config FILE --takeover
                                        take the listener sockets and live UDP sessions over from the
                                        wavelb running with the same runtime.state_dir; it exits once
                                        its open TCP connections end
              upgrade --config FILE     the wavelb running FILE starts a new process from the installed
                                        launcher, which takes over as above; exits 0 once it did
              check-config FILE...      validate config files (and that they fit this JVM's heap); print every problem as
                                        file:line:column: path: message (exit 0 valid, 2 invalid)
              check-host --config FILE  whether this host can serve FILE's transparent listeners: the
                                        capability, the transport, reply routing per family, with the
                                        exact ip rule / ip route / nft lines to add (exit 0 ready, 1 not)
              warm-up [--seconds N]     run the start-up warm-up (runtime.warm_up) for at most N seconds
                                        (default 10), print what it did, exit (a training run for a JDK
                                        AOT cache: benchmarks/README.md, "Cold start")
              demo [--listen HOST:PORT] start three named echo targets and a balancer in front of them
                                        (default 127.0.0.1:7000, TCP and UDP) and show flows per target
              quic-cid --config FILE --listener NAME decode CID_HEX
                                        where the balancer sends a QUIC connection ID, and why
              quic-cid --config FILE --listener NAME mint --server-id HEX [--count N]
                                        connection IDs a target with that server ID would issue
              --help                    this text
              --version                 the version

            Environment: JAVA_OPTS adds JVM flags (bin/wavelb); WAVELB_LOG_LEVEL = debug|info|warn.
            LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES (systemd socket activation): run uses the sockets passed
            instead of binding, each for the listener its FileDescriptorName= names (docs/operations.md).
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command and returns its exit code; {@code run} and {@code demo} return only on shutdown. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Logging.configure(logLevel());
        if (args.length == 0) {
            err.print(USAGE_TEXT);
            return USAGE;
        }
        String command = args[0];
        List<String> rest = List.of(args).subList(1, args.length);
        return switch (command) {
            case "--help", "-h", "help" -> {
                out.print(USAGE_TEXT);
                yield OK;
            }
            case "--version", "-V", "version" -> {
                out.println("wavelb " + version());
                yield OK;
            }
            case "check-config" -> checkConfig(rest, out, err);
            case "check-host" -> checkHost(rest, out, err);
            case "run" -> runCommand(rest, err);
            case "upgrade" -> upgradeCommand(rest, out, err);
            case "demo" -> demo(rest, out, err);
            case "quic-cid" -> QuicCidCommand.run(rest, out, err);
            case "warm-up" -> warmUpCommand(rest, out, err);
            default -> {
                err.println("wavelb: unknown command '" + command + "'");
                err.print(USAGE_TEXT);
                yield USAGE;
            }
        };
    }

    /** {@code warm-up [--seconds N]}: the warm-up alone, then exit (an AOT cache's training run). */
    private static int warmUpCommand(List<String> args, PrintStream out, PrintStream err) {
        long seconds = 10;
        if (args.size() == 2 && args.get(0).equals("--seconds")) {
            try {
                seconds = Long.parseLong(args.get(1));
            } catch (NumberFormatException e) {
                seconds = -1;
            }
        } else if (!args.isEmpty()) {
            seconds = -1;
        }
        if (seconds < 1 || seconds > RuntimeSettings.MAX_WARM_UP.toSeconds()) {
            err.println("wavelb warm-up: expected [--seconds N] with N in 1.." + RuntimeSettings.MAX_WARM_UP.toSeconds());
            return USAGE;
        }
        RuntimeSettings defaults = RuntimeSettings.DEFAULTS;
        RuntimeSettings runtime = new RuntimeSettings(defaults.eventLoops(), defaults.transport(),
                defaults.shutdownGracePeriod(), defaults.memoryBudget(), defaults.stateDir(), Duration.ofSeconds(seconds));
        DirectMemoryLimit.apply(runtime.memoryBudget());
        LeakDetection.applyDefault();
        WarmUp.Done done = WarmUp.run(runtime);
        if (done == null) {
            err.println("wavelb warm-up: failed (see the log above)");
            return FAILED;
        }
        out.println("warm-up: " + done.summary());
        return OK;
    }

    private static Level logLevel() {
        String v = System.getenv().getOrDefault("WAVELB_LOG_LEVEL", "info").toLowerCase(Locale.ROOT);
        return switch (v) {
            case "debug" -> Level.FINE;
            case "warn", "warning" -> Level.WARNING;
            default -> Level.INFO;
        };
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static int checkConfig(List<String> args, PrintStream out, PrintStream err) {
        // `--config FILE` as every other command takes it, besides the plain FILE... list: read as
        // a file name, "--config" failed as "no such file" after the real file checked ok.
        List<String> files = args.stream().filter(a -> !a.equals("--config")).toList();
        if (files.isEmpty()) {
            err.println("wavelb check-config: name at least one config file");
            return USAGE;
        }
        // The heap check uses this JVM's -Xmx: bin/wavelb gives check-config and run the same JAVA_OPTS.
        long heap = Runtime.getRuntime().maxMemory();
        return ConfigCheck.run(files, f -> ConfigLoader.load(f, heap), out, err) == 0 ? OK : USAGE;
    }

    /** Prints {@link HostCheck}'s findings for the config's transparent listeners, as a start checks them. */
    private static int checkHost(List<String> args, PrintStream out, PrintStream err) {
        Invocation inv = Invocation.parse("check-host", args, Set.of(), err);
        if (inv == null) {
            return USAGE;
        }
        WavelbConfig config = load(inv.file(), "wavelb check-host", "nothing checked", err);
        if (config == null) {
            return USAGE;
        }
        List<TransparentNeeds> needs = TransparentNeeds.of(config);
        Set<IpFamily> families = java.util.EnumSet.noneOf(IpFamily.class);
        needs.forEach(n -> families.addAll(n.families()));
        Transport transport;
        try {
            transport = Transport.select(config.runtime().transport());
        } catch (IllegalStateException e) {
            err.println("wavelb check-host: " + e.getMessage());
            return FAILED;
        }
        List<Finding> findings = HostCheck.diagnose(needs, HostProbe.gather(transport, families));
        findings.forEach(f -> out.println(f.format()));
        return HostCheck.ready(findings) ? OK : FAILED;
    }

    private static int upgradeCommand(List<String> args, PrintStream out, PrintStream err) {
        Invocation inv = Invocation.parse("upgrade", args, Set.of(), err);
        if (inv == null) {
            return USAGE;
        }
        WavelbConfig config = load(inv.file(), "wavelb upgrade", "nothing upgraded", err);
        return config == null ? USAGE : Takeover.upgrade(config, out, err);
    }

    /** A command's {@code --config FILE} (also {@code -c FILE}, {@code --config=FILE}) and which of its flags were given. */
    private record Invocation(String file, Set<String> flags) {

        /** Null, with the usage printed, when an argument is unknown or the file is missing. */
        static Invocation parse(String command, List<String> args, Set<String> allowed, PrintStream err) {
            String usage = "usage: wavelb " + command + " --config FILE"
                    + allowed.stream().sorted().map(f -> " [" + f + "]").collect(Collectors.joining());
            String file = null;
            Set<String> flags = new HashSet<>();
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if ((a.equals("--config") || a.equals("-c")) && i + 1 < args.size()) {
                    file = args.get(++i);
                } else if (a.startsWith("--config=")) {
                    file = a.substring("--config=".length());
                } else if (allowed.contains(a)) {
                    flags.add(a);
                } else {
                    err.println("wavelb " + command + ": unexpected argument '" + a + "'");
                    err.println(usage);
                    return null;
                }
            }
            if (file == null) {
                err.println(usage);
                return null;
            }
            return new Invocation(file, flags);
        }
    }

    /** The config in {@code file}, or null once every problem is printed ({@code prefix}: "wavelb"; {@code nothingDone}: what did not happen). */
    private static WavelbConfig load(String file, String prefix, String nothingDone, PrintStream err) {
        try {
            return ConfigLoader.load(Path.of(file), Runtime.getRuntime().maxMemory());
        } catch (ConfigException e) {
            e.problems().forEach(p -> err.println(p.format()));
            err.println(prefix + ": " + file + " is invalid; " + nothingDone);
        } catch (NoSuchFileException e) {
            err.println(prefix + ": " + file + ": no such file");
        } catch (IOException e) {
            err.println(prefix + ": " + file + ": cannot read: " + e.getMessage());
        }
        return null;
    }

    private static int runCommand(List<String> args, PrintStream err) {
        Invocation inv = Invocation.parse("run", args, Set.of("--takeover"), err);
        if (inv == null) {
            return USAGE;
        }
        String file = inv.file();
        WavelbConfig config = load(file, "wavelb", "nothing started", err);
        if (config == null) {
            return USAGE;
        }
        if (inv.flags().contains("--takeover")) {
            return Takeover.run(config, Path.of(file), err);
        }
        InheritedSockets inherited;
        try {
            // Read once: the descriptors are ours from here on, and a reload binds what it adds itself.
            inherited = SocketActivation.fromEnvironment(System.getenv(), ProcessHandle.current().pid());
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("wavelb: sockets passed by systemd: " + e.getMessage());
            return FAILED;
        }
        return serve(config, Optional.of(Path.of(file)), err, null, inherited);
    }

    /** Before the bind, after a warm-up: no compilation finished for this long, waited for at most the max. */
    static final long JIT_QUIET_MILLIS = 50;
    static final long JIT_QUIET_MAX_MILLIS = 500;

    /**
     * After a warm-up: waits until what the start itself had the JIT compile is finished, so that
     * it is not compiled beside the first datagrams on the event loops' cores (benchmarks/README.md,
     * "Cold start"). {@code before}: what comes next, for the debug line.
     */
    static void awaitQuietJit(RuntimeSettings runtime, String before) {
        if (runtime.warmUp().isZero()) {
            return;
        }
        long waited = JitQuiet.await(JIT_QUIET_MILLIS, JIT_QUIET_MAX_MILLIS);
        System.getLogger("wavelb").log(System.Logger.Level.DEBUG, "JIT quiet before " + before + " after " + waited + " ms");
    }

    /**
     * Starts the balancer and blocks until SIGTERM or SIGINT, then shuts down gracefully. The
     * listeners bind last: everything else the process starts (event loops, health checks,
     * metrics, the admin endpoint, the control socket, signal handlers) runs on the same cores as
     * their event loops, and started after the bind it would take the CPU from the first
     * datagrams, while the sockets' receive queues hold only milliseconds of them.
     */
    private static int serve(WavelbConfig config, Optional<Path> file, PrintStream err, DemoView view,
                             InheritedSockets inherited) {
        DirectMemoryLimit.apply(config.runtime().memoryBudget());
        LeakDetection.applyDefault();
        WarmUp.run(config.runtime());
        Wavelb wavelb;
        try {
            wavelb = Wavelb.prepare(config, file, List.of(), inherited);
        } catch (IllegalArgumentException | IllegalStateException | IOException e) {
            err.println("wavelb: " + e.getMessage());
            return FAILED;
        } catch (Exception e) {
            err.println("wavelb: cannot start: " + e);
            return FAILED;
        }
        Serving serving = Serving.setUp(wavelb, config, file, view);
        awaitQuietJit(config.runtime(), "the bind");
        try {
            // Closes everything prepare started when a listener cannot bind.
            wavelb.bindListeners();
        } catch (IllegalArgumentException | IllegalStateException | IOException e) {
            serving.abandon();
            err.println("wavelb: " + e.getMessage());
            return FAILED;
        } catch (Exception e) {
            serving.abandon();
            err.println("wavelb: cannot start: " + e);
            return FAILED;
        }
        return serving.serve(false);
    }

    /**
     * Serves with a started balancer until SIGTERM or SIGINT, or until a takeover took everything
     * over; then drains open TCP connections and stops.
     *
     * @param tookOver this process took over from another one: it tells systemd it is the main process now
     */
    static int serveStarted(Wavelb wavelb, WavelbConfig config, Optional<Path> file, DemoView view, boolean tookOver) {
        return Serving.setUp(wavelb, config, file, view).serve(tookOver);
    }

    /**
     * What serves beside the balancer, set up before its listeners bind (or, after a takeover,
     * once it has them): the signal handlers and the control socket, which takes takeovers once
     * {@link #serve} opens it.
     */
    private static final class Serving {

        private static final System.Logger LOG = System.getLogger("wavelb");

        private final Wavelb wavelb;
        private final WavelbConfig config;
        private final DemoView view;
        private final SdNotify systemd;
        private final String status;
        private final StopRequest stopRequest;
        private final List<Runnable> signalsBefore;
        private final AtomicLong handedTo;
        private final ControlServer control;
        /** Logged once the control socket takes takeovers; made before the listeners bind, as the next. */
        private final String controlLine;
        /** The watchdog's question, made before the listeners bind (a lambda links on its first run too). */
        private final Supplier<List<String>> stuck;

        private Serving(Wavelb wavelb, WavelbConfig config, Optional<Path> file, DemoView view) {
            this.wavelb = wavelb;
            this.config = config;
            this.view = view;
            LoadBalancer lb = wavelb.balancer();
            this.systemd = SdNotify.fromEnvironment(System.getenv());
            this.status = "serving " + config.listeners().size() + " listener(s)";
            // Signal handlers before the listener lines and READY=1: whoever reads either (systemd, a
            // test, a deploy script) may send SIGHUP or SIGTERM at once, and the JVM's default action
            // for them ends the process instead of reloading or draining. A SIGTERM before the
            // listeners are bound stops the process once they are.
            this.stopRequest = new StopRequest();
            List<Runnable> before = new ArrayList<>();
            before.add(Signals.onTerminate(stopRequest::signal));
            before.add(Signals.onUser1(() -> lb.flowLog().reopen()));
            if (file.isPresent()) {
                before.add(Signals.onHangup(() -> {
                    if (!lb.listening()) {
                        // No RELOADING=1/READY=1 before the listeners are bound: READY=1 says they are.
                        LOG.log(System.Logger.Level.WARNING, "SIGHUP while starting: ignored (the listeners are not"
                                + " bound yet; send it again once wavelb serves)");
                        return;
                    }
                    systemd.reloading();
                    AdminOperations.ReloadOutcome outcome = lb.reload();
                    systemd.ready(switch (outcome) {
                        case AdminOperations.Reloaded r -> status + "; reloaded: " + r.summary();
                        case AdminOperations.Rejected r -> status + "; last reload rejected (" + r.problems().size()
                                + " problem(s)), running config kept";
                        case AdminOperations.Failed f -> status + "; last reload failed: " + f.message();
                    });
                }));
            }
            this.signalsBefore = List.copyOf(before);
            // A takeover of this process ends it like a SIGTERM, but quietly towards systemd: the new
            // process is the service's main process by then.
            TakeoverStats handed = new TakeoverStats();
            wavelb.metrics().addTakeover("old", handed);
            this.stuck = () -> lb.liveness().reasons();
            this.handedTo = new AtomicLong();
            this.control = file.isEmpty() ? null
                    : Takeover.listen(config, file.get(), wavelb, handed, pid -> {
                        handedTo.set(pid);
                        stopRequest.takenOver();
                    });
            this.controlLine = control == null ? null : "takeover: listening on " + control.socket();
        }

        static Serving setUp(Wavelb wavelb, WavelbConfig config, Optional<Path> file, DemoView view) {
            return new Serving(wavelb, config, file, view);
        }

        /** The listeners could not bind (the balancer closed itself): closes the rest, the JVM's signal handlers back. */
        void abandon() {
            if (control != null) {
                control.close();
            }
            systemd.close();
            signalsBefore.reversed().forEach(Runnable::run);
        }

        /** With the listeners bound: says so, serves until stopped or taken over, drains, stops. */
        int serve(boolean tookOver) {
            LoadBalancer lb = wavelb.balancer();
            for (Listener l : lb.listeners()) {
                // A StringBuilder, not +: a + call site links on its first run (a class spun at run
                // time, milliseconds of CPU), and the first datagrams are arriving now.
                LOG.log(System.Logger.Level.INFO, new StringBuilder("listener '").append(l.config().name())
                        .append("' on ").append(l instanceof UdpListener ? "udp " : "tcp ")
                        .append(Bind.format(l.localAddress())).append(" -> target group '").append(l.group().name())
                        .append("' (").append(l.group().algorithm().yamlName()).append(", ")
                        .append(l.group().targets().size()).append(" targets)").toString());
            }
            if (control != null) {
                control.open();
                LOG.log(System.Logger.Level.INFO, controlLine);
            }
            if (tookOver) {
                // The process taken over was the unit's main process; systemd follows the new one
                // (NotifyAccess=all lets it speak before it is the main process).
                systemd.send("MAINPID=" + ProcessHandle.current().pid(), "READY=1", "STATUS=" + status + "; took over");
            } else {
                systemd.ready(status);
            }
            systemd.startWatchdog(stuck);
            CountDownLatch stop = stopRequest.latch();
            Thread viewer = view == null ? null
                    : Thread.ofPlatform().daemon().name("wavelb-demo-view").start(() -> view.loop(lb, stop));
            try {
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Duration grace = config.runtime().shutdownGracePeriod();
            if (handedTo.get() != 0) {
                systemd.close();
                LOG.log(System.Logger.Level.INFO, "handed over to pid " + handedTo.get()
                        + "; up to " + grace.toSeconds() + "s for the open TCP connections that stay here to finish");
            } else {
                LOG.log(System.Logger.Level.INFO, "stopping: no new flows; up to " + grace.toSeconds()
                        + "s for open TCP connections to finish");
                systemd.stopping("draining open connections for up to " + grace.toSeconds() + "s");
            }
            // A second SIGTERM/SIGINT ends the grace period early (LoadBalancer.shutdown stops waiting when interrupted).
            stopRequest.drain(grace, wavelb::shutdown);
            if (control != null) {
                control.close();
            }
            systemd.close();
            if (viewer != null) {
                viewer.interrupt();
            }
            LOG.log(System.Logger.Level.INFO, "stopped");
            return OK;
        }
    }

    private static int demo(List<String> args, PrintStream out, PrintStream err) {
        HostPort listen = new HostPort("127.0.0.1", 7000);
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--listen") && i + 1 < args.size()) {
                try {
                    listen = HostPort.parse(args.get(++i));
                } catch (IllegalArgumentException e) {
                    err.println("wavelb demo: --listen " + e.getMessage());
                    return USAGE;
                }
            } else {
                err.println("wavelb demo: unexpected argument '" + args.get(i) + "'");
                err.println("usage: wavelb demo [--listen HOST:PORT]");
                return USAGE;
            }
        }
        Transport transport = Transport.select(io.wavelb.config.Transport.AUTO);
        try (EchoTargets echo = EchoTargets.start(transport, "127.0.0.1", 3)) {
            List<TargetConfig> targets = new ArrayList<>();
            for (EchoTargets.EchoTarget t : echo.targets()) {
                targets.add(TargetConfig.of(new HostPort("127.0.0.1", t.address().getPort())));
            }
            // A short UDP idle timeout so the live view shows sessions ending, not only starting.
            WavelbConfig config = new WavelbConfig(AdminConfig.DEFAULTS,
                    new RuntimeSettings(0, io.wavelb.config.Transport.AUTO, Duration.ofSeconds(5)),
                    List.of(new ListenerConfig("demo", Protocol.TCP_UDP, listen, "demo",
                            new UdpSettings(Duration.ofSeconds(15), UdpSettings.DEFAULT_MAX_SESSIONS,
                                    UdpSettings.DEFAULT_MAX_DATAGRAM_SIZE),
                            TcpSettings.DEFAULTS)),
                    List.of(new TargetGroupConfig("demo", Algorithm.MAGLEV, targets,
                            TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE)));
            Map<String, String> names = echo.targets().stream().collect(Collectors.toMap(
                    t -> "127.0.0.1:" + t.address().getPort(), EchoTargets.EchoTarget::name));
            String host = listen.isIpv6Literal() ? "[" + listen.host() + "]" : listen.host();
            out.println("wavelb demo: three echo targets that answer with their name, and a balancer in front of them.");
            for (EchoTargets.EchoTarget t : echo.targets()) {
                out.println("  " + t.name() + "  127.0.0.1:" + t.address().getPort() + " (tcp+udp)");
            }
            out.println("  balancer  " + listen + " (tcp+udp, maglev on the 5-tuple; UDP sessions idle out after 15s)");
            out.println();
            out.println("Send traffic from another terminal:");
            out.println("  echo hello | nc -u -w1 " + listen.host() + " " + listen.port()
                    + "                  # one UDP flow: one target answers");
            out.println("  for i in $(seq 12); do echo hi | nc -u -w1 " + listen.host() + " " + listen.port()
                    + "; done   # new source port each time: flows spread");
            out.println("  socat - UDP:" + host + ":" + listen.port()
                    + "                       # type lines: every line of this flow hits the same target");
            out.println("  nc " + listen.host() + " " + listen.port() + "                                    # TCP: type lines");
            out.println("Ctrl-C stops the demo. Flows per target, live:");
            out.flush();
            return serve(config, Optional.empty(), err, new DemoView(out, names), InheritedSockets.none());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FAILED;
        } catch (RuntimeException e) {
            err.println("wavelb demo: cannot start the echo targets: " + e.getMessage());
            return FAILED;
        }
    }

    /** Prints the flow count of every target whenever it changes. */
    private record DemoView(PrintStream out, Map<String, String> names) {
        void loop(LoadBalancer lb, CountDownLatch stop) {
            String last = "";
            try {
                while (stop.getCount() > 0) {
                    StringBuilder sb = new StringBuilder("  flows:");
                    List<Target> byName = new ArrayList<>(lb.targetGroups().get("demo").targets());
                    byName.sort(Comparator.comparing(t -> names.getOrDefault(t.id(), t.id())));
                    for (Target t : byName) {
                        sb.append("  ").append(names.getOrDefault(t.id(), t.id())).append('=').append(t.activeFlows());
                    }
                    var stats = lb.stats("demo");
                    sb.append("   (udp sessions created ").append(stats.total(ListenerCounter.SESSIONS_CREATED))
                            .append(", tcp connections accepted ").append(stats.total(ListenerCounter.TCP_ACCEPTED))
                            .append(')');
                    String line = sb.toString();
                    if (!line.equals(last)) {
                        out.println(line);
                        out.flush();
                        last = line;
                    }
                    Thread.sleep(500);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
