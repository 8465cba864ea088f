package io.userv2.switchd.cli;

import io.userv2.dns.DnsZone;
import io.userv2.dns.DnsZoneRecord;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * gvproxy's configuration while {@code userv2-switch gvproxy} builds it: first from the {@code -config} YAML file
 * (gvproxy's {@code GvproxyConfig}, {@code cmd/gvproxy/config.go}, keys as in its {@code config.yaml}), then patched
 * by the flags, then given gvproxy's defaults ({@link GvproxyCommand#settings()}). A mutable bag of values filled in
 * that order by one thread; nothing else holds it.
 *
 * <p>As gvproxy's YAML decoder: unknown keys are ignored, a missing key leaves the default. IPs stay strings until
 * {@link GvproxyCommand} validates them, so the error messages can be gvproxy's.
 */
final class GvproxyConfig {
    final List<String> listen = new ArrayList<>();
    String logLevel = "";
    // stack:
    int mtu;
    String subnet = "";
    String gatewayIp = "";
    String deviceIp = "";
    String hostIp = "";
    String gatewayMac = "";
    /** null: not set (gvproxy's default zones apply without {@code -config}). */
    List<DnsZone> dns;
    List<String> dnsSearchDomains = List.of();
    /** {@code "127.0.0.1:2222": "192.168.127.2:22"}: TCP forwards from the host into the LAN. */
    Map<String, String> forwards = new LinkedHashMap<>();
    Map<String, String> nat = new LinkedHashMap<>();
    List<String> gatewayVirtualIps = new ArrayList<>();
    Map<String, String> dhcpStaticLeases = new LinkedHashMap<>();
    String captureFile = "";
    boolean debug;
    boolean ec2MetadataAccess;
    // interfaces:
    String vpnkit = "";
    String qemu = "";
    String bess = "";
    String stdio = "";
    String vfkit = "";
    final List<Forward> sshForwards = new ArrayList<>();
    String pidFile = "";
    String logFile = "";
    String services = "";
    String notification = "";

    /**
     * One host unix socket forwarded to a unix socket in the VM over SSH ({@code -forward-sock/-dest/-user/-identity}).
     *
     * @param socket the host socket, a path or {@code unix://PATH}
     * @param dest the socket's path in the VM
     * @param user the SSH user
     * @param identity the private key file
     */
    record Forward(String socket, String dest, String user, String identity) {
    }

    /** Reads a gvproxy YAML configuration file; IllegalArgumentException names what is wrong in it. */
    static GvproxyConfig read(Path file) throws IOException {
        Object root;
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            root = new Yaml(new SafeConstructor(options), new Representer(new DumperOptions()), new DumperOptions(),
                    options, new Yaml12Scalars()).load(in);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new IllegalArgumentException("failed to parse configuration: " + oneLine(e.getMessage()));
        }
        GvproxyConfig c = new GvproxyConfig();
        if (root == null) {
            return c; // an empty file: all defaults, as gvproxy
        }
        Map<String, Object> top = map(root, "the file");
        c.listen.addAll(strings(top.get("listen"), "listen"));
        c.logLevel = string(top.get("log-level"), "log-level");
        Map<String, Object> stack = map(top.get("stack"), "stack");
        c.debug = bool(stack.get("debug"), "stack.debug");
        c.captureFile = string(stack.get("capture-file"), "stack.capture-file");
        c.mtu = integer(stack.get("mtu"), "stack.mtu");
        c.subnet = string(stack.get("subnet"), "stack.subnet");
        c.gatewayIp = string(stack.get("gatewayIP"), "stack.gatewayIP");
        c.deviceIp = string(stack.get("deviceIP"), "stack.deviceIP");
        c.hostIp = string(stack.get("hostIP"), "stack.hostIP");
        c.gatewayMac = string(stack.get("gatewayMacAddress"), "stack.gatewayMacAddress");
        if (stack.get("dns") != null) {
            c.dns = zones(stack.get("dns"));
        }
        c.dnsSearchDomains = strings(stack.get("dnsSearchDomains"), "stack.dnsSearchDomains");
        c.forwards = stringMap(stack.get("forwards"), "stack.forwards");
        c.nat = stringMap(stack.get("nat"), "stack.nat");
        c.gatewayVirtualIps = new ArrayList<>(strings(stack.get("gatewayVirtualIPs"), "stack.gatewayVirtualIPs"));
        c.dhcpStaticLeases = stringMap(stack.get("dhcpStaticLeases"), "stack.dhcpStaticLeases");
        c.ec2MetadataAccess = bool(stack.get("ec2MetadataAccess"), "stack.ec2MetadataAccess")
                || bool(top.get("ec2-metadata-access"), "ec2-metadata-access");
        Map<String, Object> interfaces = map(top.get("interfaces"), "interfaces");
        c.vpnkit = string(interfaces.get("vpnkit"), "interfaces.vpnkit");
        c.qemu = string(interfaces.get("qemu"), "interfaces.qemu");
        c.bess = string(interfaces.get("bess"), "interfaces.bess");
        c.stdio = string(interfaces.get("stdio"), "interfaces.stdio");
        c.vfkit = string(interfaces.get("vfkit"), "interfaces.vfkit");
        Object forwards = top.get("forwards");
        if (forwards != null) {
            if (!(forwards instanceof List<?> list)) {
                throw new IllegalArgumentException("forwards: expected a list");
            }
            for (Object o : list) {
                Map<String, Object> f = map(o, "forwards[]");
                c.sshForwards.add(new Forward(string(f.get("socket"), "forwards[].socket"),
                        string(f.get("dest"), "forwards[].dest"), string(f.get("user"), "forwards[].user"),
                        string(f.get("identity"), "forwards[].identity")));
            }
        }
        c.pidFile = string(top.get("pid-file"), "pid-file");
        c.logFile = string(top.get("log-file"), "log-file");
        c.services = string(top.get("services"), "services");
        c.notification = string(top.get("notification"), "notification");
        return c;
    }

    /**
     * Plain scalars typed as gvproxy's YAML 1.2 decoder types them: YAML 1.1's base-60 integers are strings here, so
     * a MAC such as {@code 52:55:55:00:00:01} stays a MAC (SnakeYAML would read it as a number); only decimal
     * integers, true/false and null are typed.
     */
    private static final class Yaml12Scalars extends Resolver {
        @Override
        protected void addImplicitResolvers() {
            addImplicitResolver(Tag.BOOL, Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF");
            addImplicitResolver(Tag.INT, Pattern.compile("^[-+]?(?:0|[1-9][0-9]*)$"), "-+0123456789");
            addImplicitResolver(Tag.NULL, Pattern.compile("^(?:~|null|Null|NULL)$"), "~nN");
            addImplicitResolver(Tag.NULL, Pattern.compile("^$"), null);
        }
    }

    private static List<DnsZone> zones(Object value) {
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("stack.dns: expected a list of zones");
        }
        List<DnsZone> zones = new ArrayList<>();
        for (Object o : list) {
            Map<String, Object> z = map(o, "stack.dns[]");
            List<DnsZoneRecord> records = new ArrayList<>();
            Object rs = z.get("records");
            if (rs != null) {
                if (!(rs instanceof List<?> rl)) {
                    throw new IllegalArgumentException("stack.dns[].records: expected a list");
                }
                for (Object r : rl) {
                    Map<String, Object> rec = map(r, "stack.dns[].records[]");
                    if (rec.get("regexp") != null) {
                        throw new IllegalArgumentException("stack.dns[].records[].regexp is not supported; give"
                                + " each name with its ip");
                    }
                    records.add(new DnsZoneRecord(string(rec.get("name"), "stack.dns[].records[].name"),
                            ip(string(rec.get("ip"), "stack.dns[].records[].ip"))));
                }
            }
            String defaultIp = string(z.get("defaultIP"), "stack.dns[].defaultIP");
            zones.add(new DnsZone(string(z.get("name"), "stack.dns[].name"), records,
                    defaultIp.isEmpty() ? null : ip(defaultIp)));
        }
        return zones;
    }

    /** An IP literal (never a name: nothing is looked up while the configuration is read). */
    static InetAddress ip(String text) {
        try {
            return io.userv2.stack.wire.Ipv4Address.parse(text).toInetAddress();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid IP address: " + text);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value, String where) {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + ": expected a mapping");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            out.put(String.valueOf(e.getKey()), e.getValue());
        }
        return out;
    }

    private static Map<String, String> stringMap(Object value, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : map(value, where).entrySet()) {
            out.put(e.getKey(), string(e.getValue(), where + "." + e.getKey()));
        }
        return out;
    }

    private static List<String> strings(Object value, String where) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException(where + ": expected a list");
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            out.add(string(o, where + "[]"));
        }
        return out;
    }

    private static String string(Object value, String where) {
        if (value == null) {
            return "";
        }
        if (value instanceof Map || value instanceof List) {
            throw new IllegalArgumentException(where + ": expected a string");
        }
        return String.valueOf(value);
    }

    private static int integer(Object value, String where) {
        if (value == null) {
            return 0;
        }
        if (value instanceof Integer i) {
            return i;
        }
        throw new IllegalArgumentException(where + ": expected a number, got " + value);
    }

    private static boolean bool(Object value, String where) {
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException(where + ": expected true or false, got " + value);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\n\\s*", " ").trim();
    }
}
