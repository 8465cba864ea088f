package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14: DNS and DHCP as systemd-resolved and systemd-networkd (Lima's default guests) expect, checked in one real
 * Debian 12 guest under systemd ({@link SystemdGuest}, booted once for the class) through {@code resolvectl},
 * {@code getent} (glibc through libnss-resolve) and {@code dig}. The switch's host resolver is a hosts file with an
 * IPv4-only and an IPv6-only name; its upstream is a {@link LocalUpstream} on 127.0.0.1 that, like real upstreams,
 * puts an SOA in every negative answer (so resolved caches an NXDOMAIN it is given, for every type of the name). The
 * switch captures everything ({@code --pcap}) for the DHCP checks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SystemdGuestIT {
    private static final String HOSTS = """
            # the test's "host resolver": one name per family
            198.51.100.20 fixed.test
            2001:db8::20 v6only.test
            """;
    private static final Duration CMD = Duration.ofSeconds(60);
    private static final Pattern CACHE_HITS = Pattern.compile("Cache Hits:\\s*(\\d+)");
    private static final Pattern STATUS = Pattern.compile("status: (\\S+),");
    private static final Pattern COUNTS = Pattern.compile("ANSWER: (\\d+), AUTHORITY: (\\d+)");

    private final Closer closer = new Closer();
    private HermeticDns dns;
    private Path pcap;
    private SystemdGuest vm;

    @BeforeAll
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    void bootGuest() {
        E2e.requireRootAndTools("debootstrap", "mke2fs");
        Path dir = E2e.socketDir();
        closer.add(() -> E2e.deleteTree(dir));
        // Built (or taken from the cache) before the switch starts: the build may take minutes.
        SystemdGuest.image();
        dns = closer.add(HermeticDns.create(dir.resolve("dns"), HOSTS, List.of()));
        dns.upstream().negativeSoa();
        pcap = E2e.workdir().resolve("systemd-guest-" + E2e.randomHex(3) + ".pcap");
        List<String> args = new ArrayList<>(List.of("--listen", dir.resolve("net.sock").toString(), "--pcap", pcap.toString()));
        args.addAll(dns.switchArgs());
        if (switchHasOption("--dhcp-lease-time")) {
            // Short leases: networkd renews (and the capture holds more ACKs) while the tests run.
            args.addAll(List.of("--dhcp-lease-time", "60"));
        }
        SwitchProcess sw = SwitchProcess.start(args);
        closer.add(sw::stop);
        vm = closer.add(SystemdGuest.boot("unix:" + dir.resolve("net.sock"), E2e.randomMac(), Duration.ofMinutes(6)));
    }

    @AfterAll
    void shutDown() {
        closer.close();
    }

    /** True when the switch's --help lists {@code option} (flags other changes add; the test runs without them). */
    private static boolean switchHasOption(String option) {
        return SwitchProcess.runExpectingExit(List.of("--help")).output().contains(option);
    }

    private Exec.Result run(String script) {
        return vm.sh(script, CMD);
    }

    private String ok(String script) {
        return run(script).assertOk().output();
    }

    /** networkd's lease: an address in the switch's subnet, the default route and the DNS server are the gateway. */
    @Test
    @Order(1)
    void networkdTakesTheLease() {
        assertTrue(vm.ip().startsWith("192.168.104."), vm.toString());
        // "configured": every part networkd runs on the link (DHCPv4, and IPv6 as the Router Advertisements ask) is done.
        String links = "";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            links = ok("networkctl list --no-pager --no-legend");
            if (links.matches("(?s).*\\sether\\s+routable\\s+configured.*")) {
                break;
            }
            pause();
        }
        assertTrue(links.matches("(?s).*\\sether\\s+routable\\s+configured.*"), "networkctl list:\n" + links);
        String route = ok("ip -4 route show default");
        assertTrue(route.contains("default via " + GATEWAY_IP), route);
        String servers = ok("resolvectl dns");
        assertTrue(servers.matches("(?s).*Link \\d+ \\(\\S+\\):.*\\b" + Pattern.quote(GATEWAY_IP) + "\\b.*"), "resolvectl dns:\n" + servers);
        String resolv = ok("readlink /etc/resolv.conf; grep ^nameserver /etc/resolv.conf");
        assertTrue(resolv.contains("nameserver 127.0.0.53"), resolv);
        // networkd sent its hostname: the switch serves it under internal.
        String self = ok("resolvectl query " + SystemdGuest.HOSTNAME + ".internal");
        assertTrue(self.contains(vm.ip()), self);
    }

    /**
     * Acceptance: a --hosts-file name with only an IPv4 address keeps resolving after the guest asked for its AAAA.
     * Before the fix the AAAA was forwarded, the upstream's NXDOMAIN (with SOA) was cached by resolved for every type
     * of the name, and the next A lookup failed. {@code getent hosts} asks AAAA first (glibc's getent), then A.
     */
    @Test
    @Order(2)
    void ipv4OnlyHostsNameSurvivesAnAaaaQuery() {
        assertKeepsResolvingAfterTheMissingFamily("fixed.test", "198.51.100.20", "A", "AAAA",
                List.of("getent hosts", "getent ahostsv4", "resolvectl query", "resolvectl query -t A"));
    }

    /** Acceptance, the other family: an IPv6-only hosts name keeps resolving after the guest asked for its A. */
    @Test
    @Order(3)
    void ipv6OnlyHostsNameSurvivesAnAQuery() {
        assertKeepsResolvingAfterTheMissingFamily("v6only.test", "2001:db8::20", "AAAA", "A",
                List.of("getent ahostsv6", "getent hosts", "resolvectl query -t AAAA", "resolvectl query"));
    }

    /**
     * With resolved's cache empty, asks {@code name} for the type it has, then for the one it lacks (through
     * resolvectl and resolved's stub), then checks that every lookup in {@code lookups} (each given the name) still
     * finds {@code address} and that the missing type was NODATA, not NXDOMAIN.
     */
    private void assertKeepsResolvingAfterTheMissingFamily(String name, String address, String has, String lacks,
            List<String> lookups) {
        ok("resolvectl flush-caches");
        String first = ok("resolvectl query -t " + has + " " + name);
        assertTrue(first.contains(address), first);
        Exec.Result missing = run("resolvectl query -t " + lacks + " " + name);
        String stub = ok("dig +time=3 +tries=2 " + lacks + " " + name + " @127.0.0.53");
        for (String lookup : lookups) {
            Exec.Result r = run(lookup + " " + name);
            assertTrue(r.ok() && r.output().contains(address),
                    "after the " + lacks + " query, " + lookup + " " + name + ":\n" + r);
        }
        assertFalse(missing.output().contains("not found"),
                lacks + " of " + name + " must be NODATA, not NXDOMAIN:\n" + missing);
        assertEquals("NOERROR", status(stub), lacks + " " + name + " through resolved's stub:\n" + stub);
    }

    /**
     * Acceptance: asked at the gateway directly, the missing family of a hosts name is NOERROR with no answer and an
     * SOA in the authority section (RFC 2308 NODATA), answered there and never forwarded upstream.
     */
    @Test
    @Order(4)
    void gatewayAnswersNodataWithSoa() {
        for (String q : List.of("AAAA fixed.test", "A v6only.test")) {
            String out = ok("dig +time=3 +tries=2 " + q + " @" + GATEWAY_IP);
            assertEquals("NOERROR", status(out), q + ":\n" + out);
            assertEquals(0, answers(out), q + ":\n" + out);
            assertTrue(authority(out).stream().anyMatch(l -> l.contains("\tSOA\t")), "no SOA in the authority section, " + q + ":\n" + out);
        }
        List<String> forwarded = dns.upstream().questions().stream()
                .filter(s -> s.toLowerCase(Locale.ROOT).startsWith("fixed.test.") || s.toLowerCase(Locale.ROOT).startsWith("v6only.test."))
                .toList();
        assertEquals(List.of(), forwarded, "questions about the hosts-file names that reached the upstream");
    }

    /**
     * Acceptance: {@code lima.internal} exists as a parent of {@code host.lima.internal}: NOERROR (RFC 8020: NXDOMAIN
     * would mean nothing exists below it) with the gateway's zone's SOA, and resolved keeps resolving the name below
     * after asking for the parent.
     */
    @Test
    @Order(5)
    void emptyNonTerminalIsNoError() {
        ok("resolvectl flush-caches");
        run("resolvectl query lima.internal");
        String host = ok("resolvectl query host.lima.internal");
        // host.lima.internal is the gateway (the host alias): its IPv4 address, beside its IPv6 one (IPv6 is on)
        assertTrue(host.contains("host.lima.internal: ") && host.contains(GATEWAY_IP), host);
        String parent = ok("dig +time=3 +tries=2 lima.internal @" + GATEWAY_IP);
        assertEquals("NOERROR", status(parent), "lima.internal:\n" + parent);
        // The gateway's own zone's SOA (a forwarded answer would carry the upstream's, owned by ".").
        assertTrue(authority(parent).stream().anyMatch(l -> l.contains("\tSOA\t") && l.split("\\s+")[0].endsWith("internal.")),
                "no SOA of the gateway's zone with lima.internal's NODATA:\n" + parent);
    }

    /**
     * Acceptance: resolved caches the gateway's answers: their TTL is positive and the second query of a name is a
     * cache hit ({@code resolvectl statistics}).
     */
    @Test
    @Order(6)
    void resolvedCachesTheGatewaysAnswers() {
        for (String name : List.of("fixed.test", "host.lima.internal")) {
            String direct = ok("dig +time=3 +tries=2 +noall +answer " + name + " @" + GATEWAY_IP);
            String[] f = direct.trim().split("\\s+");
            assertTrue(f.length >= 5 && Integer.parseInt(f[1]) > 0, "TTL of " + name + " at the gateway must be positive:\n" + direct);
            String stats = ok("resolvectl flush-caches; resolvectl reset-statistics; resolvectl query -t A " + name
                    + " >/dev/null; resolvectl query -t A " + name + " >/dev/null; resolvectl statistics");
            Matcher m = CACHE_HITS.matcher(stats);
            assertTrue(m.find(), stats);
            assertTrue(Integer.parseInt(m.group(1)) >= 1, "the repeated query of " + name + " was not a cache hit:\n" + stats);
        }
    }

    /**
     * Acceptance: resolved's journal (debug level) has no "reduced feature level" line (what resolved logs when it
     * stops trusting a server's answers) and no "Not caching zero TTL" line for the gateway's names. Runs after the
     * other DNS tests, so the journal covers all their queries.
     */
    @Test
    @Order(7)
    void resolvedNeverDowngradesTheGateway() {
        String journal = ok("journalctl -u systemd-resolved --no-pager -o cat | grep -Ei 'reduced feature level|zero TTL' | "
                + "grep -Ei 'reduced feature level|fixed\\.test|v6only\\.test|lima\\.internal|lima-sysd' || true");
        assertEquals("", journal.trim(), "resolved's journal");
    }

    /**
     * Acceptance: the switch's OFFER and ACK to networkd carry option 61 exactly as networkd sent it (RFC 6842), for the
     * first lease and every renewal in the capture.
     */
    @Test
    @Order(8)
    void dhcpEchoesTheClientIdentifier() {
        String leaseFile = ok("cat /run/systemd/netif/leases/*");
        Matcher cid = Pattern.compile("(?m)^CLIENTID=([0-9a-fA-F]+)$").matcher(leaseFile);
        assertTrue(cid.find(), "networkd's lease has no CLIENTID:\n" + leaseFile);
        String sent = cid.group(1).toLowerCase(Locale.ROOT);
        String mac = vm.mac();
        // The capture is flushed about once a second: wait for an ACK to the guest.
        List<DhcpMessage> msgs = List.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            msgs = dhcpMessages(pcap).stream().filter(d -> d.chaddr().equalsIgnoreCase(mac)).toList();
            if (msgs.stream().anyMatch(d -> d.type() == 5)) {
                break;
            }
            pause();
        }
        List<DhcpMessage> fromClient = msgs.stream().filter(d -> d.type() == 1 || d.type() == 3).toList();
        List<DhcpMessage> replies = msgs.stream().filter(d -> d.type() == 2 || d.type() == 5).toList();
        assertFalse(fromClient.isEmpty(), "no DISCOVER/REQUEST from " + mac + " in " + pcap + ": " + msgs);
        assertTrue(replies.stream().anyMatch(d -> d.type() == 2) && replies.stream().anyMatch(d -> d.type() == 5),
                "no OFFER and ACK to " + mac + " in " + pcap + ": " + msgs);
        for (DhcpMessage d : fromClient) {
            assertEquals(sent, d.clientId(), "networkd's lease CLIENTID vs its " + d);
        }
        for (DhcpMessage d : replies) {
            assertEquals(sent, d.clientId(), "option 61 in the switch's " + d);
        }
    }

    /** One DHCP message in the capture: message type (option 53), client MAC, option 61 as hex ("" if absent). */
    record DhcpMessage(int frame, int type, String chaddr, String clientId) {}

    /**
     * The capture's DHCP messages, read by tshark. Option 61's bytes are taken whole (type byte and identifier) from
     * the option's raw bytes ({@code dhcp.option.value} of the option whose {@code dhcp.option.type} is 61).
     */
    static List<DhcpMessage> dhcpMessages(Path capture) {
        if (!Files.exists(capture)) {
            return List.of();
        }
        Exec.Result r = Exec.run(Duration.ofSeconds(60), "tshark", "-n", "-r", capture.toString(), "-Y", "dhcp", "-T", "fields",
                "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
                "-e", "frame.number", "-e", "dhcp.option.dhcp", "-e", "dhcp.hw.mac_addr", "-e", "dhcp.option.type",
                "-e", "dhcp.option.value");
        List<DhcpMessage> out = new ArrayList<>();
        for (String line : r.output().split("\\R")) {
            String[] f = line.split("\\|", -1);
            if (f.length < 5 || f[1].isEmpty() || !f[0].matches("\\d+")) {
                continue;
            }
            out.add(new DhcpMessage(Integer.parseInt(f[0]), Integer.parseInt(f[1].split(",")[0]), f[2], optionValue(f[3], f[4], 61)));
        }
        return out;
    }

    /**
     * The value of option {@code code} given tshark's aggregated option types and values. Pad (0) and End (255) carry
     * no value field, so the values are matched to the other types in order.
     */
    static String optionValue(String types, String values, int code) {
        List<String> t = new ArrayList<>();
        for (String s : types.split(",")) {
            if (!s.isEmpty() && !s.equals("0") && !s.equals("255")) {
                t.add(s);
            }
        }
        String[] v = values.split(",", -1);
        for (int i = 0; i < t.size() && i < v.length; i++) {
            if (Integer.parseInt(t.get(i)) == code) {
                return v[i].replace(":", "").toLowerCase(Locale.ROOT);
            }
        }
        return "";
    }

    private static String status(String digOutput) {
        Matcher m = STATUS.matcher(digOutput);
        return m.find() ? m.group(1) : "(no header)";
    }

    private static int answers(String digOutput) {
        Matcher m = COUNTS.matcher(digOutput);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The records of dig's AUTHORITY SECTION, as printed (tab separated). */
    private static List<String> authority(String digOutput) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : digOutput.split("\\R")) {
            if (line.startsWith(";; AUTHORITY SECTION:")) {
                in = true;
            } else if (line.isBlank() || line.startsWith(";")) {
                in = false;
            } else if (in) {
                out.add(line);
            }
        }
        return out;
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
