package io.wavelb.core.testing;

import io.wavelb.core.LoadBalancer;
import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Base of system tests that run a balancer in front of three echo targets named a, b and c. */
public abstract class WithThreeEchoTargets {

    protected EchoServer a;
    protected EchoServer b;
    protected EchoServer c;
    /** The balancer under test, if the test started one; closed after each test. */
    protected LoadBalancer lb;

    @BeforeEach
    void startEchoTargets() throws IOException {
        a = EchoServer.start("a");
        b = EchoServer.start("b");
        c = EchoServer.start("c");
    }

    @AfterEach
    void stopBalancerAndTargets() {
        if (lb != null) {
            lb.close();
        }
        a.close();
        b.close();
        c.close();
    }
}
