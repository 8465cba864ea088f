package io.userv2.switchd.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.Ipv4Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --verify-checksums}: off by default, kept by the other copies, and always on with a VXLAN uplink. */
class SwitchConfigChecksumTest {
    private static SwitchConfig config() {
        return new SwitchConfig(List.of(new ListenAddress.Unix(Path.of("/tmp/x.sock"))), Ipv6SettingsTest.LIMA,
                Ipv4Address.parse("192.168.104.2"), Ipv6SettingsTest.GW_MAC, 1500, null);
    }

    @Test
    void guestChecksumsAreTrustedByDefault() {
        assertFalse(config().verifyChecksums());
        assertFalse(config().verifiesTcpChecksums());
    }

    @Test
    void theOptionIsKeptByTheOtherCopies() {
        SwitchConfig c = config().withVerifyChecksums(true);
        assertTrue(c.verifiesTcpChecksums());
        assertTrue(c.withIpv6(Ipv6Settings.OFF).withSecurity(PortSecuritySettings.DEFAULT).withCoalesce(0)
                .withVxlan(VxlanSettings.NONE).verifiesTcpChecksums());
    }

    @Test
    void framesThatMayComeFromOtherHostsAreAlwaysVerified() {
        VxlanSettings uplink = new VxlanSettings(new InetSocketAddress("127.0.0.1", 0),
                List.of(new InetSocketAddress("127.0.0.2", 4789)), 7, false, 0, false);
        SwitchConfig c = config().withVxlan(uplink);
        assertFalse(c.verifyChecksums(), "not asked for");
        assertTrue(c.verifiesTcpChecksums(), "but frames cross a real network to reach this gateway");
    }
}
