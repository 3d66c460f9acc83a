package io.wavelb.core.udp;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.LeakCheckExtension;
import io.wavelb.core.testing.UdpClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Run by {@link LocalPortExhaustionSystemTest} as a JVM inside a network namespace of its own:
 * binds a target, a balancer and {@link #CLIENTS} client sockets, then narrows the namespace's
 * ephemeral port range ({@code net.ipv4.ip_local_port_range}) to {@link #PORTS} ports nothing holds,
 * and sends one datagram from each client. Each new session's socket needs a local port from that
 * range, so only {@link #PORTS} sessions can open. Prints {@code PORTS-RESULT}, with the
 * {@code wavelb_udp_local_ports} gauge as a scrape shows it then.
 */
final class LocalPortExhaustion {

    static final int PORTS = 5;
    static final int CLIENTS = 8;
    /** Above the default range's end (60999): no socket bound earlier in this namespace holds one. */
    static final int FIRST_PORT = 61_000;
    /** Where the TCP clients bind, below the default range: their connections to the balancer take no port of it. */
    static final int CLIENT_PORT = 20_000;

    private LocalPortExhaustion() { }

    /** {@code args}: the transport ({@code epoll} or {@code nio}), and {@code udp} or {@code tcp}. */
    public static void main(String[] args) throws Exception {
        Transport transport = Transport.valueOf(args[0].toUpperCase(java.util.Locale.ROOT));
        Protocol protocol = Protocol.valueOf(args[1].toUpperCase(java.util.Locale.ROOT));
        String result;
        List<UdpClient> clients = new ArrayList<>();
        List<Socket> connections = new ArrayList<>();
        try (EchoServer echo = EchoServer.start("a");
             LoadBalancer lb = LoadBalancer.start(config(echo.port(), transport, protocol))) {
            ListenerStats stats = lb.stats("test");
            for (int i = 0; i < CLIENTS && protocol == Protocol.UDP; i++) {
                clients.add(new UdpClient(lb.address("test")));
            }
            Files.writeString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"), FIRST_PORT + " " + (FIRST_PORT + PORTS - 1));
            int answered = 0;
            for (UdpClient c : clients) {
                if (c.target("hello", 3000) != null) {
                    answered++;
                }
            }
            for (int i = 0; i < CLIENTS && protocol == Protocol.TCP; i++) {
                // Bound outside the narrowed range, so only the balancer's target connections need it.
                Socket s = new Socket();
                connections.add(s);
                s.bind(new InetSocketAddress("127.0.0.1", CLIENT_PORT + i));
                s.connect(lb.address("test"), 3000);
                s.setSoTimeout(3000);
                s.getOutputStream().write('x');
                try {
                    if (s.getInputStream().read() == 'x') {
                        answered++;
                    }
                } catch (IOException closedOrTimedOut) {
                    // no target connection for this one
                }
            }
            Matcher gauge = Pattern.compile("(?m)^wavelb_udp_local_ports (\\S+)$")
                    .matcher(new WavelbMetrics().scrape(null).body());
            result = "PORTS-RESULT transport=" + args[0] + " answered=" + answered
                    + " sessions=" + stats.total(ListenerCounter.SESSIONS_CREATED)
                    + " noLocalPort=" + stats.total(ListenerCounter.DROPPED_NO_LOCAL_PORT)
                    + " connectFailures=" + stats.total(ListenerCounter.TCP_CONNECT_FAILURES)
                    + " socketErrors=" + stats.total(ListenerCounter.DROPPED_SOCKET_ERROR)
                    + " gauge=" + (gauge.find() ? gauge.group(1) : "absent");
            clients.forEach(UdpClient::close);
            for (Socket s : connections) {
                s.close();
            }
        }
        LeakCheckExtension.provokeReports();
        System.out.println(result);
        System.out.flush();
        System.exit(0);
    }

    private static WavelbConfig config(int targetPort, Transport transport, Protocol protocol) {
        return new WavelbConfig(AdminConfig.DEFAULTS, new RuntimeSettings(1, transport, java.time.Duration.ofSeconds(2)),
                List.of(new ListenerConfig("test", protocol, new HostPort("127.0.0.1", 0), "g", UdpSettings.DEFAULTS,
                        TcpSettings.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                        List.of(TargetConfig.of(HostPort.parse("127.0.0.1:" + targetPort))), 65537)));
    }
}
