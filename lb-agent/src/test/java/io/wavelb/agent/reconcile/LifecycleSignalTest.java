package io.wavelb.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class LifecycleSignalTest {

    @Test
    void onlyATerminatedTargetStateCompletesTheHook() {
        assertThat(LifecycleSignal.leaving(Optional.of("InService"), Optional.empty(), true)).isEmpty();
        assertThat(LifecycleSignal.leaving(Optional.of("Detached"), Optional.empty(), true)).isEmpty();
        assertThat(LifecycleSignal.leaving(Optional.empty(), Optional.empty(), true)).as("not in a group").isEmpty();
        assertThat(LifecycleSignal.leaving(Optional.of("Terminated\n"), Optional.empty(), true))
                .contains(new LifecycleSignal.Leaving("Auto Scaling target lifecycle state Terminated", true));
        assertThat(LifecycleSignal.leaving(Optional.of("Warmed:Terminated"), Optional.empty(), false).orElseThrow().completeHook())
                .isTrue();
    }

    @Test
    void aSpotNoticeDrainsWithoutAHookOnlyWhenEnabled() {
        String notice = "{\"action\": \"terminate\", \"time\": \"2026-11-22T08:22:00Z\"}";
        assertThat(LifecycleSignal.leaving(Optional.of("InService"), Optional.of(notice), true))
                .contains(new LifecycleSignal.Leaving("Spot instance action terminate", false));
        assertThat(LifecycleSignal.leaving(Optional.of("InService"), Optional.of(notice), false)).isEmpty();
    }

    @Test
    void aSpotNoticeThatIsNotTheDocumentedJsonStillDrains() {
        for (String notice : new String[] {"{\"action\": 7}", "terminate soon", "{\"time\": \"x\"}", "[\"action\"]"}) {
            assertThat(LifecycleSignal.leaving(Optional.empty(), Optional.of(notice), true)).as(notice)
                    .contains(new LifecycleSignal.Leaving("Spot instance action interruption", false));
        }
    }
}
