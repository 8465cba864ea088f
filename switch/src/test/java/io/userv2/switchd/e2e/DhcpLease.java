package io.userv2.switchd.e2e;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DHCP lease as a guest's udhcpc script (testtools/udhcpc.sh) recorded it: the variables busybox udhcpc passes
 * to its script (decoded options), plus the resolver file the script wrote. An independent decoder of the
 * switch's DHCP answers: busybox parses the options, not our code.
 *
 * @param vars every NAME=VALUE line of the recorded environment (event, interface, ip, mask, router, dns, search,
 *     mtu, hostname, lease, serverid, ...); missing options are empty strings
 * @param resolvConf the text of the resolver file the script wrote (empty if none)
 */
public record DhcpLease(String guest, Map<String, String> vars, String resolvConf) {

    /** Parses the recorded {@code NAME=VALUE} lines; fails when there is no address in them. */
    public static DhcpLease parse(String guest, String envText, String resolvConf) {
        Map<String, String> vars = new LinkedHashMap<>();
        for (String line : envText.split("\\R")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).matches("[a-z_]+")) {
                vars.put(line.substring(0, eq), line.substring(eq + 1).trim());
            }
        }
        DhcpLease l = new DhcpLease(guest, Map.copyOf(vars), resolvConf == null ? "" : resolvConf);
        if (l.ip().isEmpty()) {
            throw new AssertionError(guest + ": no DHCP lease recorded:\n" + envText);
        }
        return l;
    }

    /** A variable, "" when absent. */
    public String get(String name) {
        return vars.getOrDefault(name, "");
    }

    public String ip() {
        return get("ip");
    }

    /** Prefix length (busybox's {@code mask}). */
    public String mask() {
        return get("mask");
    }

    public String router() {
        return get("router");
    }

    public List<String> dns() {
        return words(get("dns"));
    }

    /** The domain search list (option 119), as busybox decoded it. */
    public List<String> search() {
        return words(get("search"));
    }

    /** Option 26, "" when the server sent none. */
    public String mtu() {
        return get("mtu");
    }

    /** Lease time in seconds (option 51). */
    public String leaseSeconds() {
        return get("lease");
    }

    public String serverId() {
        return get("serverid");
    }

    /** The nameserver lines of the written resolver file. */
    public List<String> nameservers() {
        return resolvConf.lines().map(String::trim).filter(s -> s.startsWith("nameserver "))
                .map(s -> s.substring("nameserver ".length()).trim()).toList();
    }

    /** The search line of the written resolver file (empty list if none). */
    public List<String> resolvSearch() {
        return resolvConf.lines().map(String::trim).filter(s -> s.startsWith("search "))
                .map(s -> words(s.substring("search ".length()))).findFirst().orElse(List.of());
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : Arrays.stream(s.trim().split("\\s+")).toList();
    }

    @Override
    public String toString() {
        return guest + " lease " + vars + "\nresolver file:\n" + resolvConf;
    }
}
