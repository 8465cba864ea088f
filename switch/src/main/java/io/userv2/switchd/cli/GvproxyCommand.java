package io.userv2.switchd.cli;

import io.userv2.dns.DnsZone;
import io.userv2.dns.DnsZoneRecord;
import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.config.DhcpSettings;
import io.userv2.switchd.config.DnsSettings;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.switchd.config.PortSecuritySettings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.forward.ForwardSpec;
import io.userv2.switchd.sshforward.SshForwardSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code userv2-switch gvproxy}: a drop-in for gvisor-tap-vsock's {@code gvproxy}, taking its command line unchanged
 * (single-dash Go flags, {@code -flag value} or {@code -flag=value}; double dashes work too) as podman machine, CRC
 * and rootlesskit pass it, with gvproxy's defaults ({@code cmd/gvproxy/config.go}):
 *
 * <ul>
 *   <li>subnet 192.168.127.0/24; the gateway (router, DNS, DHCP server) at its first address, the VM at the second
 *       with a static lease for MAC 5a:94:ef:e4:0c:ee, the host alias at the last usable one (.254) reaching the
 *       host's 127.0.0.1; gateway MAC 5a:94:ef:e4:0c:dd; MTU 1500;</li>
 *   <li>DNS zones {@code containers.internal.} and {@code docker.internal.}, each with {@code gateway} and
 *       {@code host};</li>
 *   <li>{@code -ssh-port N} (2222; -1: none) forwards the host's 127.0.0.1:N to the VM's port 22;</li>
 *   <li>with {@code -config FILE} (gvproxy's YAML) those zones, the ssh forward and the static lease come from the
 *       file only; flags override the file.</li>
 * </ul>
 *
 * <p>Validation errors are gvproxy's texts and exit with code 2 (bad flags) or 1 (the network cannot start).
 * Differences, where userv2 does better: any number of VMs on each socket (gvproxy takes one connection on
 * {@code -listen-qemu}/{@code -listen-bess}), QEMU and bess sockets at once, stale socket files replaced instead of
 * refused (a socket a live process serves is still refused). Not supported: {@code -listen-vpnkit} (refused),
 * {@code tcp://} and {@code vsock://} control endpoints (refused: the API is served on unix sockets, mode 0600),
 * regexp DNS records.
 */
@Command(name = "gvproxy", sortOptions = false, usageHelpAutoWidth = true, version = GvproxyCommand.VERSION,
        description = "Run as gvisor-tap-vsock's gvproxy (podman machine, CRC, rootlesskit), with its command line.")
public final class GvproxyCommand implements Callable<Integer> {
    /** gvproxy's default subnet. */
    public static final String DEFAULT_SUBNET = "192.168.127.0/24";
    /** The MAC of gvproxy's VM (its static lease and vpnkit UUID map). */
    public static final MacAddress DEVICE_MAC = MacAddress.parse("5a:94:ef:e4:0c:ee");
    /** What gvproxy (and so podman) reports as its version; ours follows it. */
    static final String VERSION = "gvproxy version userv2-0.1.0 (gvisor-tap-vsock drop-in)";

    @Spec
    CommandSpec spec;

    @Option(names = {"-config", "--config"}, paramLabel = "FILE",
            description = "Use configuration file with command line override")
    String config = "";

    @Option(names = {"-listen", "--listen"}, paramLabel = "URI", description = "control endpoint")
    List<String> endpoints = new ArrayList<>();

    @Option(names = {"-debug", "--debug"}, arity = "0..1", fallbackValue = "true", description = "Print debug info")
    boolean debug;

    @Option(names = {"-pcap", "--pcap"}, paramLabel = "FILE", description = "Capture network traffic to a pcap file")
    String pcapFile = "";

    @Option(names = {"-mtu", "--mtu"}, paramLabel = "N", description = "Set the MTU (default: 1500)")
    int mtu;

    @Option(names = {"-ssh-port", "--ssh-port"}, paramLabel = "N", defaultValue = "2222",
            description = "Port to access the guest virtual machine. Must be between 1024 and 65535")
    int sshPort;

    @Option(names = {"-subnet", "--subnet"}, paramLabel = "CIDR", defaultValue = DEFAULT_SUBNET,
            description = "Subnet address in CIDR format, e.g. 192.168.127.0/24")
    String subnet;

    @Option(names = {"-gatewayIP", "--gatewayIP"}, paramLabel = "IP",
            description = "Gateway IP address, default is first usable address of subnet")
    String gatewayIp = "";

    @Option(names = {"-deviceIP", "--deviceIP"}, paramLabel = "IP",
            description = "Device IP address, default is second usable address of subnet")
    String deviceIp = "";

    @Option(names = {"-hostIP", "--hostIP"}, paramLabel = "IP",
            description = "Host IP address, default is last usable address of subnet")
    String hostIp = "";

    @Option(names = {"-listen-vpnkit", "--listen-vpnkit"}, paramLabel = "URI",
            description = "VPNKit socket to be used by Hyperkit (not supported: refused)")
    String vpnkitSocket = "";

    @Option(names = {"-listen-qemu", "--listen-qemu"}, paramLabel = "URI", description = "Socket to be used by Qemu")
    String qemuSocket = "";

    @Option(names = {"-listen-bess", "--listen-bess"}, paramLabel = "URI",
            description = "unixpacket socket to be used by Bess-compatible applications")
    String bessSocket = "";

    @Option(names = {"-listen-stdio", "--listen-stdio"}, paramLabel = "VALUE", description = "accept stdio pipe")
    String stdioSocket = "";

    @Option(names = {"-listen-vfkit", "--listen-vfkit"}, paramLabel = "URI",
            description = "unixgram socket to be used by vfkit-compatible applications")
    String vfkitSocket = "";

    @Option(names = {"-forward-sock", "--forward-sock"}, paramLabel = "PATH",
            description = "Forwards a unix socket to the guest virtual machine over SSH")
    List<String> forwardSocket = new ArrayList<>();

    @Option(names = {"-forward-dest", "--forward-dest"}, paramLabel = "PATH",
            description = "Forwards a unix socket to the guest virtual machine over SSH")
    List<String> forwardDest = new ArrayList<>();

    @Option(names = {"-forward-user", "--forward-user"}, paramLabel = "USER",
            description = "SSH user to use for unix socket forward")
    List<String> forwardUser = new ArrayList<>();

    @Option(names = {"-forward-identity", "--forward-identity"}, paramLabel = "FILE",
            description = "Path to SSH identity key for forwarding")
    List<String> forwardIdentity = new ArrayList<>();

    @Option(names = {"-pid-file", "--pid-file"}, paramLabel = "FILE", description = "Generate a file with the PID in it")
    String pidFile = "";

    @Option(names = {"-log-file", "--log-file"}, paramLabel = "FILE",
            description = "Output log messages (logrus) to a given file path")
    String logFile = "";

    @Option(names = {"-services", "--services"}, paramLabel = "URI",
            description = "Exposes the same HTTP API as the --listen flag, without the /connect endpoint")
    String servicesEndpoint = "";

    @Option(names = {"-ec2-metadata-access", "--ec2-metadata-access"}, arity = "0..1", fallbackValue = "true",
            description = "Permits access to EC2 Metadata Service and Amazon Time Sync Service")
    boolean ec2MetadataAccess;

    @Option(names = {"-notification", "--notification"}, paramLabel = "URI",
            description = "Socket to be used to send network-ready notifications")
    String notificationSocket = "";

    @Option(names = {"-version", "--version"}, versionHelp = true, description = "Print version information and exit")
    boolean version;

    @Option(names = {"-h", "-help", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    /**
     * The file (if {@code -config}) patched by the flags and completed with gvproxy's defaults, as
     * {@code GvproxyConfigure} does; IllegalArgumentException with gvproxy's message for the user.
     */
    public GvproxySettings settings() throws IOException {
        GvproxyConfig c = config.isEmpty() ? new GvproxyConfig() : GvproxyConfig.read(Path.of(config));
        if (debug) {
            c.logLevel = "debug";
        }
        if (!logFile.isEmpty()) {
            c.logFile = logFile;
        }
        if (c.logLevel.isEmpty()) {
            c.logLevel = "info";
        }
        if (c.mtu == 0) {
            c.mtu = 1500;
        }
        if (c.subnet.isEmpty()) {
            c.subnet = subnet;
        }
        Ipv4Subnet net;
        try {
            net = Ipv4Subnet.parse(c.subnet);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("failed to parse subnet: " + e.getMessage());
        }
        if (net.prefixLength() > 29) {
            throw new IllegalArgumentException("failed to identify usable gateway IP address in subnet: subnet too small");
        }
        if (c.gatewayIp.isEmpty()) {
            c.gatewayIp = gatewayIp.isEmpty() ? net.host(1).toString() : gatewayIp;
        }
        if (c.deviceIp.isEmpty()) {
            c.deviceIp = deviceIp.isEmpty() ? net.host(2).toString() : deviceIp;
        }
        if (c.hostIp.isEmpty()) {
            c.hostIp = hostIp.isEmpty() ? new Ipv4Address(net.broadcast().bits() - 1).toString() : hostIp;
        }
        Ipv4Address gateway = validIp(c.gatewayIp, net);
        Ipv4Address device = validIp(c.deviceIp, net);
        Ipv4Address host = validIp(c.hostIp, net);
        if (gateway.equals(device) || gateway.equals(host) || device.equals(host)) {
            throw new IllegalArgumentException("failed to validate configuration IPs: IP addresses need to be distinct");
        }
        if (c.gatewayMac.isEmpty()) {
            c.gatewayMac = SwitchConfig.DEFAULT_GATEWAY_MAC.toString();
        }
        if (c.nat.isEmpty()) {
            c.nat.put(c.hostIp, "127.0.0.1");
        }
        if (c.gatewayVirtualIps.isEmpty()) {
            c.gatewayVirtualIps.add(c.hostIp);
        }
        if (!qemuSocket.isEmpty()) {
            c.qemu = qemuSocket;
        }
        if (!bessSocket.isEmpty()) {
            c.bess = bessSocket;
        }
        if (!vfkitSocket.isEmpty()) {
            c.vfkit = vfkitSocket;
        }
        if (!vpnkitSocket.isEmpty()) {
            c.vpnkit = vpnkitSocket;
        }
        if (!stdioSocket.isEmpty()) {
            c.stdio = stdioSocket;
        }
        if (!pidFile.isEmpty()) {
            c.pidFile = pidFile;
        }
        if (!notificationSocket.isEmpty()) {
            if (!notificationSocket.startsWith("unix://")) {
                throw new IllegalArgumentException("notification listen address must be unix:// address");
            }
            c.notification = notificationSocket;
        }
        if (!endpoints.isEmpty()) {
            c.listen.clear();
            c.listen.addAll(endpoints);
        }
        if (!servicesEndpoint.isEmpty()) {
            c.services = servicesEndpoint;
        }
        if (ec2MetadataAccess) {
            c.ec2MetadataAccess = true;
        }
        if (mtu != 0) {
            c.mtu = mtu;
        }
        if (!c.vpnkit.isEmpty()) {
            throw new IllegalArgumentException("-listen-vpnkit (hyperkit's vpnkit protocol) is not supported; attach"
                    + " the VM with -listen-qemu, -listen-vfkit, -listen-bess or -listen-stdio");
        }
        List<ListenAddress> listen = new ArrayList<>();
        if (!c.qemu.isEmpty()) {
            listen.add(qemuAddress(c.qemu));
        }
        if (!c.bess.isEmpty()) {
            if (!c.bess.startsWith("unixpacket://")) {
                throw new IllegalArgumentException("bess listen address must be unixpacket:// address");
            }
            listen.add(ListenAddress.parseSeqpacket(c.bess));
        }
        if (!c.vfkit.isEmpty()) {
            if (!c.vfkit.startsWith("unixgram://")) {
                throw new IllegalArgumentException("vfkit listen address must be unixgram:// address");
            }
            listen.add(ListenAddress.parseUnixgram(c.vfkit));
        }
        if (!c.stdio.isEmpty()) {
            listen.add(new ListenAddress.Stdio());
        }
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("no VM socket: give -listen-qemu, -listen-vfkit, -listen-bess or"
                    + " -listen-stdio");
        }
        List<Path> apiSockets = new ArrayList<>();
        for (String e : c.listen) {
            apiSockets.add(controlSocket(e, "-listen"));
        }
        if (!c.services.isEmpty()) {
            apiSockets.add(controlSocket(c.services, "-services"));
        }

        boolean fromFile = !config.isEmpty();
        if (fromFile && spec.commandLine().getParseResult().hasMatchedOption("-ssh-port")) {
            System.getLogger(GvproxyCommand.class.getName()).log(System.Logger.Level.WARNING,
                    "CLI argument \"-ssh-port\" is unavailable with config file. You need to add \"127.0.0.1:"
                            + sshPort + ": " + c.deviceIp + ":22\" entry into .stack.forwards in \"" + config
                            + "\" instead");
        }
        if (!fromFile) {
            if (sshPort != -1 && sshPort < 1024 || sshPort > 65535) {
                throw new IllegalArgumentException("ssh-port value must be between 1024 and 65535");
            }
            c.captureFile = pcapFile;
            c.dns = List.of(zone("containers.internal.", gateway, host), zone("docker.internal.", gateway, host));
            c.forwards = new LinkedHashMap<>();
            if (sshPort != -1) {
                c.forwards.put("127.0.0.1:" + sshPort, c.deviceIp + ":22");
            }
            c.dhcpStaticLeases = new LinkedHashMap<>(Map.of(c.deviceIp, DEVICE_MAC.toString()));
        }

        List<SshForwardSettings> ssh = new ArrayList<>();
        for (GvproxyConfig.Forward f : c.sshForwards) {
            ssh.add(SshForwardSettings.of(f.socket(), f.dest(), f.user(), f.identity()));
        }
        ssh.addAll(SshForwardSettings.fromFlags(forwardSocket, forwardDest, forwardUser, forwardIdentity));
        return build(c, net, gateway, device, host, listen, apiSockets, ssh);
    }

    private static GvproxySettings build(GvproxyConfig c, Ipv4Subnet net, Ipv4Address gateway, Ipv4Address device,
            Ipv4Address host, List<ListenAddress> listen, List<Path> apiSockets, List<SshForwardSettings> ssh) {
        Map<Ipv4Address, Ipv4Address> rules = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : c.nat.entrySet()) {
            rules.put(parseIp(e.getKey()), parseIp(e.getValue()));
        }
        // The host alias: the address NAT'd to the host's loopback that the gateway answers at (gvproxy's
        // gatewayVirtualIPs); other virtual IPs of the gateway are not answered at.
        Ipv4Address hostAlias = null;
        for (String v : c.gatewayVirtualIps) {
            Ipv4Address a = parseIp(v);
            if (hostAlias == null && Ipv4Address.parse("127.0.0.1").equals(rules.get(a)) && net.contains(a)) {
                hostAlias = a;
            } else {
                System.getLogger(GvproxyCommand.class.getName()).log(System.Logger.Level.WARNING,
                        "gatewayVirtualIPs: " + v + " is not answered at (only one address NAT'd to 127.0.0.1 is)");
            }
        }
        if (hostAlias != null) {
            rules.remove(hostAlias);
        }
        List<StaticLease> leases = new ArrayList<>();
        for (Map.Entry<String, String> e : c.dhcpStaticLeases.entrySet()) {
            leases.add(new StaticLease(parseIp(e.getKey()), MacAddress.parse(e.getValue())));
        }
        List<ForwardSpec> forwards = new ArrayList<>();
        for (Map.Entry<String, String> e : c.forwards.entrySet()) {
            forwards.add(ForwardSpec.of("tcp", e.getKey(), e.getValue()));
        }
        DnsSettings dns = DnsSettings.HOST;
        dns = new DnsSettings(dns.staticHosts(), dns.hostsFiles(), dns.osResolver(), dns.upstreams(),
                dns.resolvConf(), null, c.dns == null ? List.of() : c.dns);
        Path pcap = c.captureFile.isEmpty() ? null : Path.of(c.captureFile);
        SwitchConfig sc = new SwitchConfig(listen, net, gateway, MacAddress.parse(c.gatewayMac), c.mtu, pcap,
                new DhcpSettings(null, leases), dns,
                NatSettings.DEFAULT.withAddressing(rules, hostAlias, c.ec2MetadataAccess),
                new ForwardSettings(forwards, null), null, SwitchConfig.DEFAULT_BUSY_POLL_MICROS,
                PortSecuritySettings.DEFAULT);
        return new GvproxySettings(sc, apiSockets, device, c.pidFile.isEmpty() ? null : Path.of(c.pidFile),
                c.logFile.isEmpty() ? null : Path.of(c.logFile), c.logLevel,
                c.notification.isEmpty() ? null : Path.of(stripScheme(c.notification, "unix://")), ssh);
    }

    private static DnsZone zone(String name, Ipv4Address gateway, Ipv4Address host) {
        return new DnsZone(name, List.of(new DnsZoneRecord("gateway", gateway.toInetAddress()),
                new DnsZoneRecord("host", host.toInetAddress())), null);
    }

    /** gvproxy's {@code validateConfigIPs} for one address. */
    private static Ipv4Address validIp(String text, Ipv4Subnet net) {
        Ipv4Address ip = parseIp(text);
        String prefix = "failed to validate configuration IPs: ";
        if (!net.contains(ip)) {
            throw new IllegalArgumentException(prefix + "IP (" + ip + ") not in subnet (" + net + ")");
        }
        if (ip.equals(net.network())) {
            throw new IllegalArgumentException(prefix + "IP must not be address of subnet: " + ip);
        }
        if (ip.equals(net.broadcast())) {
            throw new IllegalArgumentException(prefix + "IP must not be broadcast address: " + ip);
        }
        return ip;
    }

    private static Ipv4Address parseIp(String text) {
        try {
            return Ipv4Address.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid IP address: " + text);
        }
    }

    /** {@code unix://PATH} (podman's form) or a bare path; {@code tcp://HOST:PORT} as for {@code --listen}. */
    private static ListenAddress qemuAddress(String uri) {
        if (uri.contains("://") && !uri.startsWith("unix://") && !uri.startsWith("tcp://")) {
            throw new IllegalArgumentException("invalid value for qemu listen address: unexpected scheme in " + uri);
        }
        return ListenAddress.parse(uri);
    }

    private static Path controlSocket(String uri, String flag) {
        if (uri.startsWith("unix://")) {
            return Path.of(stripScheme(uri, "unix://"));
        }
        throw new IllegalArgumentException(flag + " " + uri + ": only unix:// endpoints are served (the API is a"
                + " unix socket, mode 0600); tcp://, vsock:// and npipe:// are not");
    }

    private static String stripScheme(String text, String scheme) {
        String path = text.startsWith(scheme) ? text.substring(scheme.length()) : text;
        if (path.isEmpty()) {
            throw new IllegalArgumentException("expected " + scheme + "PATH, got " + text);
        }
        return path;
    }

    @Override
    public Integer call() throws Exception {
        GvproxySettings settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(spec.qualifiedName() + ": " + e.getMessage());
            err.flush();
            return 2;
        }
        return new GvproxyDaemon(settings).run();
    }
}
