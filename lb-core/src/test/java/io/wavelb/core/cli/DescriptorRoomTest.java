package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DescriptorRoomTest {

    @Test
    void handedSocketsFitWhenTheSpareStaysFree() {
        assertThat(DescriptorRoom.shortfall(100, 1000, 1000 - 100 - DescriptorRoom.SPARE)).isNull();
    }

    @Test
    void oneMoreThanFitsIsRefusedWithTheLimitItNeeds() {
        String why = DescriptorRoom.shortfall(100, 1000, 1000 - 100 - DescriptorRoom.SPARE + 1);
        assertThat(why).contains("cannot hold the 837 session socket(s)").contains("100 descriptors open and may have 1000")
                .contains("a limit of at least 1001");
    }

    @Test
    void unknownCountsRefuseNothing() {
        assertThat(DescriptorRoom.shortfall(-1, 1000, 5000)).isNull();
        assertThat(DescriptorRoom.shortfall(10, -1, 5000)).isNull();
    }
}
