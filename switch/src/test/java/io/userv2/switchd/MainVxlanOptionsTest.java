package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.switchd.config.VxlanSettings;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The VXLAN options as picocli parses them and {@link Main} turns them into settings. */
class MainVxlanOptionsTest {
    static VxlanSettings settings(String... args) {
        Main main = new Main();
        new CommandLine(main).parseArgs(args);
        return main.vxlanSettings();
    }

    @Test
    void theSameRemoteTwiceIsRefusedAtParseTime() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings("--vxlan-local",
                "10.254.0.1", "--vni", "7", "--vxlan", "10.254.0.2", "--vxlan", "10.254.0.2:8472"));
        assertTrue(e.getMessage().contains("--vxlan 10.254.0.2:4789 and --vxlan 10.254.0.2:8472"), e.getMessage());
    }

    @Test
    void vxlanGatewayNamesOneRemoteOfAPureSwitch() throws Exception {
        String[] base = {"--vxlan-local", "10.254.0.2", "--vni", "7", "--vxlan", "10.254.0.1", "--vxlan",
            "10.254.0.3", "--no-gateway"};
        assertEquals(InetAddress.getByName("10.254.0.1"), settings(base).gatewayHost(), "the first by default");
        String[] named = java.util.Arrays.copyOf(base, base.length + 2);
        named[base.length] = "--vxlan-gateway";
        named[base.length + 1] = "10.254.0.3";
        assertEquals(InetAddress.getByName("10.254.0.3"), settings(named).gatewayHost());
        named[base.length + 1] = "10.254.0.9";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(named));
        assertTrue(e.getMessage().contains("not one of the --vxlan remotes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> settings("--no-gateway", "--vxlan-gateway", "10.254.0.3"));
    }
}
