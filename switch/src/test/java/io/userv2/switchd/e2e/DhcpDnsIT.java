package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DHCP and DNS at the gateway as a user sees them, with guests that boot with no network configuration at all
 * (busybox udhcpc applies the lease: address, MTU, default route, resolver file). Everything DNS is hermetic:
 * names come from the switch's internal zone, the test's hosts file ({@code --host-resolver hosts}) and a
 * {@link LocalUpstream} on 127.0.0.1; the machine's resolver is never asked.
 */
class DhcpDnsIT {
    private static final List<String> SEARCH = List.of("corp.test", "lab.test");
    private static final String HOSTS = """
            # the test's "host resolver"
            198.51.100.7   files.test
            198.51.100.17  alias-one.test alias-two.test
            """;

    private static SwitchProcess startSwitch(Closer c, Path dir, HermeticDns dns, String... extra) {
        List<String> args = new ArrayList<>(List.of("--listen", dir.resolve("net.sock").toString()));
        args.addAll(dns.switchArgs());
        args.addAll(List.of(extra));
        SwitchProcess sw = SwitchProcess.start(args);
        c.add(sw::stop);
        return sw;
    }

    private static String console(QemuGuest g, String script) {
        return g.sh(script, Duration.ofSeconds(30)).output();
    }

    /**
     * Issue acceptance: a real VM (QEMU, -netdev stream) and a namespace guest, both unconfigured, get leases; routes
     * and resolvers point at the gateway; they find each other by lima-NAME.internal (busybox nslookup through
     * /etc/resolv.conf in the VM; busybox nslookup and dig through the resolver file in the namespace); the host alias,
     * the hosts file, forwarded TXT/MX and an unowned name under internal. all answer; option 119 is the test
     * resolv.conf's search line and option 26 the switch's MTU, applied to the interfaces.
     */
    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void unconfiguredGuestsGetLeasesAndFindEachOtherByName() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), HOSTS, SEARCH));
            dns.upstream().addTxt("txt.corp.test", "hello from the local upstream")
                    .addMx("mail.corp.test", 10, "mx.corp.test")
                    .addA("foo.corp.internal", "198.51.100.8");
            SwitchProcess sw = startSwitch(c, dir, dns, "--mtu", "4000");
            String sock = "unix:" + dir.resolve("net.sock");

            // vm1 boots (slow under TCG) while vm2, a namespace guest, takes its lease.
            QemuGuest vm1 = c.add(QemuGuest.start(QemuGuest.Options.dhcp(sock, "lima-vm1")));
            NamespaceGuest vm2 = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock)));
            DhcpLease l2 = vm2.dhcp("lima-vm2");
            QemuGuest.awaitReady(vm1, Duration.ofSeconds(300));
            DhcpLease l1 = vm1.lease();

            // The leases: distinct addresses in the subnet, everything pointing at the gateway.
            for (DhcpLease l : List.of(l1, l2)) {
                assertTrue(l.ip().startsWith("192.168.104."), l.toString());
                assertNotEquals(GATEWAY_IP, l.ip(), l.toString());
                assertEquals("24", l.mask(), "prefix length: " + l);
                assertEquals(GATEWAY_IP, l.router(), "router option: " + l);
                assertEquals(List.of(GATEWAY_IP), l.dns(), "DNS server option: " + l);
                assertEquals(GATEWAY_IP, l.serverId(), "server identifier: " + l);
                assertEquals("3600", l.leaseSeconds(), "lease time: " + l);
                assertEquals(SEARCH, l.search(), "domain search option (119) must be the resolv.conf search line: " + l);
                assertEquals("4000", l.mtu(), "interface MTU option (26) must be the switch's --mtu: " + l);
                assertEquals(List.of(GATEWAY_IP), l.nameservers(), "resolver file written from the lease: " + l);
                assertEquals(SEARCH, l.resolvSearch(), "search line of the resolver file: " + l);
            }
            assertNotEquals(l1.ip(), l2.ip(), "two guests got the same address");

            // What the lease did to the guests: MTU applied, default route via the gateway.
            assertEquals("4000", console(vm1, "cat /sys/class/net/eth0/mtu").trim(), "vm1 interface MTU");
            String routes1 = console(vm1, "ip route");
            assertTrue(routes1.contains("default via " + GATEWAY_IP), "vm1 default route:\n" + routes1);
            assertEquals("4000", vm2.sh("cat /sys/class/net/tap0/mtu", Duration.ofSeconds(10)).assertOk().output().trim(), "vm2 MTU");
            String routes2 = vm2.sh("ip route", Duration.ofSeconds(10)).assertOk().output();
            assertTrue(routes2.contains("default via " + GATEWAY_IP), "vm2 default route:\n" + routes2);
            vm1.assertPings(GATEWAY_IP, 2);
            vm1.assertPings(vm2.ip(), 2);
            // Frames near the new MTU cross the LAN: 3000 bytes of ICMP data in one 3042-byte frame.
            Exec.Result big = vm2.sh("busybox ping -c 2 -i 0.3 -W 3 -w 10 -s 3000 " + vm1.ip(), Duration.ofSeconds(20));
            assertTrue(big.output().contains("2 packets received"), "3000-byte pings vm2 -> vm1 at MTU 4000: " + big);

            // vm1 -> vm2 by name, through /etc/resolv.conf (busybox nslookup takes the server from it).
            String n = console(vm1, "nslookup -type=a lima-vm2.internal");
            assertTrue(n.contains(GATEWAY_IP), "vm1 asked someone other than the gateway:\n" + n);
            assertTrue(n.contains("Address: " + vm2.ip()), "vm1: lima-vm2.internal should be " + vm2.ip() + ":\n" + n);
            // ... and names are case-insensitive.
            n = console(vm1, "nslookup -type=a LIMA-VM2.Internal");
            assertTrue(n.contains("Address: " + vm2.ip()), "vm1: LIMA-VM2.Internal:\n" + n);
            // vm2 -> vm1 by name, through the resolver file its DHCP script wrote.
            Exec.Result r = vm2.exec(Duration.ofSeconds(20), "busybox", "nslookup", "-type=a", "lima-vm1.internal");
            assertTrue(r.output().contains("Address: " + vm1.ip()), "vm2: lima-vm1.internal should be " + vm1.ip() + ": " + r);
            Dig d = Dig.run(vm2, "lima-vm1.internal", "A");
            assertEquals(GATEWAY_IP + "#53(" + GATEWAY_IP + ")", d.reply().server(), "dig's server comes from the resolver file");
            assertEquals(List.of(vm1.ip()), d.reply().data("A"), d.toString());
            assertTrue(d.reply().flags().contains("aa"), "internal names are answered authoritatively: " + d);
            // An owned name asked for a type it has no data for: NODATA (NOERROR, no records), answered here, not forwarded.
            d = Dig.run(vm2, "lima-vm1.internal", "AAAA");
            assertEquals("NOERROR", d.reply().status(), d.toString());
            assertEquals(0, d.reply().answerCount(), d.toString());
            assertFalse(dns.upstream().questions().contains("lima-vm1.internal. AAAA"), "owned name forwarded: " + dns.upstream().questions());
            // Reverse names of the VMs.
            d = Dig.run(vm2, "-x", vm1.ip());
            assertEquals(List.of("lima-vm1.internal."), d.reply().data("PTR"), d.toString());

            // The host alias.
            n = console(vm1, "nslookup -type=a host.lima.internal");
            assertTrue(n.contains("Address: " + GATEWAY_IP), "host.lima.internal from vm1:\n" + n);
            assertEquals(List.of(GATEWAY_IP), Dig.run(vm2, "host.lima.internal").reply().data("A"));

            // The host resolver (here: the hosts file), from both.
            n = console(vm1, "nslookup -type=a files.test");
            assertTrue(n.contains("Address: 198.51.100.7"), "files.test (hosts file) from vm1:\n" + n);
            assertEquals(List.of("198.51.100.17"), Dig.run(vm2, "alias-two.test").reply().data("A"), "alias in the hosts file");

            // Other types are looked up upstream and come back: TXT in vm1, MX in vm2.
            n = console(vm1, "nslookup -type=txt txt.corp.test");
            assertTrue(n.contains("hello from the local upstream"), "TXT from the local upstream via vm1's resolver:\n" + n);
            d = Dig.run(vm2, "mail.corp.test", "MX");
            assertEquals("NOERROR", d.reply().status(), d.toString());
            assertEquals(List.of("10 mx.corp.test."), d.reply().data("MX"), d.toString());
            assertTrue(dns.upstream().questions().contains("txt.corp.test. TXT"), "upstream saw " + dns.upstream().questions());
            assertTrue(dns.upstream().questions().contains("mail.corp.test. MX"), "upstream saw " + dns.upstream().questions());

            // A name under internal. the gateway does not own is forwarded (Lima #2417, #3161), not NXDOMAIN.
            n = console(vm1, "nslookup -type=a foo.corp.internal");
            assertTrue(n.contains("Address: 198.51.100.8"), "foo.corp.internal (served upstream) from vm1:\n" + n);
            d = Dig.run(vm2, "foo.corp.internal");
            assertEquals(List.of("198.51.100.8"), d.reply().data("A"), d.toString());
            assertTrue(dns.upstream().questions().contains("foo.corp.internal. A"), "upstream saw " + dns.upstream().questions());
            // ... and an unknown one gets the upstream's NXDOMAIN (it was asked).
            d = Dig.run(vm2, "nosuch.corp.internal");
            assertEquals("NXDOMAIN", d.reply().status(), d.toString());
            assertTrue(dns.upstream().questions().contains("nosuch.corp.internal. A"), "upstream saw " + dns.upstream().questions());

            // The lease table on disk (default: beside the socket) names both VMs.
            String leases = read(dir.resolve("net.leases.json"));
            for (Guest g : List.of(vm1, vm2)) {
                assertTrue(leases.contains(g.mac()) && leases.contains(g.ip()), "leases file lacks " + g + ":\n" + leases);
            }
            assertTrue(leases.contains("lima-vm1") && leases.contains("lima-vm2"), "hostnames not kept:\n" + leases);
            assertTrue(sw.isAlive(), sw.output());
        }
    }

    /**
     * Over UDP an answer is cut to 512 bytes (no EDNS0) or the client's EDNS0 size, with TC set; the whole answer
     * comes when it fits. Both for names the gateway answers itself (40 A records in the hosts file) and for
     * forwarded ones (the upstream's TXT records).
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void udpAnswersThatDoNotFitAreTruncated() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            StringBuilder hosts = new StringBuilder(HOSTS);
            IntStream.rangeClosed(1, 40).forEach(i -> hosts.append("198.51.100.").append(100 + i).append(" many.test\n"));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), hosts.toString(), SEARCH));
            for (int i = 0; i < 30; i++) {
                dns.upstream().addTxt("big.corp.test", String.format("record %02d ", i) + "x".repeat(100));
            }
            startSwitch(c, dir, dns);
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured("unix:" + dir.resolve("net.sock"))));
            g.dhcp("lima-trunc");

            // 40 A records need ~670 bytes: too big for plain DNS over UDP.
            Dig d = Dig.run(g, "+ignore", "+noedns", "many.test");
            Dig.Reply r = d.reply();
            assertTrue(r.truncated(), "no TC on a 40-record answer over UDP without EDNS0: " + d);
            assertTrue(r.answerCount() < 40, "truncated answer should carry fewer than 40 records: " + d);
            assertTrue(r.size() <= 512, "UDP answer without EDNS0 above 512 bytes: " + d);
            // With EDNS0 and room for it, all of it and no TC.
            d = Dig.run(g, "+ignore", "+bufsize=1232", "many.test");
            assertFalse(d.reply().truncated(), d.toString());
            assertEquals(40, d.reply().data("A").size(), d.toString());
            // A small EDNS0 size is honoured too (below 512 counts as 512).
            d = Dig.run(g, "+ignore", "+bufsize=600", "many.test");
            assertTrue(d.reply().truncated() && d.reply().size() <= 600, "EDNS0 size 600 not honoured: " + d);

            // Forwarded: ~3.5 KB of TXT. Without EDNS0 the client gets TC within 512 bytes...
            d = Dig.run(g, "+ignore", "+noedns", "big.corp.test", "TXT");
            assertTrue(d.reply().truncated() && d.reply().size() <= 512, "forwarded TXT without EDNS0: " + d);
            // ... and with a 4096-byte EDNS0 buffer (more than one LAN datagram carries at MTU 1500) it is still cut.
            d = Dig.run(g, "+ignore", "+bufsize=4096", "big.corp.test", "TXT");
            assertTrue(d.reply().truncated(), "3.5 KB TXT answer over UDP came back without TC: " + d);
            assertTrue(d.reply().size() <= 4096 && d.reply().data("TXT").size() < 30, d.toString());
            assertTrue(dns.upstream().questions().contains("big.corp.test. TXT"), "upstream saw " + dns.upstream().questions());
        }
    }

    /**
     * Issue 14, negative answers resolvers can cache (systemd-resolved caches an NXDOMAIN for every type of the
     * name): a hosts-file name with only an IPv4 address asked AAAA is NOERROR with no answer and an SOA owned by the
     * name, answered at the gateway (the local upstream never sees it); {@code lima.internal}, a parent of the
     * gateway's names, is NOERROR (RFC 8020); a name under {@code internal.} nobody has is NXDOMAIN with
     * {@code internal.}'s SOA; local answers and the SOA's negative TTL are {@code --dns-local-ttl}.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void negativeAnswersCarryAnSoaAndNeverDenyAnExistingName() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), HOSTS + "198.51.100.20  fixed.test\n", SEARCH));
            startSwitch(c, dir, dns, "--dns-local-ttl", "7");
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured("unix:" + dir.resolve("net.sock"))));
            g.dhcp("lima-neg");
            String at = "@" + GATEWAY_IP;

            Dig d = Dig.run(g, at, "fixed.test", "AAAA");
            assertEquals("NOERROR", d.reply().status(), d.toString());
            assertEquals(0, d.reply().answerCount(), d.toString());
            List<String[]> soa = d.reply().authority("SOA");
            assertEquals(1, soa.size(), "one SOA in the authority section: " + d);
            assertEquals("fixed.test.", soa.get(0)[0], "SOA owner must be the name or a suffix of it: " + d);
            assertEquals("7", soa.get(0)[1], "SOA TTL: " + d);
            assertTrue(soa.get(0)[4].endsWith(" 7"), "SOA MINIMUM (the negative TTL): " + d);
            assertTrue(dns.upstream().questions().stream().noneMatch(q -> q.toLowerCase().startsWith("fixed.test.")),
                    "a hosts-file name was forwarded: " + dns.upstream().questions());
            d = Dig.run(g, at, "fixed.test", "A");
            assertEquals(List.of("198.51.100.20"), d.reply().data("A"), d.toString());
            assertEquals(List.of(7L), d.reply().ttls("A"), "host-resolver answers carry --dns-local-ttl: " + d);
            assertEquals(List.of(7L), Dig.run(g, at, "host.lima.internal").reply().ttls("A"), "internal names too");

            d = Dig.run(g, at, "lima.internal");
            assertEquals("NOERROR", d.reply().status(), "empty non-terminal: " + d);
            assertEquals(0, d.reply().answerCount(), d.toString());
            assertEquals("internal.", d.reply().authority("SOA").get(0)[0], d.toString());
            d = Dig.run(g, at, "nosuch.internal");
            assertEquals("NXDOMAIN", d.reply().status(), d.toString());
            assertEquals("internal.", d.reply().authority("SOA").get(0)[0], "the zone's SOA with the NXDOMAIN: " + d);
            assertTrue(dns.upstream().questions().contains("nosuch.internal. A"), "still asked upstream: " + dns.upstream().questions());
        }
    }

    /**
     * Leases survive a restart of the switch (same socket, same default leases file): a VM that comes back gets
     * its address again, even when it is not the first free one, and the names of VMs that have not come back yet
     * still answer.
     */
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void leasesAndNamesSurviveASwitchRestart() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        String macA = E2e.randomMac();
        String macB = E2e.randomMac();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), HOSTS, SEARCH));
            String sock = "unix:" + dir.resolve("net.sock");
            String ipA;
            String ipB;
            SwitchProcess first = SwitchProcess.start(withDns(dir, dns));
            try {
                try (NamespaceGuest a = NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).mac(macA));
                        NamespaceGuest b = NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).mac(macB))) {
                    ipA = a.dhcp("lima-a").ip();
                    ipB = b.dhcp("lima-b").ip();
                }
            } finally {
                first.stop();
            }
            assertNotEquals(ipA, ipB);
            assertTrue(Frames.ip(ipA)[3] < Frames.ip(ipB)[3], "expected " + ipA + " (first) below " + ipB);
            Path leasesFile = dir.resolve("net.leases.json");
            String saved = read(leasesFile);
            assertTrue(saved.contains(macA) && saved.contains(macB), "leases file after stop:\n" + saved);
            try (var files = Files.list(dir)) {
                List<String> names = files.map(p -> p.getFileName().toString()).toList();
                assertTrue(names.stream().noneMatch(n -> n.startsWith("net.leases") && !n.equals("net.leases.json")),
                        "temporary lease files left behind by the atomic writes: " + names);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }

            SwitchProcess second = startSwitch(c, dir, dns);
            // B comes back first: it must not get A's (lower, "first free") address, but its own.
            NamespaceGuest b = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).mac(macB)));
            assertEquals(ipB, b.dhcp("lima-b").ip(), "after a restart, " + macB + " got a different address; leases file:\n" + saved);
            // A has not asked yet, but its name is still known (the lease is still valid).
            Dig d = Dig.run(b, "lima-a.internal");
            assertEquals(List.of(ipA), d.reply().data("A"), "name of a VM with a restored lease: " + d + "\nswitch log:\n" + second.output());
            NamespaceGuest a = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).mac(macA)));
            assertEquals(ipA, a.dhcp("lima-a").ip(), "after a restart, " + macA + " got a different address");
            a.assertPings(b.ip(), 2);
            assertEquals(List.of(ipB), Dig.run(a, "lima-b.internal").reply().data("A"));
        }
    }

    /** {@code --lease IP=MAC} and {@code --leases ip=mac,...} pin addresses; {@code --dns-host NAME=IP} names answer. */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void staticLeasesAndDnsHosts() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        String macS = E2e.randomMac();
        String macT = E2e.randomMac();
        String macU = E2e.randomMac();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), HOSTS, SEARCH));
            startSwitch(c, dir, dns, "--lease", "192.168.104.50=" + macS,
                    "--leases", "192.168.104.60=" + macT + ",192.168.104.61=" + macU.toUpperCase(),
                    "--dns-host", "build.test=198.51.100.9", "--dns-host", "registry.corp.internal=198.51.100.10");
            String sock = "unix:" + dir.resolve("net.sock");
            NamespaceGuest dyn = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock)));
            String dynIp = dyn.dhcp("lima-dyn").ip();
            assertFalse(List.of("192.168.104.50", "192.168.104.60", "192.168.104.61").contains(dynIp),
                    "a dynamic lease took a static address: " + dynIp);
            NamespaceGuest s = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).mac(macS)));
            assertEquals("192.168.104.50", s.dhcp("lima-s").ip(), "--lease 192.168.104.50=" + macS);
            NamespaceGuest u = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).mac(macU)));
            assertEquals("192.168.104.61", u.dhcp("lima-u").ip(), "--leases ...,192.168.104.61=" + macU.toUpperCase());
            NamespaceGuest t = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(sock).mac(macT)));
            assertEquals("192.168.104.60", t.dhcp(null).ip(), "--leases 192.168.104.60=" + macT + ",...");
            s.assertPings(u.ip(), 2);

            assertEquals(List.of("198.51.100.9"), Dig.run(dyn, "build.test").reply().data("A"), "--dns-host build.test");
            assertEquals(List.of("198.51.100.9"), Dig.run(dyn, "BUILD.Test").reply().data("A"), "names are case-insensitive");
            assertEquals(List.of("198.51.100.10"), Dig.run(dyn, "registry.corp.internal").reply().data("A"), "--dns-host under internal.");
            assertEquals(List.of("192.168.104.50"), Dig.run(dyn, "lima-s.internal").reply().data("A"), "DHCP name of a static lease");
            assertEquals(List.of(dynIp), Dig.run(s, "lima-dyn.internal").reply().data("A"));
        }
    }

    private static List<String> withDns(Path dir, HermeticDns dns) {
        List<String> args = new ArrayList<>(List.of("--listen", dir.resolve("net.sock").toString()));
        args.addAll(dns.switchArgs());
        return args;
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
