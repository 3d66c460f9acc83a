package io.wavelb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.core.admin.AdminException;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry of running and retiring groups, without sockets (time passed in). */
class TargetGroupRegistryTest {

    private static TargetGroup group(String name, int port) {
        return TargetGroup.create(new TargetGroupConfig(name, Algorithm.MAGLEV,
                List.of(TargetConfig.of(HostPort.parse("127.0.0.1:" + port))), TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE));
    }

    @Test
    void groupsKeepTheOrderTheyWereAddedInAndAnUnknownNameIsA404NamingThem() {
        TargetGroupRegistry registry = new TargetGroupRegistry(t -> { });
        registry.add(group("b", 5001));
        registry.add(group("a", 5002));
        assertThat(registry.groups().keySet()).containsExactly("b", "a");
        assertThatThrownBy(() -> registry.getOrThrow("c"))
                .isInstanceOfSatisfying(AdminException.class, e -> assertThat(e.status()).isEqualTo(404))
                .hasMessage("no target group 'c' (defined: b, a)");
        assertThatThrownBy(() -> registry.groups().put("c", group("c", 5003)))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aRetiredGroupDrainsItsTargetsIsStillTickedAndIsDrainedOnceEmpty() {
        List<Target> purged = new ArrayList<>();
        TargetGroupRegistry registry = new TargetGroupRegistry(purged::add);
        TargetGroup g = group("g", 5001);
        registry.add(g);
        Target t = g.member("127.0.0.1:5001");
        t.udpSessionOpened();
        long now = 1_000_000_000L;
        registry.retire("g", now);
        assertThat(registry.get("g")).isNull();
        assertThat(t.draining()).isTrue();
        registry.tick(now + 1);
        assertThat(registry.drained()).isEmpty();

        // The deregistration delay ends: the registry's purger ends the target's UDP sessions.
        registry.tick(now + TargetGroupConfig.DEFAULT_DEREGISTRATION_DELAY.toNanos());
        assertThat(purged).containsExactly(t);
        assertThat(registry.drained()).containsExactly(g);
        registry.forget(g);
        assertThat(registry.drained()).isEmpty();
    }
}
