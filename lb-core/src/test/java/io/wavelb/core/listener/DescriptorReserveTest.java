package io.wavelb.core.listener;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DescriptorReserveTest {

    @Test
    void givesBackOneDescriptorPerFailedAcceptAndSaysHowManyAreLeft() {
        try (DescriptorReserve reserve = new DescriptorReserve(2)) {
            assertThat(reserve.refill()).isTrue();
            assertThat(reserve.held()).isEqualTo(2);
            assertThat(reserve.releaseOneFor("admin endpoint"))
                    .isEqualTo("gave back one of the admin endpoint's reserved descriptors to answer it (1 left)");
            assertThat(reserve.releaseOneFor("control socket"))
                    .isEqualTo("gave back one of the control socket's reserved descriptors to answer it (0 left)");
            assertThat(reserve.releaseOneFor("admin endpoint")).as("none held").isNull();
            assertThat(reserve.refill()).isTrue();
            assertThat(reserve.held()).isEqualTo(2);
        }
    }
}
