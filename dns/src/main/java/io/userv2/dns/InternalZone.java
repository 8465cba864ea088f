package io.userv2.dns;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.TextParseException;

/**
 * The names the gateway owns and answers itself, case-insensitively:
 * <ul>
 *   <li>built-ins: the host alias ({@code host.lima.internal} -> 192.168.104.2 by default) and the gateway's own
 *       name;</li>
 *   <li>static names ({@code --dns-host NAME=IP}, {@link #addStatic});</li>
 *   <li>zones added through the HTTP API ({@link #addZone}, listed back by {@link #zones()}), with an optional
 *       default address that every other name of the zone answers;</li>
 *   <li>VM names learnt from DHCP ({@link #put}): hostname {@code lima-NAME} becomes {@code lima-NAME.internal},
 *       any other hostname {@code H} becomes {@code H.internal} (the DHCP domain is configurable).</li>
 *   <li>The IPv6 addresses those VMs use ({@link #putIpv6}: what the gateway learns from Neighbor Discovery and
 *       DHCPv6), answered as AAAA beside the DHCP name's A record; a VM may have several (SLAAC, privacy,
 *       DHCPv6).</li>
 * </ul>
 * When one name has several sources the first of static, built-in, API record, DHCP, API default wins; a name won
 * by a static, built-in or API record keeps only that address (learnt IPv6 addresses join DHCP names only).
 * Reverse (PTR) names of all these addresses are owned too, IPv6 ones under ip6.arpa. Names under {@code internal.} that are not listed here
 * are not owned, so the server forwards them rather than answering NXDOMAIN.
 *
 * <p><b>Zones.</b> The gateway speaks for the DHCP domain ({@code internal.}) and every API zone: their apexes
 * ({@link #zoneApexOf}) and the names between an apex and a name registered below it (empty non-terminals such as
 * {@code lima.internal}) exist, RFC 8020; together they are {@link #isInterior interior} names. A name owned
 * outside every zone (a {@code --dns-host} name such as {@code printer.lan}) is its own apex. {@link #apexOf} gives
 * the owner of the SOA the server puts in negative answers; {@link #serial()} changes whenever the names change.
 *
 * <p>Thread-safe: mutations (from the switch's event loop, the HTTP API) are serialised and publish a new immutable
 * snapshot; lookups (from DNS worker threads) read the latest snapshot without locking.
 */
public final class InternalZone {

    /** The default domain DHCP hostnames are registered under. */
    public static final Name DEFAULT_DHCP_DOMAIN = name("internal.");
    /** The default host alias name. */
    public static final Name DEFAULT_HOST_ALIAS_NAME = name("host.lima.internal.");
    /** The default gateway name. */
    public static final Name DEFAULT_GATEWAY_NAME = name("gateway.lima.internal.");
    /** The default address of the host alias and the gateway in Lima's user-v2 network (subnet + 2). */
    public static final Inet4Address DEFAULT_GATEWAY_ADDRESS = IpLiterals.parseIpv4Address("192.168.104.2");

    private static final Name IN_ADDR_ARPA = name("in-addr.arpa.");
    private static final Name IP6_ARPA = name("ip6.arpa.");

    private final Map<Name, InetAddress> builtins = new LinkedHashMap<>();
    private final Name dhcpDomain;
    private final Map<Name, InetAddress> statics = new LinkedHashMap<>();
    private final Map<Name, InetAddress> dhcp = new LinkedHashMap<>();
    private final Map<Name, List<Inet6Address>> dhcp6 = new LinkedHashMap<>();
    private final Map<Name, DnsZone> zones = new LinkedHashMap<>();
    /** IPv4 address -> the IPv6 address its static, built-in and API names answer AAAA with ({@link #addIpv6Twin}). */
    private final Map<InetAddress, Inet6Address> twins = new LinkedHashMap<>();
    private long generation;
    private volatile Snapshot snapshot;

    /** The user-v2 defaults: host.lima.internal and gateway.lima.internal at 192.168.104.2, DHCP names under internal. */
    public InternalZone() {
        this(DEFAULT_HOST_ALIAS_NAME, DEFAULT_GATEWAY_ADDRESS, DEFAULT_GATEWAY_NAME, DEFAULT_GATEWAY_ADDRESS,
                DEFAULT_DHCP_DOMAIN);
    }

    /**
     * @param hostAliasName the host alias name, e.g. host.lima.internal.; null for none
     * @param hostAlias its address
     * @param gatewayName the gateway's own name; null for none
     * @param gatewayAddress its address
     * @param dhcpDomain the domain DHCP hostnames are registered under, e.g. internal.
     */
    public InternalZone(Name hostAliasName, InetAddress hostAlias, Name gatewayName, InetAddress gatewayAddress,
            Name dhcpDomain) {
        if (hostAliasName != null) {
            builtins.put(key(hostAliasName), Objects.requireNonNull(hostAlias, "hostAlias"));
        }
        if (gatewayName != null) {
            builtins.putIfAbsent(key(gatewayName), Objects.requireNonNull(gatewayAddress, "gatewayAddress"));
        }
        this.dhcpDomain = key(Objects.requireNonNull(dhcpDomain, "dhcpDomain"));
        rebuild();
    }

    // ---- DHCP ---------------------------------------------------------------------------------------------------

    /**
     * Registers (or moves) the name of a VM that sent {@code hostname} in DHCP option 12. Only the first label is
     * used, lower-cased, with characters other than letters, digits and '-' turned into '-'.
     *
     * @return the name now answering {@code address}, or null when the hostname has no usable label
     */
    public synchronized Name put(String hostname, Inet4Address address) {
        Objects.requireNonNull(address, "address");
        Name n = dhcpName(hostname);
        if (n == null) {
            return null;
        }
        dhcp.put(n, address);
        rebuild();
        return n;
    }

    /** Forgets the DHCP name registered for {@code hostname}; true if there was one. */
    public synchronized boolean remove(String hostname) {
        Name n = dhcpName(hostname);
        if (n == null || dhcp.remove(n) == null) {
            return false;
        }
        rebuild();
        return true;
    }

    /** Forgets every DHCP name pointing at {@code address} (a released or expired lease); returns how many. */
    public synchronized int removeAddress(InetAddress address) {
        int before = dhcp.size();
        dhcp.values().removeIf(address::equals);
        int removed = before - dhcp.size();
        if (removed > 0) {
            rebuild();
        }
        return removed;
    }

    /** The name a DHCP hostname is registered under, or null when it has no usable label. */
    public Name dhcpName(String hostname) {
        if (hostname == null) {
            return null;
        }
        String label = hostname.trim();
        int dot = label.indexOf('.');
        if (dot >= 0) {
            label = label.substring(0, dot);
        }
        StringBuilder sb = new StringBuilder(label.length());
        for (char c : label.toLowerCase(Locale.ROOT).toCharArray()) {
            sb.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ? c : '-');
        }
        String clean = sb.toString().replaceAll("^-+|-+$", "");
        if (clean.isEmpty()) {
            return null;
        }
        if (clean.length() > 63) {
            clean = clean.substring(0, 63);
        }
        try {
            return key(Name.fromString(clean, dhcpDomain));
        } catch (TextParseException e) {
            return null;
        }
    }

    /**
     * Sets the IPv6 addresses of the VM whose DHCP hostname is {@code hostname} (same name rules as {@link #put}),
     * replacing those set before; an empty list removes them. They answer AAAA (and PTR under ip6.arpa) whether or
     * not the name also has an IPv4 address.
     *
     * @return the name now answering the addresses, or null when the hostname has no usable label
     */
    public synchronized Name putIpv6(String hostname, List<Inet6Address> addresses) {
        Name n = dhcpName(hostname);
        if (n == null) {
            return null;
        }
        List<Inet6Address> copy = List.copyOf(addresses);
        boolean changed = copy.isEmpty() ? dhcp6.remove(n) != null : !copy.equals(dhcp6.put(n, copy));
        if (changed) {
            rebuild();
        }
        return n;
    }

    /**
     * Makes every static, built-in and API-record name that answers {@code v4} answer AAAA {@code v6} as well (and
     * PTR for {@code v6}): the host alias ({@code host.lima.internal}, gvproxy's {@code host.containers.internal}) and
     * the gateway's names answer the gateway's IPv6 address, which reaches the host's {@code [::1]} as {@code v4}
     * reaches 127.0.0.1. Names learnt from DHCP are left alone.
     */
    public synchronized void addIpv6Twin(Inet4Address v4, Inet6Address v6) {
        Objects.requireNonNull(v6, "v6");
        if (!v6.equals(twins.put(Objects.requireNonNull(v4, "v4"), v6))) {
            rebuild();
        }
    }

    // ---- static names -------------------------------------------------------------------------------------------

    /** Adds {@code --dns-host NAME=IP}; the name is taken as absolute. Throws IllegalArgumentException if invalid. */
    public synchronized void addStatic(String name, InetAddress address) {
        Objects.requireNonNull(address, "address");
        statics.put(absolute(name), address);
        rebuild();
    }

    /** Removes a static name; true if it existed. */
    public synchronized boolean removeStatic(String name) {
        boolean removed = statics.remove(absolute(name)) != null;
        if (removed) {
            rebuild();
        }
        return removed;
    }

    // ---- API zones ----------------------------------------------------------------------------------------------

    /**
     * Adds a zone as {@code POST /services/dns/add} does. Adding a zone whose name is already known merges them as
     * gvisor-tap-vsock does: the new records come first (and win), and the new default address replaces the old.
     *
     * @throws IllegalArgumentException if the zone or a record name is not a valid DNS name
     */
    public synchronized void addZone(DnsZone zone) {
        Name zoneName = absolute(zone.name());
        for (DnsZoneRecord r : zone.records()) {
            recordName(zoneName, r.name()); // validate before changing anything
        }
        DnsZone old = zones.get(zoneName);
        DnsZone merged = zone;
        if (old != null) {
            List<DnsZoneRecord> records = new ArrayList<>(zone.records());
            records.addAll(old.records());
            merged = new DnsZone(zone.name(), records, zone.defaultIp());
        }
        zones.put(zoneName, merged);
        rebuild();
    }

    /** Removes an API zone by name; true if it existed. */
    public synchronized boolean removeZone(String name) {
        boolean removed = zones.remove(absolute(name)) != null;
        if (removed) {
            rebuild();
        }
        return removed;
    }

    /** The API zones as added (merged per name), for {@code GET /services/dns/all}. */
    public List<DnsZone> zones() {
        return snapshot.zones;
    }

    // ---- lookups ------------------------------------------------------------------------------------------------

    /**
     * The address {@code name} answers, or null when the zone does not own the name: its one address, or for a DHCP
     * name with IPv6 addresses the first of {@link #lookupAll} (the IPv4 one when there is one).
     */
    public InetAddress lookup(Name name) {
        List<InetAddress> all = lookupAll(name);
        return all.isEmpty() ? null : all.get(0);
    }

    /**
     * Every address {@code name} answers (IPv4 first, then IPv6), empty when the zone does not own the name. Only
     * DHCP names have more than one: their IPv4 lease and the IPv6 addresses {@link #putIpv6} set.
     */
    public List<InetAddress> lookupAll(Name name) {
        Snapshot s = snapshot;
        Name k = key(name);
        List<InetAddress> all = s.multi.get(k);
        if (all != null) {
            return all;
        }
        InetAddress a = s.exact.get(k);
        if (a != null) {
            return List.of(a);
        }
        for (Map.Entry<Name, InetAddress> d : s.defaults) {
            if (k.subdomain(d.getKey())) {
                return List.of(d.getValue());
            }
        }
        return List.of();
    }

    /**
     * The names answering {@code address}, for PTR; empty when none. API zone defaults are not included (they answer
     * any name, so they have no name of their own).
     */
    public List<Name> namesOf(InetAddress address) {
        return snapshot.reverse.getOrDefault(address, List.of());
    }

    /**
     * The names for a reverse-lookup name (x.y.z.w.in-addr.arpa. or the ip6.arpa. nibble form); empty when the name
     * is not a reverse name or the address has no internal name.
     */
    public List<Name> reverseLookup(Name ptrName) {
        InetAddress a = fromReverseName(ptrName);
        return a == null ? List.of() : namesOf(a);
    }

    /**
     * The apex of the gateway's zone holding {@code name} (the DHCP domain or an API zone, the most specific one),
     * or null when the name is in none of them.
     */
    Name zoneApexOf(Name name) {
        return firstAncestor(key(name), snapshot.zoneApexes);
    }

    /**
     * The owner of the SOA for negative answers about {@code name}: the apex of its zone, else the owned name outside
     * every zone it is or lies under, else {@code name} itself (a name of the host resolver, a reverse name). Always
     * equal to or a suffix of {@code name}, as RFC 2308 caching (and systemd-resolved) requires.
     */
    Name apexOf(Name name) {
        Name k = key(name);
        Snapshot s = snapshot;
        Name zone = firstAncestor(k, s.zoneApexes);
        if (zone != null) {
            return zone;
        }
        Name own = firstAncestor(k, s.ownApexes);
        return own != null ? own : k;
    }

    /**
     * True for a zone apex and for an empty non-terminal: a name of one of the gateway's zones with registered
     * names below it (RFC 8020: it exists, so it is never NXDOMAIN).
     */
    boolean isInterior(Name name) {
        return snapshot.interior.contains(key(name));
    }

    /** A number that changes (grows) whenever the names change, for the SOA serial. */
    public long serial() {
        return snapshot.serial;
    }

    private static Name firstAncestor(Name k, java.util.Set<Name> set) {
        if (set.isEmpty()) {
            return null;
        }
        for (int strip = 0; strip < k.labels(); strip++) {
            Name a = strip == 0 ? k : new Name(k, strip);
            if (set.contains(a)) {
                return a;
            }
        }
        return null;
    }

    /** Every owned name and its address (without zone defaults and reverse names), for diagnostics. */
    public Map<Name, InetAddress> names() {
        return snapshot.exact;
    }

    /** The address a reverse-lookup name stands for, or null when it is not one. */
    static InetAddress fromReverseName(Name n) {
        Name k = key(n);
        try {
            if (k.subdomain(IN_ADDR_ARPA) && k.labels() == IN_ADDR_ARPA.labels() + 4) {
                String[] p = new String[4];
                for (int i = 0; i < 4; i++) {
                    p[3 - i] = k.getLabelString(i);
                }
                return IpLiterals.parse(String.join(".", p));
            }
            if (k.subdomain(IP6_ARPA) && k.labels() == IP6_ARPA.labels() + 32) {
                byte[] b = new byte[16];
                for (int i = 0; i < 32; i++) {
                    String l = k.getLabelString(i);
                    int v = l.length() == 1 ? Character.digit(l.charAt(0), 16) : -1;
                    if (v < 0) {
                        return null;
                    }
                    int nib = 31 - i;
                    b[nib / 2] |= (byte) (nib % 2 == 0 ? v << 4 : v);
                }
                return InetAddress.getByAddress(b);
            }
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** The reverse-lookup name of an address (in-addr.arpa. or ip6.arpa.). */
    static Name reverseName(InetAddress a) {
        return ReverseMap.fromAddress(a);
    }

    // ---- internals ----------------------------------------------------------------------------------------------

    private void rebuild() {
        Map<Name, InetAddress> exact = new LinkedHashMap<>(statics);
        builtins.forEach(exact::putIfAbsent);
        List<Map.Entry<Name, InetAddress>> defaults = new ArrayList<>();
        for (Map.Entry<Name, DnsZone> z : zones.entrySet()) {
            for (DnsZoneRecord r : z.getValue().records()) {
                exact.putIfAbsent(recordName(z.getKey(), r.name()), r.ip());
            }
            if (z.getValue().defaultIp() != null) {
                defaults.add(Map.entry(z.getKey(), z.getValue().defaultIp()));
            }
        }
        java.util.Set<Name> taken = new java.util.HashSet<>(exact.keySet()); // by static, built-in and API records
        dhcp.forEach(exact::putIfAbsent);
        Map<Name, List<InetAddress>> multi = new HashMap<>();
        dhcp6.forEach((n, v6) -> {
            if (!taken.contains(n)) {
                List<InetAddress> all = new ArrayList<>(v6.size() + 1);
                InetAddress v4 = dhcp.get(n);
                if (v4 != null) {
                    all.add(v4);
                }
                all.addAll(v6);
                multi.put(n, List.copyOf(all));
            }
        });
        for (Name n : taken) {
            InetAddress v4 = exact.get(n);
            Inet6Address v6 = twins.get(v4);
            if (v6 != null) {
                multi.put(n, List.of(v4, v6));
            }
        }
        defaults.sort((x, y) -> Integer.compare(y.getKey().labels(), x.getKey().labels())); // most specific first
        Map<InetAddress, List<Name>> reverse = new HashMap<>();
        exact.forEach((n, a) -> reverse.computeIfAbsent(a, x -> new ArrayList<>()).add(n));
        multi.forEach((n, all) -> {
            for (InetAddress a : all) {
                List<Name> names = reverse.computeIfAbsent(a, x -> new ArrayList<>());
                if (!names.contains(n)) {
                    names.add(n);
                }
            }
        });
        reverse.replaceAll((a, l) -> List.copyOf(l));
        java.util.Set<Name> zoneApexes = new java.util.HashSet<>(zones.keySet());
        zoneApexes.add(dhcpDomain);
        java.util.Set<Name> ownApexes = new java.util.HashSet<>();
        java.util.Set<Name> interior = new java.util.HashSet<>(zoneApexes);
        java.util.Set<Name> registered = new java.util.HashSet<>(exact.keySet());
        registered.addAll(multi.keySet());
        for (Name n : registered) {
            Name apex = firstAncestor(n, zoneApexes);
            if (apex == null) {
                ownApexes.add(n);
                continue;
            }
            for (int strip = 1; strip <= n.labels() - apex.labels(); strip++) {
                interior.add(new Name(n, strip));
            }
        }
        snapshot = new Snapshot(Collections.unmodifiableMap(exact), Collections.unmodifiableMap(multi),
                List.copyOf(defaults), Collections.unmodifiableMap(reverse), List.copyOf(zones.values()),
                java.util.Set.copyOf(zoneApexes), java.util.Set.copyOf(ownApexes), java.util.Set.copyOf(interior),
                ++generation);
    }

    private static Name recordName(Name zone, String rel) {
        String r = rel.trim();
        try {
            if (r.isEmpty() || r.equals("@")) {
                return zone;
            }
            return key(r.endsWith(".") ? Name.fromString(r) : Name.fromString(r, zone));
        } catch (TextParseException e) {
            throw new IllegalArgumentException("invalid name: " + rel, e);
        }
    }

    private static Name absolute(String name) {
        try {
            String n = name.trim();
            return key(Name.fromString(n.endsWith(".") ? n : n + "."));
        } catch (TextParseException | RuntimeException e) {
            throw new IllegalArgumentException("invalid name: " + name, e);
        }
    }

    /** Lower-cased so that map keys compare case-insensitively regardless of dnsjava's own rules. */
    static Name key(Name n) {
        return n.canonicalize();
    }

    private static Name name(String s) {
        try {
            return Name.fromString(s);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** True for addresses that answer A (IPv4) rather than AAAA. */
    static boolean isV4(InetAddress a) {
        return a instanceof Inet4Address;
    }

    /** True for addresses that answer AAAA. */
    static boolean isV6(InetAddress a) {
        return a instanceof Inet6Address;
    }

    private record Snapshot(Map<Name, InetAddress> exact, Map<Name, List<InetAddress>> multi,
            List<Map.Entry<Name, InetAddress>> defaults,
            Map<InetAddress, List<Name>> reverse, List<DnsZone> zones, java.util.Set<Name> zoneApexes,
            java.util.Set<Name> ownApexes, java.util.Set<Name> interior, long serial) { }

    @Override
    public String toString() {
        return "InternalZone" + snapshot.exact;
    }
}
