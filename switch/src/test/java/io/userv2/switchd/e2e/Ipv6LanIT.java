package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.SwitchConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * IPv6 on the virtual LAN with real guests that configure nothing by hand: Linux's own SLAAC and Router Advertisement
 * handling in a namespace guest ({@code accept_ra=2}, {@code autoconf=1} set in its namespace only) and in a QEMU
 * guest (the kernel's defaults). Every address used is inside the test's namespaces and the LAN's ULA prefix; DNS is
 * hermetic ({@link HermeticDns}); the machine's own IPv6 is never touched.
 */
class Ipv6LanIT {
    private static final List<String> SEARCH = List.of("corp.test", "lab.test");
    private static final String HOSTS = "198.51.100.7 files.test\n";
    /** What the switch serves by default: its stable ULA, derived from the default subnet and gateway MAC. */
    static final Ipv6Prefix PREFIX = Ipv6Settings.defaultPrefix(SwitchConfig.DEFAULT_SUBNET,
            SwitchConfig.DEFAULT_GATEWAY_MAC);
    static final String GATEWAY6 = PREFIX.host(2).toString();
    static final String GATEWAY_LL = Ipv6Address.linkLocalFromMac(MacAddress.parse(GATEWAY_MAC).bits()).toString();

    /** The text every address of the prefix starts with, e.g. "fd8c:1d2e:3f40:0:". */
    static String prefixText() {
        String n = PREFIX.network().toString(); // "fdxx:xxxx:xxxx::"
        return n.substring(0, n.length() - 1);
    }

    private static SwitchProcess startSwitch(Closer c, Path dir, HermeticDns dns, String... extra) {
        List<String> args = new ArrayList<>(List.of("--listen", dir.resolve("net.sock").toString(),
                "--api", dir.resolve("api.sock").toString()));
        args.addAll(dns.switchArgs());
        args.addAll(List.of(extra));
        SwitchProcess sw = SwitchProcess.start(args);
        c.add(sw::stop);
        return sw;
    }

    static JsonNode stats(Path dir) {
        Exec.Result r = Exec.run(Duration.ofSeconds(15), List.of("curl", "-sS", "--max-time", "10",
                "--unix-socket", dir.resolve("api.sock").toString(), "http://localhost/stats")).assertOk();
        try {
            return new ObjectMapper().readTree(r.output());
        } catch (java.io.IOException e) {
            throw new AssertionError("stats not JSON: " + r.output(), e);
        }
    }

    static String metrics(Path dir) {
        return Exec.run(Duration.ofSeconds(15), List.of("curl", "-sS", "--max-time", "10", "--unix-socket",
                dir.resolve("api.sock").toString(), "http://localhost/metrics")).assertOk().output();
    }

    /** Polls {@code what} until it holds or {@code timeout} passes; returns the last value seen. */
    static String await(Supplier<String> what, java.util.function.Predicate<String> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = what.get();
        while (!done.test(last) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            last = what.get();
        }
        return last;
    }

    /** The QEMU guest's global IPv6 addresses in the prefix (DAD done), waiting for one. */
    static String qemuAddress(QemuGuest g) {
        String out = await(() -> g.sh("ip -6 -o addr show dev eth0 scope global", Duration.ofSeconds(10)).output(),
                o -> o.contains("inet6 " + prefixText()) && !o.contains("tentative"), Duration.ofSeconds(60));
        for (String f : out.split("\\s+")) {
            if (f.startsWith(prefixText())) {
                return f.substring(0, f.indexOf('/'));
            }
        }
        throw new AssertionError(g.name() + ": no address in " + PREFIX + ":\n" + out);
    }

    /**
     * Issue acceptance: a QEMU guest and a namespace guest get a ULA address from the prefix, a default route via the
     * gateway's link-local address and the RDNSS server and search list (read with rdisc6 in the namespace, and in
     * both as their kernels pass them to user space, with testtools/rdnss); {@code
     * dig AAAA lima-NAME.internal @GATEWAY6} from one finds the other, and reverse; they ping each other and the
     * gateway over IPv6; /stats counts it.
     */
    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void guestsTakeSlaacAddressesAndFindEachOtherOverIpv6() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), HOSTS, SEARCH));
            SwitchProcess sw = startSwitch(c, dir, dns);
            String sock = "unix:" + dir.resolve("net.sock");
            QemuGuest vm1 = c.add(QemuGuest.start(QemuGuest.Options.dhcp(sock, "lima-vm1")));
            NamespaceGuest vm2 = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).withSlaac()));
            vm2.dhcp("lima-vm2");

            // The namespace guest: an address from the prefix by SLAAC (its modified EUI-64), the default route.
            List<String> v6 = vm2.awaitIpv6Address(prefixText(), Duration.ofSeconds(30));
            String vm2Address = v6.get(0);
            String eui64 = PREFIX.host(Ipv6Address.interfaceIdFromMac(MacAddress.parse(vm2.mac()).bits())).toString();
            assertTrue(v6.contains(eui64), "SLAAC address " + eui64 + " expected among " + v6);
            String routes = vm2.exec(Duration.ofSeconds(10), "ip", "-6", "route", "show", "default").assertOk()
                    .output();
            assertTrue(routes.contains("via " + GATEWAY_LL + " dev tap0"), "default route via the gateway:\n" + routes);
            // What the Router Advertisement says, as the guest receives it (rdisc6 solicits one).
            Exec.Result ra = vm2.exec(Duration.ofSeconds(20), "rdisc6", "-1", "-w", "3000", "tap0").assertOk();
            String raText = ra.output();
            assertTrue(raText.matches("(?s).*Recursive DNS server\\s*:\\s*" + GATEWAY6 + "\\b.*"), "RDNSS:\n" + raText);
            assertTrue(raText.matches("(?s).*DNS search list\\s*:\\s*corp\\.test\\s+lab\\.test.*"), "DNSSL:\n" + raText);
            assertTrue(raText.matches("(?s).*Prefix\\s*:\\s*" + PREFIX + ".*"), "prefix:\n" + raText);
            assertTrue(raText.matches("(?s).*MTU\\s*:\\s*1500 bytes.*"), "MTU:\n" + raText);
            assertTrue(raText.matches("(?s).*Router lifetime\\s*:\\s*1800 \\(0x00000708\\) seconds.*"), raText);
            assertTrue(raText.contains("from " + GATEWAY_LL), "from the link-local address:\n" + raText);
            // And what the guest's own kernel hands to a resolver daemon (rdnssd, systemd-networkd) from the RA.
            assertKernelPassesRdnss(vm2, TestTools.rdnss() + " tap0 5000");

            // The QEMU guest: the kernel's SLAAC with no configuration at all.
            QemuGuest.awaitReady(vm1, Duration.ofSeconds(300));
            String vm1Address = qemuAddress(vm1);
            String routes1 = vm1.sh("ip -6 route", Duration.ofSeconds(10)).output();
            assertTrue(routes1.contains("default via " + GATEWAY_LL + " dev eth0"), "vm1 default route:\n" + routes1);
            // The DNS server: Linux never applies RDNSS itself and busybox has no daemon that reads it; the guest's
            // kernel passes the RA's RDNSS and DNSSL options up to user space, where testtools/rdnss reads them.
            assertKernelPassesRdnss(vm1, "rdnss eth0 5000");

            // Over IPv6: each other, the gateway's two addresses.
            vm1.assertPings(GATEWAY6, 2);
            vm1.assertPings(vm2Address, 2);
            vm2.assertPings(vm1Address, 2);
            vm2.assertPings(GATEWAY6, 2);
            vm2.assertPings(GATEWAY_LL + "%tap0", 2);

            // Names: AAAA of the other VM through the gateway's IPv6 address (once the gateway has heard the
            // address: snooped duplicate address detection, confirmed by a probe, or its traffic above).
            String answer = await(() -> String.join(" ", Dig.run6(vm2, "@" + GATEWAY6, "lima-vm1.internal", "AAAA")
                    .reply().data("AAAA")), a -> a.contains(vm1Address), Duration.ofSeconds(20));
            assertTrue(answer.contains(vm1Address), "AAAA of lima-vm1 from vm2: " + answer);
            Dig d = Dig.run6(vm2, "@" + GATEWAY6, "lima-vm1.internal", "AAAA");
            assertEquals(GATEWAY6 + "#53(" + GATEWAY6 + ")", d.reply().server(), "asked over IPv6");
            assertTrue(d.reply().flags().contains("aa"), d.toString());
            assertEquals(List.of("lima-vm1.internal."), Dig.run6(vm2, "@" + GATEWAY6, "-x", vm1Address).reply()
                    .data("PTR"));
            assertEquals(List.of(vm1.ip()), Dig.run6(vm2, "@" + GATEWAY6, "lima-vm1.internal", "A").reply()
                    .data("A"), "A and AAAA from the same name");
            String n = await(() -> vm1.sh("nslookup -type=aaaa lima-vm2.internal " + GATEWAY6, Duration.ofSeconds(20))
                    .output(), o -> o.contains(vm2Address), Duration.ofSeconds(20));
            assertTrue(n.contains(vm2Address), "vm1: AAAA of lima-vm2 through " + GATEWAY6 + ":\n" + n);

            JsonNode v6stats = stats(dir).path("ipv6");
            assertEquals(PREFIX.toString(), v6stats.path("prefix").asText(), v6stats.toString());
            assertTrue(v6stats.path("routerAdvertisementsSent").asLong() >= 2, v6stats.toString());
            assertTrue(v6stats.path("neighborsLearned").asLong() >= 2, v6stats.toString());
            assertTrue(v6stats.path("echoRepliesSent").asLong() >= 4, v6stats.toString());
            assertTrue(sw.isAlive(), sw.output());
        }
    }

    /**
     * Runs testtools/rdnss ({@code command}: it solicits a Router Advertisement and prints the RDNSS and DNSSL options
     * the guest's kernel passes to user space, RTM_NEWNDUSEROPT) and checks they name the gateway's IPv6 address and
     * the search list, from the gateway's link-local address.
     */
    static void assertKernelPassesRdnss(Guest g, String command) {
        String out = g.sh(command, Duration.ofSeconds(20)).assertOk().output();
        assertTrue(out.matches("(?s).*rdnss from=" + Pattern.quote(GATEWAY_LL) + " lifetime=[1-9]\\d* servers="
                + Pattern.quote(GATEWAY6) + "\\s*(\\R.*)?"), g.name() + ": RDNSS as the kernel passes it up:\n" + out);
        assertTrue(out.matches("(?s).*dnssl from=" + Pattern.quote(GATEWAY_LL)
                + " lifetime=[1-9]\\d* domains=corp\\.test,lab\\.test\\s*(\\R.*)?"), g.name() + ": DNSSL:\n" + out);
    }

    /**
     * A raw port throws malformed IPv6 at the gateway (extension-header chains it must refuse, Neighbor Discovery
     * with a zero-length option, a flood of fragments) while one guest pings another over IPv6: every bad frame is
     * dropped and counted under its reason, and not one ping is lost.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void malformedIpv6IsDroppedAndCountedWhileGuestsKeepPinging() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), HOSTS, SEARCH));
            SwitchProcess sw = startSwitch(c, dir, dns);
            String sock = "unix:" + dir.resolve("net.sock");
            NamespaceGuest a = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.10/24")
                    .withSlaac()));
            NamespaceGuest b = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.11/24")
                    .withSlaac()));
            a.awaitIpv6Address(prefixText(), Duration.ofSeconds(30));
            String bAddress = b.awaitIpv6Address(prefixText(), Duration.ofSeconds(30)).get(0);
            a.assertPings(bAddress, 2);

            LoggedProcess ping = a.spawn("ping6", "ping", "-6", "-c", "40", "-i", "0.2", "-W", "2", bAddress);
            RawPort raw = c.add(RawPort.connect(sock, "52:55:55:66:66:66", "192.168.104.66"));
            Ipv6Burst burst = Ipv6Burst.against(raw, PREFIX, MacAddress.parse(GATEWAY_MAC));
            int chains = burst.badChains(100);
            int ndp = burst.ndpWithZeroLengthOptions(100);
            int fragments = burst.fragments(2000);
            assertTrue(ping.awaitExit(Duration.ofSeconds(40)).isPresent(), "ping did not finish:\n" + ping.output());
            String out = ping.output();
            assertTrue(out.contains("40 packets transmitted, 40 received"), "pings lost during the burst:\n" + out);

            // The fragments (to the gateway, never completing) are reassembled up to the port's quota, 16 packets
            // of 8 fragments held; every later one is refused at that quota, and the other guests are unaffected.
            int held = 16 * 8;
            String m = await(() -> metrics(dir), x -> counter(x, "fragment_owner_limit") >= fragments - held,
                    Duration.ofSeconds(10));
            assertEquals(fragments - held, counter(m, "fragment_owner_limit"), m);
            assertEquals(ndp, counter(m, "ndp_invalid"), m);
            assertEquals(chains, counter(m, "ipv6_malformed") + counter(m, "ipv6_unsupported"), m);
            assertTrue(sw.isAlive(), sw.output());
            a.assertPings(bAddress, 2);
        }
    }

    /** The value of {@code userv2_gateway_drops_total{reason="REASON"}}, 0 when absent. */
    static long counter(String metrics, String reason) {
        String key = "userv2_gateway_drops_total{reason=\"" + reason + "\"} ";
        for (String line : metrics.split("\n")) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.substring(key.length()).trim());
            }
        }
        return 0;
    }

    /**
     * {@code --ipv6=off}: no Router Advertisement (rdisc6 hears none), no address beyond link-local, the gateway
     * answers no Neighbor Solicitation; guests still reach each other by their link-local addresses through the
     * switch, which floods IPv6 multicast as it always did; /stats has no ipv6 section.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void ipv6OffKeepsTheGatewayIpv4OnlyAndTheLanSwitchingIpv6() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), HOSTS, SEARCH));
            startSwitch(c, dir, dns, "--ipv6=off");
            String sock = "unix:" + dir.resolve("net.sock");
            NamespaceGuest a = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.10/24")
                    .withSlaac()));
            NamespaceGuest b = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.11/24")
                    .withSlaac()));
            a.awaitIpv6Address("fe80:", Duration.ofSeconds(20));
            b.awaitIpv6Address("fe80:", Duration.ofSeconds(20));
            Exec.Result ra = a.exec(Duration.ofSeconds(20), "rdisc6", "-1", "-r", "2", "-w", "1500", "tap0");
            assertFalse(ra.ok(), "a Router Advertisement with --ipv6=off:\n" + ra);
            assertTrue(ra.output().contains("No response"), "rdisc6 must have solicited and heard nothing:\n" + ra);
            String bLinkLocal = Ipv6Address.linkLocalFromMac(MacAddress.parse(b.mac()).bits()).toString();
            a.assertPings(bLinkLocal + "%tap0", 3);
            assertFalse(a.ping(GATEWAY_LL + "%tap0", 2).received() > 0, "the gateway answered IPv6");
            String global = a.exec(Duration.ofSeconds(10), "ip", "-6", "-o", "addr", "show", "dev", "tap0", "scope",
                    "global").output();
            assertTrue(global.isBlank(), "a global address without a router:\n" + global);
            assertTrue(stats(dir).path("ipv6").isMissingNode(), "an ipv6 section with --ipv6=off");
        }
    }
}
