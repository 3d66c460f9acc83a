package io.wavelb.bench;

import io.wavelb.config.Algorithm;
import io.wavelb.config.AdminConfig;
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
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Bytes allocated on the event loop per forwarded datagram, in steady state: one established UDP
 * session, request/reply round trips through an in-process balancer with one event loop, and the
 * loop thread's allocation counter (HotSpot's per-thread TLAB accounting) read before and after.
 * Each round trip forwards two datagrams (client to target, target to client).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.wavelb.bench.ForwardingAllocation [roundTrips] [ipv4|ipv6]}
 * (IPv4 on 127.0.0.1 by default; {@code ipv6}: client, listener and target on ::1).
 */
public final class ForwardingAllocation {

    public static void main(String[] args) throws Exception {
        int roundTrips = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        boolean v6 = args.length > 1 && args[1].equals("ipv6");
        InetAddress loopback = InetAddress.getByName(v6 ? "::1" : "127.0.0.1");
        String host = v6 ? "::1" : "127.0.0.1";
        try (DatagramSocket echo = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
            Thread server = Thread.ofPlatform().daemon().start(() -> {
                byte[] buf = new byte[2048];
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                while (true) {
                    try {
                        p.setLength(buf.length);
                        echo.receive(p);
                        echo.send(p);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            WavelbConfig config = new WavelbConfig(AdminConfig.DEFAULTS, new RuntimeSettings(1, Transport.AUTO, Duration.ZERO),
                    List.of(new ListenerConfig("bench", Protocol.UDP, new HostPort(host, 0), "g",
                            UdpSettings.DEFAULTS, TcpSettings.DEFAULTS)),
                    List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                            List.of(TargetConfig.of(new HostPort(host, echo.getLocalPort()))), 65537)));
            try (LoadBalancer lb = LoadBalancer.start(config);
                 DatagramSocket client = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
                InetSocketAddress vip = lb.address("bench");
                client.setSoTimeout(2000);
                byte[] payload = new byte[1200];
                DatagramPacket out = new DatagramPacket(payload, payload.length, vip);
                DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
                run(client, out, in, 20_000); // warm up: JIT, pools, the session
                com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                long loop = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("wavelb-loop")).findFirst().orElseThrow().threadId();
                long before = mx.getThreadAllocatedBytes(loop);
                long start = System.nanoTime();
                run(client, out, in, roundTrips);
                long elapsed = System.nanoTime() - start;
                long allocated = mx.getThreadAllocatedBytes(loop) - before;
                System.out.printf("%s, round trips: %d (1200 B), event-loop bytes allocated: %d, per forwarded datagram: %.1f B, "
                        + "round trip: %.1f us%n", v6 ? "IPv6" : "IPv4", roundTrips, allocated, allocated / (2.0 * roundTrips),
                        elapsed / 1000.0 / roundTrips);
            }
            echo.close();
            server.join(1000);
        }
    }

    private static void run(DatagramSocket client, DatagramPacket out, DatagramPacket in, int n) throws Exception {
        for (int k = 0; k < n; k++) {
            client.send(out);
            in.setLength(2048);
            client.receive(in);
        }
    }
}
