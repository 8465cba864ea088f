package io.userv2.switchd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.userv2.stack.wire.Ipv4Address;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --coalesce}: its default, its range, and that the other {@code with...} copies keep it. */
class SwitchConfigCoalesceTest {
    private static SwitchConfig config() {
        return new SwitchConfig(List.of(new ListenAddress.Unix(Path.of("/tmp/x.sock"))), Ipv6SettingsTest.LIMA,
                Ipv4Address.parse("192.168.104.2"), Ipv6SettingsTest.GW_MAC, 1500, null);
    }

    @Test
    void coalescingIsOnByDefault() {
        assertEquals(SwitchConfig.DEFAULT_COALESCE_MICROS, config().coalesceMicros());
        assertEquals(300, SwitchConfig.DEFAULT_COALESCE_MICROS);
    }

    @Test
    void theWindowIsTakenFromZeroToTheMaximumAndKeptByTheOtherCopies() {
        assertEquals(0, config().withCoalesce(0).coalesceMicros());
        SwitchConfig c = config().withCoalesce(SwitchConfig.MAX_COALESCE_MICROS);
        assertEquals(1000, c.coalesceMicros());
        assertEquals(1000, c.withIpv6(Ipv6Settings.OFF).withSecurity(PortSecuritySettings.DEFAULT)
                .withVxlan(VxlanSettings.NONE).coalesceMicros());
    }

    @Test
    void aWindowOutOfRangeIsRefusedWithTheRange() {
        for (int bad : new int[] {-1, 1001}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> config().withCoalesce(bad));
            assertEquals("--coalesce must be between 0 and 1000 microseconds", e.getMessage());
        }
    }
}
