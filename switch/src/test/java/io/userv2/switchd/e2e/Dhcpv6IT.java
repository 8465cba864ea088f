package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.Ipv6LanIT.GATEWAY6;
import static io.userv2.switchd.e2e.Ipv6LanIT.prefixText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DHCPv6 at the gateway with a real client, ISC dhclient, in a namespace guest. dhclient runs with a script of the
 * test's own ({@code -sf}) that only records what it was given: it never configures the guest and never touches the
 * machine's resolv.conf; its lease and pid files live in the test's directory.
 */
class Dhcpv6IT {
    private static final List<String> SEARCH = List.of("corp.test", "lab.test");

    private static SwitchProcess startSwitch(Closer c, Path dir, HermeticDns dns, String... extra) {
        List<String> args = new ArrayList<>(List.of("--listen", dir.resolve("net.sock").toString(),
                "--api", dir.resolve("api.sock").toString()));
        args.addAll(dns.switchArgs());
        args.addAll(List.of(extra));
        return SwitchProcess.start(args);
    }

    /**
     * Runs dhclient -6 once in {@code g} ({@code -S}: stateless Information-request) and returns the variables its
     * script saw for the reason it ended with (INFORM6/RENEW6 for stateless, BOUND6 for an address).
     */
    static Map<String, String> dhclient(NamespaceGuest g, Path dir, String run, boolean stateless) {
        try {
            Path script = dir.resolve("dhclient-" + run + ".sh");
            Path out = dir.resolve("dhclient-" + run + ".env");
            Files.writeString(script, "#!/bin/sh\nenv | grep -E '^(reason|new_)' > " + out + ".tmp && mv " + out
                    + ".tmp " + out + "\n");
            script.toFile().setExecutable(true);
            List<String> cmd = new ArrayList<>(List.of("timeout", "30", "dhclient", "-6", "-1", "-d", "-v", "-D",
                    "LL", "-sf", script.toString(), "-lf", dir.resolve("dhclient-" + run + ".leases").toString(),
                    "-pf", dir.resolve("dhclient-" + run + ".pid").toString()));
            if (stateless) {
                cmd.add("-S");
            }
            cmd.add("tap0");
            LoggedProcess p = g.spawn("dhclient-" + run, cmd.toArray(String[]::new));
            String wanted = stateless ? "reason=(INFORM6|RENEW6)" : "reason=BOUND6";
            String env = Ipv6LanIT.await(() -> read(out), e -> e.matches("(?s).*" + wanted + ".*"),
                    Duration.ofSeconds(25));
            p.terminate();
            assertTrue(env.matches("(?s).*" + wanted + ".*"), "dhclient got nothing:\n" + env + "\n" + p.output());
            Map<String, String> vars = new HashMap<>();
            for (String line : env.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    vars.put(line.substring(0, eq), line.substring(eq + 1).replace("'", ""));
                }
            }
            return vars;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** By default: stateless DHCPv6 (the O flag), DNS server = the gateway's IPv6 address, the search list. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void statelessInformationRequestGetsDnsServerAndSearchList() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), "", SEARCH));
            SwitchProcess sw = c.add(startSwitch(c, dir, dns));
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect("unix:"
                    + dir.resolve("net.sock"), "192.168.104.20/24").withSlaac()));
            g.awaitIpv6Address(prefixText(), Duration.ofSeconds(30));
            String ra = g.exec(Duration.ofSeconds(20), "rdisc6", "-1", "-w", "3000", "tap0").assertOk().output();
            assertTrue(ra.matches("(?s).*Stateful other conf\\.\\s*:\\s*Yes.*"), "O flag:\n" + ra);
            assertTrue(ra.matches("(?s).*Stateful address conf\\.\\s*:\\s*No.*"), "M flag:\n" + ra);
            Map<String, String> v = dhclient(g, dir, "stateless", true);
            assertEquals(GATEWAY6, v.get("new_dhcp6_name_servers"), v.toString());
            assertEquals("corp.test. lab.test.", v.get("new_dhcp6_domain_search"), v.toString());
            assertTrue(sw.isAlive(), sw.output());
        }
    }

    /**
     * {@code --dhcpv6=stateful}: the M flag, an address from the prefix that also answers the guest's AAAA name, kept
     * in the DHCPv6 lease file beside the IPv4 one, restored by a restarted switch before the client asks again, and
     * handed out again.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void statefulLeasesNameTheGuestAndSurviveARestart() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        String mac = E2e.randomMac();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), "", SEARCH));
            String sock = "unix:" + dir.resolve("net.sock");
            String address;
            SwitchProcess first = startSwitch(c, dir, dns, "--dhcpv6=stateful");
            try (NamespaceGuest g = NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).mac(mac)
                    .withSlaac())) {
                g.dhcp("lima-d6");
                g.awaitIpv6Address(prefixText(), Duration.ofSeconds(30));
                String ra = g.exec(Duration.ofSeconds(20), "rdisc6", "-1", "-w", "3000", "tap0").assertOk().output();
                assertTrue(ra.matches("(?s).*Stateful address conf\\.\\s*:\\s*Yes.*"), "M flag:\n" + ra);
                Map<String, String> v = dhclient(g, dir, "first", false);
                address = v.get("new_ip6_address");
                assertTrue(address != null && address.startsWith(prefixText()), "address from the prefix: " + v);
                assertEquals(GATEWAY6, v.get("new_dhcp6_name_servers"), v.toString());
                // The lease names the guest: AAAA of its DHCP name (the guest never used the address itself).
                Dig d = Dig.run6(g, "@" + GATEWAY6, "lima-d6.internal", "AAAA");
                assertTrue(d.reply().data("AAAA").contains(address), d.toString());
            } finally {
                first.stop();
            }
            String saved = read(dir.resolve("net.leases6.json"));
            assertTrue(saved.contains(address) && saved.contains(mac), "DHCPv6 lease file:\n" + saved);

            SwitchProcess second = c.add(startSwitch(c, dir, dns, "--dhcpv6=stateful"));
            assertEquals(1, Ipv6LanIT.stats(dir).path("dhcp6").path("leases").asLong(),
                    "the binding is back before the client asks: " + Ipv6LanIT.stats(dir));
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).mac(mac)
                    .withSlaac()));
            g.awaitIpv6Address("fe80:", Duration.ofSeconds(20));
            Map<String, String> v = dhclient(g, dir, "second", false);
            assertEquals(address, v.get("new_ip6_address"), "after a restart: " + v + "\n" + second.output());
        }
    }
}
