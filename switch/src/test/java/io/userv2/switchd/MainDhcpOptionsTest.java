package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.switchd.config.DhcpSettings;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The main command's DHCP options as picocli parses them and {@link Main} turns them into {@link DhcpSettings}. */
class MainDhcpOptionsTest {
    static DhcpSettings settings(String... args) {
        Main main = new Main();
        new CommandLine(main).parseArgs(args);
        return main.dhcpSettings(List.of(), null);
    }

    @Test
    void theLeaseTimeDefaultsToAnHour() {
        assertEquals(3600, settings().leaseSeconds());
    }

    @Test
    void aLeaseTimeIsTaken() {
        assertEquals(30, settings("--dhcp-lease-time", "30").leaseSeconds());
        assertEquals(10, settings("--dhcp-lease-time=10").leaseSeconds(), "the minimum");
        assertEquals(86400, settings("--dhcp-lease-time=86400").leaseSeconds());
        assertEquals(2147483647L, settings("--dhcp-lease-time=2147483647").leaseSeconds(), "the maximum");
    }

    @Test
    void outOfRangeLeaseTimesAreRefusedWithTheRange() {
        for (String bad : List.of("9", "0", "-60", "2147483648")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> settings("--dhcp-lease-time=" + bad));
            assertEquals("--dhcp-lease-time must be 10 to 2147483647 seconds, got " + bad, e.getMessage());
        }
    }

    @Test
    void aLeaseTimeThatIsNoNumberIsRefusedByTheParser() {
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> settings("--dhcp-lease-time=1h"));
        assertTrue(e.getMessage().contains("'--dhcp-lease-time'") && e.getMessage().contains("'1h'"),
                e.getMessage());
    }

    @Test
    void theHelpNamesTheRange() {
        String usage = new CommandLine(new Main()).getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertTrue(usage.contains("--dhcp-lease-time=SECONDS"), usage);
        assertTrue(usage.replaceAll("\\s+", " ").contains("DHCP lease time, 10 to 2147483647 (default: 3600)"),
                usage);
    }
}
