package io.wavelb.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OwnershipTest {

    @Test
    void markerValueRoundTrips() {
        Ownership o = new Ownership("edge-media", "i-0123456789abcdef0");
        assertThat(o.txtValue()).isEqualTo("\"heritage=wavelb,cluster=edge-media,instance=i-0123456789abcdef0\"");
        assertThat(Ownership.parse(o.txtValue())).hasValue(o);
        assertThat(Ownership.parse("heritage=wavelb,cluster=a,instance=b")).hasValue(new Ownership("a", "b"));
    }

    @Test
    void foreignOrBrokenMarkersAreNotOwnership() {
        assertThat(Ownership.parse("\"heritage=external-dns,external-dns/owner=x\"")).isEmpty();
        assertThat(Ownership.parse("\"heritage=wavelb,cluster=a\"")).isEmpty();
        assertThat(Ownership.parse("\"heritage=wavelb,cluster=,instance=b\"")).isEmpty();
        assertThat(Ownership.parse("\"heritage=wavelb,junk\"")).isEmpty();
    }

    @Test
    void markerNameIsNormalised() {
        assertThat(Ownership.markerName("Media.Example.COM.")).isEqualTo("_wavelb-owner.media.example.com");
    }
}
