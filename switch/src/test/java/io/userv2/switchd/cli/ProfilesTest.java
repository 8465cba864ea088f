package io.userv2.switchd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.SwitchConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfilesTest {
    @Test
    void slirpIsLimasDefaultNetwork() {
        Profiles.Profile p = Profiles.lookup("slirp");
        assertSame(Profiles.SLIRP, Profiles.lookup("SLIRP"));
        assertEquals(Ipv4Subnet.parse("192.168.5.0/24"), p.subnet());
        assertEquals(Ipv4Address.parse("192.168.5.2"), p.gatewayIp());
        assertEquals(Ipv4Address.parse("192.168.5.3"), p.dnsIp());
        assertEquals(Ipv4Address.parse("192.168.5.15"), p.poolStart());
        // what applies today fits a SwitchConfig
        new SwitchConfig(List.of(new ListenAddress.Unix(Path.of("/tmp/x.sock"))), p.subnet(), p.gatewayIp(), SwitchConfig.DEFAULT_GATEWAY_MAC, 1500, null);
    }


    @Test
    void unknownProfileListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Profiles.lookup("vmnet"));
        assertTrue(e.getMessage().contains("slirp"), e.getMessage());
    }
}
