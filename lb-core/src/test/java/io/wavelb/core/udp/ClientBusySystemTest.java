package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.NetworkNamespace;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Replies leave the listener socket with {@code sendmmsg} ({@link BatchedReplies}); when the
 * socket's send queue is full the call fails with EAGAIN (ENOBUFS likewise), and the rest of the
 * batch is dropped and counted as {@code client_busy}, its buffers released, and the balancer goes on.
 * On loopback a UDP send never fills the queue (a packet stops counting against its socket when
 * loopback takes it), so the client lives in a second network namespace behind a veth pair whose
 * balancer end gets a slow token bucket (tbf): a packet waiting there still counts against the
 * socket. {@link ReplyFlood} runs the balancer inside the first namespace as a child JVM. Without
 * the qdisc the same traffic drops nothing; with an nftables rule dropping the replies on output each
 * send is refused (EPERM) and counted as {@code socket_error}. Needs root, iproute2, tc and nft, as CI has.
 */
@Timeout(120)
class ClientBusySystemTest {

    private static final Pattern RESULT = Pattern.compile(
            "BUSY-RESULT mode=(\\w+) replies=(\\d+) sent=(\\d+) busy=(\\d+) pong=(\\w+) socketErrors=(\\d+)");

    @RegisterExtension
    final NetworkNamespace balancer = new NetworkNamespace("wavelb-busy-lb");

    @RegisterExtension
    final NetworkNamespace client = new NetworkNamespace("wavelb-busy-cl");

    @Test
    void aFullSendQueueDropsTheRestOfTheBatchAsClientBusyAndTheBalancerGoesOn() throws Exception {
        Matcher r = run("tbf");
        long replies = Long.parseLong(r.group(2));
        long sent = Long.parseLong(r.group(3));
        long busy = Long.parseLong(r.group(4));
        assertThat(busy).as("replies dropped as client_busy").isPositive();
        assertThat(sent).as("replies sent before the queue filled").isPositive();
        assertThat(sent + busy).as("every reply sent or counted").isEqualTo(replies);
        assertThat(r.group(5)).as("a ping answered once the queue drained").isEqualTo("true");
        assertThat(r.group(6)).as("socket_error drops").isEqualTo("0");
    }

    @Test
    void theSameRepliesWithoutASlowQdiscAreAllSent() throws Exception {
        Matcher r = run("plain");
        assertThat(r.group(4)).as("replies dropped as client_busy").isEqualTo("0");
        assertThat(r.group(3)).as("replies sent").isEqualTo(r.group(2));
        assertThat(r.group(5)).as("a ping answered").isEqualTo("true");
    }

    @Test
    void aReplyTheKernelRefusesForItselfIsASocketErrorNotClientBusy() throws Exception {
        Matcher r = run("nft");
        assertThat(r.group(6)).as("socket_error drops: every reply refused (EPERM) on its own").isEqualTo(r.group(2));
        assertThat(r.group(4)).as("replies dropped as client_busy").isEqualTo("0");
        assertThat(r.group(3)).as("replies sent").isEqualTo("0");
        assertThat(r.group(5)).as("a ping answered once the rule is gone").isEqualTo("true");
        assertThat(output).as("the rate-limited warning naming the errno").contains("refused by the kernel, errno 1");
    }

    private String output;

    /** Two namespaces joined by a veth pair, then {@link ReplyFlood} in the balancer's; its parsed result. */
    private Matcher run(String mode) throws Exception {
        balancer.create();
        client.create();
        balancer.ip("link", "add", ReplyFlood.LB_DEVICE, "type", "veth", "peer", "name", "vcl", "netns", client.name());
        balancer.ip("addr", "add", ReplyFlood.LB_ADDRESS + "/24", "dev", ReplyFlood.LB_DEVICE);
        client.ip("addr", "add", ReplyFlood.CLIENT_ADDRESS + "/24", "dev", "vcl");
        balancer.ip("link", "set", ReplyFlood.LB_DEVICE, "up");
        client.ip("link", "set", "vcl", "up");
        StringBuilder out = new StringBuilder();
        int exit = balancer.runJava(ReplyFlood.class,
                List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"),
                List.of(mode, client.name()), out, 90);
        assertThat(exit).as("exit of the balancer in the namespace; output:%n%s", Commands.tail(out.toString())).isZero();
        assertThat(out.toString()).doesNotContain("LEAK:");
        if (!mode.equals("nft")) {
            assertThat(out.toString()).as("a reply refused for another reason than a full queue")
                    .doesNotContain("UDP reply to a client refused by the kernel");
        }
        output = out.toString();
        Matcher m = RESULT.matcher(out);
        assertThat(m.find()).as("result line in:%n%s", Commands.tail(out.toString())).isTrue();
        System.out.println(m.group());
        return m;
    }
}
