package io.userv2.switchd.cli;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.switchd.config.SwitchConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Lima's {@code networks.yaml} ({@code ~/.lima/_config/networks.yaml}), read as Lima reads it, for
 * {@code --lima-networks FILE --network NAME}:
 *
 * <pre>
 * paths: {socketVMNet: ..., varRun: ..., sudoers: ...}   (ignored: socket_vmnet's business)
 * group: everyone                                        (ignored)
 * networks:
 *   user-v2: {mode: user-v2, gateway: 192.168.104.1, netmask: 255.255.255.0}
 *   shared:  {mode: shared,  gateway: 192.168.105.1, dhcpEnd: 192.168.105.254, netmask: 255.255.255.0}
 *   bridged: {mode: bridged, interface: en0}
 *   host:    {mode: host,    gateway: 192.168.106.1, dhcpEnd: 192.168.106.254, netmask: 255.255.255.0}
 * </pre>
 *
 * <p>Lima's rules, from its {@code pkg/networks}: the fields are {@code mode}, {@code interface}, {@code gateway},
 * {@code dhcpEnd} and {@code netmask} (default 255.255.255.0); when no network has {@code mode: user-v2} and a
 * gateway, Lima adds its default {@code user-v2} network (192.168.104.1/24), so {@code --network user-v2} works with
 * any file, as in Lima. For a user-v2 network the gateway field only derives the subnet and the virtual gateway sits at
 * subnet + 2 ({@code usernet.GatewayIP}).
 *
 * <p>Parsing is lenient where Lima's is (unknown keys, anywhere, are ignored) and strict about what it uses: a file
 * that is not YAML, not a mapping, a {@code networks} that is not a mapping of mappings, or an address that is not
 * IPv4 is refused with a {@link NetworkFileException} whose message is one line naming the file.
 */
public final class LimaNetworks {
    /** Lima's network modes. */
    public static final String MODE_USER_V2 = "user-v2";
    public static final String MODE_HOST = "host";
    public static final String MODE_SHARED = "shared";
    public static final String MODE_BRIDGED = "bridged";

    /** The netmask Lima assumes when a network gives none. */
    public static final Ipv4Address DEFAULT_NETMASK = Ipv4Address.parse("255.255.255.0");
    /** The {@code user-v2} network Lima adds when the file defines none ({@code networks.TEMPLATE.yaml}). */
    public static final LimaNetwork DEFAULT_USER_V2 = new LimaNetwork(MODE_USER_V2, MODE_USER_V2,
            Ipv4Address.parse("192.168.104.1"), DEFAULT_NETMASK, null, null);

    /** Files larger than this are not networks.yaml files. */
    private static final int MAX_FILE_BYTES = 1 << 20;

    private LimaNetworks() {
    }

    /**
     * One entry of {@code networks:}, as written (nothing derived yet).
     *
     * @param name the key under {@code networks:}
     * @param mode {@code user-v2}, {@code host}, {@code shared}, {@code bridged} or anything else (refused later)
     * @param gateway the {@code gateway} field, or null
     * @param netmask the {@code netmask} field, {@link #DEFAULT_NETMASK} when absent
     * @param dhcpEnd the {@code dhcpEnd} field, or null (not used: the DHCP pool end is not configurable yet)
     * @param iface the {@code interface} field (bridged networks), or null
     */
    public record LimaNetwork(String name, String mode, Ipv4Address gateway, Ipv4Address netmask, Ipv4Address dhcpEnd,
            String iface) {
        /** Requires a name, a mode and a netmask. */
        public LimaNetwork {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(netmask, "netmask");
        }
    }

    /**
     * What the switch serves for a network: the three things {@link SwitchConfig} and {@code NatSettings} take.
     *
     * @param name the network's name
     * @param subnet the LAN
     * @param gatewayIp the virtual gateway's address (also the DNS server and the host alias)
     * @param outside whether guests may reach destinations beyond the host alias and the LAN ({@code NatSettings.outside})
     */
    public record NetworkSpec(String name, Ipv4Subnet subnet, Ipv4Address gatewayIp, boolean outside) {
    }

    /** A networks.yaml problem; the message is one line and names the file. */
    public static final class NetworkFileException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        /** A problem described by {@code message}. */
        public NetworkFileException(String message) {
            super(message);
        }
    }

    /**
     * Reads {@code file} and returns what to serve for network {@code name}: the one call {@code Main} needs for
     * {@code --lima-networks FILE --network NAME}.
     *
     * @throws NetworkFileException if the file cannot be read or parsed, has no network {@code name}, or that network
     *     is not one userv2 can serve (shared and bridged need socket_vmnet)
     */
    public static NetworkSpec apply(Path file, String name) {
        return spec(load(file), name, file.toString());
    }

    /** Reads and parses {@code file} (see {@link #parse}). */
    public static Map<String, LimaNetwork> load(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new NetworkFileException(file + ": too large for a networks.yaml (over 1 MiB)");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NetworkFileException(file + ": no such file");
        } catch (IOException e) {
            throw new NetworkFileException(file + ": cannot read: " + oneLine(e.getMessage()));
        }
        return parse(new String(bytes, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Parses networks.yaml text into its networks by name (in file order), plus Lima's default {@code user-v2} when no
     * network has mode user-v2 and a gateway. Unknown keys are ignored; an empty file has only the default network.
     *
     * @param source names the text in error messages (the file name)
     */
    public static Map<String, LimaNetwork> parse(String yaml, String source) {
        Object root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowRecursiveKeys(false);
            options.setMaxAliasesForCollections(20);
            root = new Yaml(new SafeConstructor(options)).load(yaml);
        } catch (YAMLException e) {
            throw new NetworkFileException(source + ": not valid YAML: " + oneLine(e.getMessage()));
        }
        Map<String, LimaNetwork> networks = new LinkedHashMap<>();
        if (root != null) {
            if (!(root instanceof Map<?, ?> top)) {
                throw new NetworkFileException(source + ": not a networks.yaml (expected a mapping with a 'networks' key)");
            }
            Object list = top.get("networks");
            if (list != null) {
                if (!(list instanceof Map<?, ?> entries)) {
                    throw new NetworkFileException(source + ": 'networks' must be a mapping of name to network");
                }
                for (Map.Entry<?, ?> e : entries.entrySet()) {
                    String name = String.valueOf(e.getKey());
                    networks.put(name, network(name, e.getValue(), source));
                }
            }
        }
        boolean userV2Found = networks.values().stream()
                .anyMatch(n -> n.mode().equals(MODE_USER_V2) && n.gateway() != null);
        if (!userV2Found) {
            // Lima's fillDefaults: networks[ModeUserV2] = the default user-v2 network.
            networks.put(MODE_USER_V2, DEFAULT_USER_V2);
        }
        return networks;
    }

    private static LimaNetwork network(String name, Object value, String source) {
        String where = source + ": network '" + name + "'";
        if (value == null) {
            throw new NetworkFileException(where + " is empty (it needs at least a mode)");
        }
        if (!(value instanceof Map<?, ?> fields)) {
            throw new NetworkFileException(where + " must be a mapping (mode, gateway, netmask, ...)");
        }
        String mode = scalar(fields, "mode", where);
        if (mode == null) {
            throw new NetworkFileException(where + " has no mode");
        }
        Ipv4Address netmask = address(fields, "netmask", where);
        return new LimaNetwork(name, mode, address(fields, "gateway", where),
                netmask == null ? DEFAULT_NETMASK : netmask, address(fields, "dhcpEnd", where),
                scalar(fields, "interface", where));
    }

    private static String scalar(Map<?, ?> fields, String key, String where) {
        Object v = fields.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Map<?, ?> || v instanceof List<?>) {
            throw new NetworkFileException(where + ": '" + key + "' must be a single value");
        }
        return String.valueOf(v).trim();
    }

    private static Ipv4Address address(Map<?, ?> fields, String key, String where) {
        String text = scalar(fields, key, where);
        if (text == null) {
            return null;
        }
        try {
            return Ipv4Address.parse(text);
        } catch (IllegalArgumentException e) {
            throw new NetworkFileException(where + ": '" + key + "' is not an IPv4 address: " + oneLine(text));
        }
    }

    /**
     * What to serve for network {@code name} of {@code networks}.
     *
     * @param source names the file in error messages
     */
    public static NetworkSpec spec(Map<String, LimaNetwork> networks, String name, String source) {
        LimaNetwork n = networks.get(name);
        if (n == null) {
            throw new NetworkFileException(source + ": no network '" + name + "' (defined: "
                    + String.join(", ", networks.keySet()) + ")");
        }
        return spec(n, source);
    }

    /**
     * What to serve for {@code n}: {@code user-v2} gives NAT to everywhere with the gateway at subnet + 2 (Lima's
     * rule); {@code host} gives the LAN and the host alias only, with the host at the file's gateway address (as on a
     * vmnet host network, where the host is the gateway); other modes are refused.
     */
    public static NetworkSpec spec(LimaNetwork n, String source) {
        String where = source + ": network '" + n.name() + "'";
        boolean outside = switch (n.mode()) {
            case MODE_USER_V2 -> true;
            case MODE_HOST -> false;
            case MODE_SHARED, MODE_BRIDGED -> throw new NetworkFileException(where + " has mode " + n.mode()
                    + ", which needs socket_vmnet (macOS vmnet); userv2 serves only user-v2 and host networks");
            default -> throw new NetworkFileException(where + " has unknown mode '" + oneLine(n.mode())
                    + "' (expected user-v2, host, shared or bridged)");
        };
        if (n.gateway() == null) {
            throw new NetworkFileException(where + " (mode " + n.mode() + ") has no gateway");
        }
        int prefix = prefixLength(n.netmask());
        if (prefix < 0) {
            throw new NetworkFileException(where + ": netmask " + n.netmask() + " is not contiguous");
        }
        Ipv4Subnet subnet = new Ipv4Subnet(n.gateway(), prefix);
        Ipv4Address gatewayIp = outside ? SwitchConfig.defaultGateway(subnet) : n.gateway();
        boolean host = subnet.contains(gatewayIp) && !gatewayIp.equals(subnet.network())
                && !gatewayIp.equals(subnet.broadcast());
        if (!host) {
            throw new NetworkFileException(where + ": subnet " + subnet + " has no room for the gateway " + gatewayIp);
        }
        return new NetworkSpec(n.name(), subnet, gatewayIp, outside);
    }

    /** The prefix length of a contiguous netmask, or -1 (255.0.255.0 and the like). */
    static int prefixLength(Ipv4Address netmask) {
        int bits = netmask.bits();
        int prefix = Integer.bitCount(bits);
        int canonical = prefix == 0 ? 0 : -1 << (32 - prefix);
        return bits == canonical ? prefix : -1;
    }

    private static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        String s = text.replaceAll("\\s*\\R\\s*", " ").trim();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
