package io.userv2.switchd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.switchd.cli.LimaNetworks.LimaNetwork;
import io.userv2.switchd.cli.LimaNetworks.NetworkFileException;
import io.userv2.switchd.cli.LimaNetworks.NetworkSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LimaNetworksTest {
    /** Lima's networks.TEMPLATE.yaml as written to ~/.lima/_config/networks.yaml on first use. */
    static final String LIMA_DEFAULT = """
            # Path to socket_vmnet executable. Because socket_vmnet is invoked via sudo it should be
            # installed where only root can modify/replace it.
            paths:
            # socketVMNet requires Lima >= 0.12 .
              socketVMNet: "/opt/socket_vmnet/bin/socket_vmnet"
              varRun: /private/var/run/lima
              sudoers: /private/etc/sudoers.d/lima

            group: everyone

            networks:
              user-v2:
                mode: user-v2
                gateway: 192.168.104.1
                netmask: 255.255.255.0
                # user-v2 network is experimental network mode which supports all functionalities of default usernet network and also allows vm -> vm communication.
                # Doesn't support configuration of custom gateway; hardcoded to 192.168.5.0/24
              shared:
                mode: shared
                gateway: 192.168.105.1
                dhcpEnd: 192.168.105.254
                netmask: 255.255.255.0
              bridged:
                mode: bridged
                interface: en0
                # bridged mode doesn't have a gateway; dhcp is managed by outside network
              host:
                mode: host
                gateway: 192.168.106.1
                dhcpEnd: 192.168.106.254
                netmask: 255.255.255.0
            """;

    /** An older networks.yaml (Lima < 0.22: vde paths, no user-v2 network). */
    static final String LIMA_OLD = """
            paths:
              socketVMNet: /opt/socket_vmnet/bin/socket_vmnet
              vdeSwitch: /opt/vde/bin/vde_switch
              vdeVMNet: /opt/vde/bin/vde_vmnet
              varRun: /private/var/run/lima
              sudoers: /private/etc/sudoers.d/lima
            group: everyone
            networks:
              shared:
                mode: shared
                gateway: 192.168.105.1
                dhcpEnd: 192.168.105.254
                netmask: 255.255.255.0
              host:
                mode: host
                gateway: 192.168.106.1
                dhcpEnd: 192.168.106.254
                netmask: 255.255.255.0
            """;

    private static NetworkSpec spec(String yaml, String name) {
        return LimaNetworks.spec(LimaNetworks.parse(yaml, "networks.yaml"), name, "networks.yaml");
    }

    private static String failure(String yaml, String name) {
        String message = assertThrows(NetworkFileException.class, () -> spec(yaml, name)).getMessage();
        assertFalse(message.contains("\n"), "message is one line: " + message);
        assertTrue(message.startsWith("networks.yaml: "), "message names the file: " + message);
        return message;
    }

    @Test
    void limasDefaultFileParsesEveryNetwork() {
        Map<String, LimaNetwork> nets = LimaNetworks.parse(LIMA_DEFAULT, "networks.yaml");
        assertEquals(List.of("user-v2", "shared", "bridged", "host"), List.copyOf(nets.keySet()));
        LimaNetwork shared = nets.get("shared");
        assertEquals("shared", shared.mode());
        assertEquals(Ipv4Address.parse("192.168.105.1"), shared.gateway());
        assertEquals(Ipv4Address.parse("192.168.105.254"), shared.dhcpEnd());
        assertEquals("en0", nets.get("bridged").iface());
        assertEquals(null, nets.get("bridged").gateway());
    }

    @Test
    void userV2GivesTheSubnetWithTheGatewayAtPlusTwoAndNat() {
        NetworkSpec s = spec(LIMA_DEFAULT, "user-v2");
        assertEquals(new NetworkSpec("user-v2", Ipv4Subnet.parse("192.168.104.0/24"),
                Ipv4Address.parse("192.168.104.2"), true), s);
    }

    @Test
    void hostModeKeepsGuestsInsideWithTheHostAtTheGateway() {
        NetworkSpec s = spec(LIMA_DEFAULT, "host");
        assertEquals(Ipv4Subnet.parse("192.168.106.0/24"), s.subnet());
        assertEquals(Ipv4Address.parse("192.168.106.1"), s.gatewayIp());
        assertFalse(s.outside());
    }

    @Test
    void customUserV2NetworkWithAnotherNetmask() {
        String yaml = """
                networks:
                  lab:
                    mode: user-v2
                    gateway: 10.20.0.1
                    netmask: 255.255.0.0
                    someFutureKey: [1, 2]
                """;
        NetworkSpec s = spec(yaml, "lab");
        assertEquals(Ipv4Subnet.parse("10.20.0.0/16"), s.subnet());
        assertEquals(Ipv4Address.parse("10.20.0.2"), s.gatewayIp());
        assertTrue(s.outside());
        // a file with its own user-v2 network gets no default one
        assertFalse(LimaNetworks.parse(yaml, "f").containsKey("user-v2"));
    }

    @Test
    void netmaskDefaultsToSlash24() {
        NetworkSpec s = spec("networks: {h: {mode: host, gateway: 172.16.9.1}}", "h");
        assertEquals(Ipv4Subnet.parse("172.16.9.0/24"), s.subnet());
    }

    @Test
    void withoutAUserV2NetworkLimasDefaultIsAdded() {
        assertEquals(Ipv4Subnet.parse("192.168.104.0/24"), spec(LIMA_OLD, "user-v2").subnet());
        assertEquals(Ipv4Subnet.parse("192.168.104.0/24"), spec("", "user-v2").subnet());
        assertEquals(Ipv4Subnet.parse("192.168.104.0/24"), spec("# only a comment\n", "user-v2").subnet());
        assertEquals(Ipv4Subnet.parse("192.168.104.0/24"), spec("group: everyone\n", "user-v2").subnet());
        // Lima replaces a user-v2 entry without a gateway by its default, too
        assertEquals(Ipv4Subnet.parse("192.168.104.0/24"), spec("networks: {user-v2: {mode: user-v2}}", "user-v2").subnet());
    }

    @Test
    void socketVmnetModesAreRefusedClearly() {
        assertTrue(failure(LIMA_DEFAULT, "shared").contains("needs socket_vmnet"));
        assertTrue(failure(LIMA_DEFAULT, "bridged").contains("needs socket_vmnet"));
    }

    @Test
    void unknownModeIsRefused() {
        String m = failure("networks: {x: {mode: vde, gateway: 10.0.0.1}}", "x");
        assertTrue(m.contains("unknown mode 'vde'"), m);
    }

    @Test
    void unknownNetworkNameListsTheKnownOnes() {
        String m = failure(LIMA_DEFAULT, "nope");
        assertTrue(m.contains("no network 'nope'") && m.contains("user-v2, shared, bridged, host"), m);
    }

    @Test
    void garbageIsRefusedWithOneLine() {
        failure("networks: [unclosed", "user-v2");
        failure("just a string", "user-v2");
        failure("- a\n- list\n", "user-v2");
        failure("networks: 42", "user-v2");
        failure("networks:\n  x: hello\n", "x");
        failure("networks:\n  x:\n", "x");
        failure("networks: {x: {gateway: 10.0.0.1}}", "x");
        failure("networks: {x: {mode: host, gateway: 10.0.0.300}}", "x");
        failure("networks: {x: {mode: host, gateway: 'fe80::1'}}", "x");
        failure("networks: {x: {mode: host, gateway: 10.0.0.1, netmask: 255.0.255.0}}", "x");
        failure("networks: {x: {mode: [host]}}", "x");
        failure("networks: {x: {mode: user-v2, gateway: 10.0.0.1, netmask: 255.255.255.254}}", "x");
        failure("networks: {x: {mode: host}}", "x");
        failure("\t\u0000\u0001binary", "user-v2");
        failure("a: &a [x, y]\nb: [" + "*a, ".repeat(30) + "*a]\n", "user-v2"); // alias bomb
    }

    @Test
    void applyReadsTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("networks.yaml");
        Files.writeString(file, LIMA_DEFAULT);
        assertEquals(Ipv4Address.parse("192.168.104.2"), LimaNetworks.apply(file, "user-v2").gatewayIp());
        NetworkFileException missing = assertThrows(NetworkFileException.class,
                () -> LimaNetworks.apply(dir.resolve("absent.yaml"), "user-v2"));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
        assertThrows(NetworkFileException.class, () -> LimaNetworks.apply(dir, "user-v2"));
    }

    @Test
    void prefixLengthOfNetmasks() {
        assertEquals(24, LimaNetworks.prefixLength(Ipv4Address.parse("255.255.255.0")));
        assertEquals(0, LimaNetworks.prefixLength(Ipv4Address.parse("0.0.0.0")));
        assertEquals(32, LimaNetworks.prefixLength(Ipv4Address.parse("255.255.255.255")));
        assertEquals(-1, LimaNetworks.prefixLength(Ipv4Address.parse("255.255.0.255")));
    }
}
