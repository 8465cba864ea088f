package io.userv2.switchd;

import io.netty.buffer.PooledByteBufAllocator;
import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.api.ApiServer;
import io.userv2.switchd.cli.LimaNetworks;
import io.userv2.switchd.cli.Profiles;
import io.userv2.switchd.cli.GvproxyCommand;
import io.userv2.switchd.cli.UsernetCommand;
import io.userv2.switchd.config.DhcpSettings;
import io.userv2.switchd.config.DnsSettings;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.stack.nat.Nat64Prefix;
import io.userv2.switchd.config.PortSecuritySettings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.config.VxlanSettings;
import io.userv2.switchd.forward.ForwardSpec;
import io.userv2.switchd.logging.DaemonLogManager;
import io.userv2.switchd.logging.Logging;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.transport.EarlyListeners;
import io.userv2.switchd.warmup.WarmUp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code userv2-switch} command: parses the command line, builds the {@link VirtualNetwork} and runs it until
 * SIGINT or SIGTERM.
 */
@Command(name = "userv2-switch", mixinStandardHelpOptions = true, version = "userv2 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true, subcommands = {UsernetCommand.class, GvproxyCommand.class},
        description = "A user-mode virtual switch and gateway: VMs attach over sockets and share one Ethernet LAN.")
public final class Main implements Callable<Integer> {
    static {
        // Must run before the first logger is created.
        System.setProperty("java.util.logging.manager", DaemonLogManager.class.getName());
        // Netty re-checks the reference count on every buffer access; the switch's buffers have one owner each and
        // the tests run with these checks (and paranoid leak detection) on. Bounds checks stay on. A user's -D wins.
        if (System.getProperty("io.netty.buffer.checkAccessible") == null) {
            System.setProperty("io.netty.buffer.checkAccessible", "false");
        }
    }

    @Option(names = "--listen", paramLabel = "ADDR",
            description = "Accept VMs speaking the QEMU stream protocol (4-byte big-endian length + frame) on a unix"
                    + " socket PATH (or unix://PATH) or on tcp://HOST:PORT. Repeatable.")
    List<String> listen = new ArrayList<>();

    @Option(names = "--listen-vfkit", paramLabel = "unixgram://PATH",
            description = "Accept vfkit/krunkit VMs on a unix datagram socket (one datagram = one frame). Repeatable.")
    List<String> listenVfkit = new ArrayList<>();

    @Option(names = "--listen-bess", paramLabel = "unixpacket://PATH",
            description = "Accept bess clients on a unix SOCK_SEQPACKET socket (one packet = one frame). Repeatable.")
    List<String> listenBess = new ArrayList<>();

    @Option(names = "--connect-bess", paramLabel = "unixpacket://PATH",
            description = "Join a bess server (e.g. slirp4netns --target-type=bess) as one more port. Repeatable.")
    List<String> connectBess = new ArrayList<>();

    @Option(names = "--listen-stdio",
            description = "One VM on stdin/stdout with the QEMU stream framing (for tunnelling over ssh); the switch"
                    + " stops when stdin ends.")
    boolean listenStdio;

    @Option(names = "--subnet", paramLabel = "CIDR", defaultValue = "192.168.104.0/24",
            description = "The LAN's subnet (default: ${DEFAULT-VALUE}).")
    String subnet;

    @Option(names = "--lima-networks", paramLabel = "FILE",
            description = "Serve a network of Lima's networks.yaml (with --network): mode user-v2 (NAT) or host"
                    + " (LAN and host alias only); its gateway and netmask give the subnet.")
    Path limaNetworks;

    @Option(names = "--network", paramLabel = "NAME",
            description = "The network of --lima-networks to serve, e.g. user-v2.")
    String network;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "A ready-made layout: 'slirp' (Lima's default network, 192.168.5.0/24, host at 192.168.5.2).")
    String profile;

    @Option(names = "--gateway-ip", paramLabel = "IP",
            description = "The virtual gateway's address (default: subnet + 2, e.g. 192.168.104.2).")
    String gatewayIp;

    @Option(names = "--gateway-mac", paramLabel = "MAC", defaultValue = "5a:94:ef:e4:0c:dd",
            description = "The virtual gateway's MAC address (default: ${DEFAULT-VALUE}).")
    String gatewayMac;

    @Option(names = "--mtu", paramLabel = "N", defaultValue = "1500",
            description = "IP MTU of the LAN, 576..65520 (default: ${DEFAULT-VALUE}); frames up to N+18 bytes are"
                    + " accepted, a length prefix of 0 or above that closes the offending connection.")
    int mtu;

    @Option(names = "--ipv6", paramLabel = "on|off", defaultValue = "on",
            description = "Serve IPv6 on the LAN (default: ${DEFAULT-VALUE}): Router Advertisements of a /64 for SLAAC"
                    + " (with the gateway's DNS address and search list), neighbour discovery, DNS over IPv6 and AAAA"
                    + " names for the VMs. 'off' keeps the LAN IPv4-only, as before. Off by itself with an MTU below"
                    + " 1280.")
    String ipv6;

    @Option(names = "--ipv6-prefix", paramLabel = "PREFIX/64",
            description = "The LAN's IPv6 /64 (default: a unique local fdXX:XXXX:XXXX::/64 derived from the subnet and"
                    + " the gateway MAC, the same after every restart); the gateway is PREFIX::N where N is its IPv4"
                    + " host number (::2 for 192.168.104.2).")
    String ipv6Prefix;

    @Option(names = "--dhcpv6", paramLabel = "MODE", defaultValue = "stateless",
            description = "DHCPv6 at the gateway with IPv6 on: 'stateless' (default: DNS server and search list for"
                    + " Information-requests, the O flag in Router Advertisements), 'stateful' (also addresses from"
                    + " the prefix, kept beside the DHCP leases as LEASES6.json, the M flag) or 'off'.")
    String dhcpv6;

    @Option(names = "--pcap", paramLabel = "FILE",
            description = "Write every frame the switch sees to FILE (pcap, readable by tcpdump/tshark/Wireshark).")
    Path pcap;

    @Option(names = "--leases-file", paramLabel = "FILE",
            description = "Keep the DHCP lease table in FILE across restarts (written atomically). Default: beside the"
                    + " first unix --listen socket, PATH with .sock replaced by .leases.json; in memory if there is none.")
    Path leasesFile;

    @Option(names = "--lease", paramLabel = "IP=MAC",
            description = "A static DHCP lease, e.g. 192.168.104.10=52:55:55:12:34:56. Repeatable.")
    List<String> staticLeases = new ArrayList<>();

    @Option(names = "--leases", paramLabel = "IP=MAC,...",
            description = "Static DHCP leases as a comma-separated list (as limactl usernet takes them).")
    List<String> staticLeaseLists = new ArrayList<>();

    @Option(names = "--dhcp-lease-time", paramLabel = "SECONDS", defaultValue = "3600",
            description = "DHCP lease time, " + DhcpSettings.MIN_LEASE_SECONDS + " to 2147483647 (default:"
                    + " ${DEFAULT-VALUE}); clients renew at half of it (T1) and rebind at 7/8 (T2). Short times"
                    + " (from " + DhcpSettings.MIN_LEASE_SECONDS + " s) are for tests of renewal and rebinding.")
    long dhcpLeaseTime;

    @Option(names = "--dns-host", paramLabel = "NAME=IP",
            description = "Answer NAME with IP at the gateway's DNS (like Lima's hostResolver.hosts). Repeatable.")
    List<String> dnsHosts = new ArrayList<>();

    @Option(names = "--hosts-file", paramLabel = "FILE",
            description = "A hosts-format file consulted for A/AAAA before the host's resolver. Repeatable.")
    List<Path> hostsFiles = new ArrayList<>();

    @Option(names = "--host-resolver", paramLabel = "MODE", defaultValue = "os",
            description = "Where A/AAAA queries go after the internal names and --hosts-file: 'os' (the host's own"
                    + " resolver, default) or 'hosts' (nowhere: only the files and the upstreams).")
    String hostResolver;

    @Option(names = "--dns-upstream", paramLabel = "IP[:PORT]",
            description = "Forward other queries to this nameserver instead of those in --resolv-conf. Repeatable.")
    List<String> dnsUpstreams = new ArrayList<>();

    @Option(names = "--resolv-conf", paramLabel = "FILE", defaultValue = "/etc/resolv.conf",
            description = "The resolv.conf whose nameservers and search domains the DNS follows (re-read when it"
                    + " changes; default: ${DEFAULT-VALUE}).")
    Path resolvConf;

    @Option(names = "--nat", paramLabel = "VIRTUAL=REAL",
            description = "Guests reaching VIRTUAL reach REAL on the host side instead, e.g."
                    + " 203.0.113.10=127.0.0.1, or with IPv6 addresses 2001:db8::10=::1 (NAT66). The gateway's own"
                    + " addresses always reach the host's 127.0.0.1 and ::1. Repeatable.")
    List<String> natRules = new ArrayList<>();

    @Option(names = "--nat64",
            description = "NAT64 and DNS64 for IPv6-only guests (needs IPv6 on; off by default): TCP, UDP and ping"
                    + " to the NAT64 prefix (default 64:ff9b::/96) leave through IPv4 host sockets to the IPv4"
                    + " address in its last 32 bits, as IPv4 from the guest would (--nat rules, --no-outside), and"
                    + " the gateway's DNS answers AAAA in the prefix for names that have only A records.")
    boolean nat64;

    @Option(names = "--nat64-prefix", paramLabel = "PREFIX/96",
            description = "The NAT64 prefix (RFC 6052: /32, /40, /48, /56, /64 or /96; default 64:ff9b::/96, the"
                    + " well-known prefix, which never carries private or documentation IPv4 addresses other than"
                    + " --nat rule addresses). Implies --nat64.")
    String nat64Prefix;

    @Option(names = "--no-outside",
            description = "Keep guests on the LAN, the host alias and --nat rules (Lima's host mode): no other"
                    + " destination is dialled.")
    boolean noOutside;

    @Option(names = "--udp-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Close a NAT'd UDP flow after this long without traffic (default: ${DEFAULT-VALUE}).")
    int udpTimeout;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "16384",
            description = "Most guest TCP connections in all; SYNs beyond are refused (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-connections-per-vm", paramLabel = "N", defaultValue = "4096",
            description = "Most TCP connections of one VM (one switch port, whatever addresses it uses)"
                    + " (default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerVm;

    @Option(names = "--max-pending-dials-per-vm", paramLabel = "N", defaultValue = "1024",
            description = "Most host connects one VM may have pending at once; its further SYNs are refused"
                    + " (default: ${DEFAULT-VALUE}).")
    int maxPendingDialsPerVm;

    @Option(names = "--max-udp-flows-per-vm", paramLabel = "N", defaultValue = "4096",
            description = "Most UDP flows of one VM (default: ${DEFAULT-VALUE}).")
    int maxUdpFlowsPerVm;

    @Option(names = "--keepalive-idle", paramLabel = "SECONDS", defaultValue = "60",
            description = "Probe a NAT'd TCP connection whose guest has said nothing for this long, so the flows of"
                    + " a guest that crashed, froze or rebooted are reaped; 0 turns it off (default: ${DEFAULT-VALUE}).")
    int keepAliveIdle;

    @Option(names = "--keepalive-interval", paramLabel = "SECONDS", defaultValue = "10",
            description = "Time between unanswered keep-alive probes (default: ${DEFAULT-VALUE}).")
    int keepAliveInterval;

    @Option(names = "--keepalive-probes", paramLabel = "N", defaultValue = "3",
            description = "Unanswered probes after which the connection is reset on both sides"
                    + " (default: ${DEFAULT-VALUE}).")
    int keepAliveProbes;

    @Option(names = "--dns-tcp-idle-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "Close a DNS-over-TCP connection to the gateway after this long without a query"
                    + " (default: ${DEFAULT-VALUE}).")
    int dnsTcpIdle;

    @Option(names = "--dns-local-ttl", paramLabel = "SECONDS", defaultValue = "5",
            description = "TTL of the gateway's own DNS answers (internal names, host-resolver answers) and"
                    + " negative-caching time of its NODATA/NXDOMAIN answers; short so that a VM that goes away"
                    + " stops resolving soon, 0 asks guests not to cache (default: ${DEFAULT-VALUE}).")
    long dnsLocalTtl;

    @Option(names = "--forward", paramLabel = "PROTO:[IP:]PORT=GUEST_IP:PORT",
            description = "Forward a host port into a guest, e.g. tcp:127.0.0.1:2222=192.168.104.3:22 or"
                    + " udp:5353=192.168.104.3:53 (binds 127.0.0.1 unless an address is given). Repeatable.")
    List<String> forwardSpecs = new ArrayList<>();

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep state across restarts in DIR: the DHCP leases (leases.json, unless --leases-file)"
                    + " and the port forwards added at run time (forwards.json).")
    Path stateDir;

    @Option(names = "--api", paramLabel = "PATH",
            description = "Serve the HTTP API (the calls Lima and gvproxy clients make: leases, forwards, DNS zones,"
                    + " stats, metrics, wait_port) on the unix socket PATH, mode 0600.")
    Path api;

    @Option(names = "--guest-api",
            description = "Serve gvproxy's guest-side API at port 80 of the gateway: GET /services/forwarder/all,"
                    + " POST /services/forwarder/expose and unexpose (a guest may then open host ports and sockets;"
                    + " port 80 of the gateway no longer reaches the host's).")
    boolean guestApi;

    @Option(names = "--busy-poll", paramLabel = "MICROS", defaultValue = "" + SwitchConfig.DEFAULT_BUSY_POLL_MICROS,
            description = "Poll at most this long for the next frame before sleeping (default: ${DEFAULT-VALUE}; 0"
                    + " never polls). The poll time adapts to the gaps between frames (none when they are longer) and"
                    + " yields the CPU to any other thread that wants it; it saves a thread wake-up per hop, tens of"
                    + " microseconds on virtual CPUs.")
    int busyPoll;

    @Option(names = "--coalesce", paramLabel = "MICROS", defaultValue = "" + SwitchConfig.DEFAULT_COALESCE_MICROS,
            description = "While a VM streams frames in (reads of 1 KiB or more, less than 1 ms or twice this apart),"
                    + " wait this long after each round before reading again, so that each read, switch and write"
                    + " carries a batch (a NIC's interrupt moderation; default: ${DEFAULT-VALUE}; 0 never waits)."
                    + " Request/response traffic, a round that ends a sender's write (TCP PSH or FIN), the round right"
                    + " after one that did, and a quiet LAN are never held; it saves CPU the guests need on a machine"
                    + " with few cores.")
    int coalesce;

    @Option(names = "--verify-checksums",
            description = "Verify the TCP checksum of every segment a VM sends through the gateway, and drop (and"
                    + " count) those that fail. Off by default: frames from VMs on this host come over memory, where"
                    + " nothing can corrupt them (as gvproxy and passt, which do not verify either); always on with a"
                    + " VXLAN uplink.")
    boolean verifyChecksums;

    @Option(names = "--no-warm-up",
            description = "Skip the start-up warm-up: a private copy of the network, invisible to VMs and the API,"
                    + " that built-in guests send TCP through before the network serves (at most 3 s of traffic;"
                    + " VMs that connect meanwhile wait), so that the JVM has compiled the forwarding path before a"
                    + " VM's first transfer. Without it the first frame is answered sooner and the first seconds of"
                    + " traffic are slower.")
    boolean noWarmUp;

    @Option(names = "--ip-source-guard", negatable = true,
            description = "Bind each VM port to the IPv4 addresses DHCP leased to the MACs learned on it and to static"
                    + " leases; drop IPv4 and ARP from it with any other source (0.0.0.0 passes, for DHCP). Default:"
                    + " on with --lima-networks (guests use DHCP), off otherwise; --no-ip-source-guard turns it off.")
    Boolean ipSourceGuard;

    @Option(names = "--max-macs-per-port", paramLabel = "N", defaultValue = "256",
            description = "Most MAC addresses learned on one VM port; frames from further addresses are dropped, and"
                    + " no port ever pushes another's addresses out of the table (default: ${DEFAULT-VALUE}, the"
                    + " hosts of a /24).")
    int maxMacsPerPort;

    @Option(names = "--storm-control", paramLabel = "PPS", defaultValue = "2000",
            description = "Most frames a second one VM port may have flooded to every other port (broadcast,"
                    + " multicast, unknown unicast); beyond, they are dropped and counted (default: ${DEFAULT-VALUE};"
                    + " 0: no limit).")
    int stormControl;

    @Option(names = "--vxlan-local", paramLabel = "IPV4[:PORT]",
            description = "Join other hosts' LANs over VXLAN (RFC 7348): bind the VXLAN UDP socket to this address"
                    + " of this host (port 4789 unless given; never a wildcard: VXLAN has no authentication).")
    String vxlanLocal;

    @Option(names = "--vxlan", paramLabel = "REMOTE[:PORT]",
            description = "A remote VXLAN tunnel endpoint (a userv2, a Linux vxlan device, Open vSwitch); each is a"
                    + " port of the switch. Repeatable; needs --vxlan-local and --vni.")
    List<String> vxlanRemotes = new ArrayList<>();

    @Option(names = "--vni", paramLabel = "N",
            description = "The VXLAN Network Identifier, 0..16777215; datagrams with another are dropped.")
    Integer vni;

    @Option(names = "--vxlan-learn-remotes",
            description = "Also accept VXLAN from endpoints not given with --vxlan (each becomes a port that ages"
                    + " out after 300 s of silence); default: such datagrams are dropped and counted.")
    boolean vxlanLearnRemotes;

    @Option(names = "--vxlan-underlay-mtu", paramLabel = "N", defaultValue = "0",
            description = "The underlay's IP MTU (default: the MTU of the interface holding --vxlan-local). --mtu"
                    + " plus 50 bytes of encapsulation must fit in it, or the switch does not start.")
    int vxlanUnderlayMtu;

    @Option(names = "--no-gateway",
            description = "A pure switch: no gateway of its own (no ARP, DHCP, DNS or NAT), for a host whose guests"
                    + " use another host's gateway over --vxlan.")
    boolean noGateway;

    @Option(names = "--vxlan-gateway", paramLabel = "REMOTE",
            description = "With --no-gateway: the --vxlan remote behind which the LAN's gateway lives (default: the"
                    + " first --vxlan). The gateway's MAC is pinned to it: from any other remote it is a second"
                    + " gateway, dropped and reported.")
    String vxlanGateway;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "INFO",
            description = "Log level: ERROR, WARNING, INFO, DEBUG (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Logging.configure(logLevel);
        SwitchConfig config;
        try {
            Ipv4Subnet net = Ipv4Subnet.parse(subnet);
            Ipv4Address gateway = gatewayIp == null ? null : Ipv4Address.parse(gatewayIp);
            boolean outside = !noOutside;
            boolean subnetGiven = spec.commandLine().getParseResult().hasMatchedOption("--subnet");
            Ipv4Address poolStart = null;
            if (limaNetworks != null || network != null) {
                if (limaNetworks == null || network == null || profile != null || subnetGiven) {
                    throw new IllegalArgumentException("--lima-networks and --network go together, without --subnet"
                            + " or --profile");
                }
                LimaNetworks.NetworkSpec lima;
                try {
                    lima = LimaNetworks.apply(limaNetworks, network);
                } catch (LimaNetworks.NetworkFileException e) {
                    spec.commandLine().getErr().println("userv2-switch: " + e.getMessage());
                    return 2;
                }
                net = lima.subnet();
                gateway = gateway == null ? lima.gatewayIp() : gateway;
                outside &= lima.outside();
            } else if (profile != null) {
                if (subnetGiven) {
                    throw new IllegalArgumentException("--profile sets the subnet; drop --subnet");
                }
                Profiles.Profile p = Profiles.lookup(profile);
                net = p.subnet();
                gateway = gateway == null ? p.gatewayIp() : gateway;
                poolStart = p.poolStart();
                dnsIp = p.dnsIp();
            }
            List<ListenAddress> addresses = new ArrayList<>(listen.stream().map(ListenAddress::parse).toList());
            listenVfkit.forEach(a -> addresses.add(ListenAddress.parseUnixgram(a)));
            listenBess.forEach(a -> addresses.add(ListenAddress.parseSeqpacket(a)));
            connectBess.forEach(a -> addresses.add(ListenAddress.parseSeqpacketConnect(a)));
            if (listenStdio) {
                addresses.add(new ListenAddress.Stdio());
            }
            config = new SwitchConfig(addresses, net,
                    gateway == null ? SwitchConfig.defaultGateway(net) : gateway,
                    MacAddress.parse(gatewayMac), mtu, pcap, dhcpSettings(addresses, poolStart), dnsSettings(),
                    natSettings(outside), forwardSettings(), api, busyPoll, PortSecuritySettings.DEFAULT
                            .withMaxMacsPerPort(maxMacsPerPort)
                            .withFloodsPerSecond(stormControl)
                            .withIpSourceGuard(ipSourceGuard == null ? limaNetworks != null : ipSourceGuard))
                    .withIpv6(ipv6Settings())
                    .withVxlan(vxlanSettings())
                    .withCoalesce(coalesce)
                    .withVerifyChecksums(verifyChecksums);
            if (config.nat().nat64() != null && !config.ipv6().enabled()) {
                throw new IllegalArgumentException("--nat64 needs IPv6 on the LAN (it serves IPv6 guests)");
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        return runDaemon(config, guestApi ? DaemonHooks.GUEST_API : DaemonHooks.NONE, !noWarmUp);
    }

    /**
     * Builds the network for {@code config} and runs it on the calling thread until SIGINT/SIGTERM, which close
     * every connection, remove our socket files and flush the capture. Returns the process exit code: 1 when the
     * network cannot start (the reason is logged).
     */
    public static int runDaemon(SwitchConfig config) {
        return runDaemon(config, DaemonHooks.NONE);
    }

    /** {@link #runDaemon(SwitchConfig)} with what a command mode adds ({@code hooks}). */
    public static int runDaemon(SwitchConfig config, DaemonHooks hooks) {
        return runDaemon(config, hooks, true);
    }

    /**
     * {@link #runDaemon(SwitchConfig, DaemonHooks)}, with the start-up {@link WarmUp} when {@code warmUp} (never on a
     * switch without a gateway: it has no NAT path to warm). The warm-up runs while the rest starts, on the thread that
     * then runs the network's event loop; the network serves once it has ended (the sockets are bound before: VMs that
     * connect wait in their backlog).
     */
    public static int runDaemon(SwitchConfig config, DaemonHooks hooks, boolean warmUp) {
        return serveDaemon(config, hooks, warmUp && !config.vxlan().noGateway() ? WarmUp.start(config) : null);
    }

    private static void abandon(WarmUp.Handoff warmingUp) {
        if (warmingUp != null) {
            warmingUp.abandon();
        }
    }

    /** The daemon, its network run by {@code warmingUp}'s thread once the warm-up has ended (null: no warm-up). */
    private static int serveDaemon(SwitchConfig config, DaemonHooks hooks, WarmUp.Handoff warmingUp) {
        // Not a static field: main binds the sockets before the logging system is set up (tens of ms).
        System.Logger log = System.getLogger(Main.class.getName());
        // The API sockets first, then the network's: Lima's usernet start returns as soon as the VM socket exists and
        // calls the API right after; until the network is up, API calls wait for it.
        List<ApiServer> apiServers = new ArrayList<>();
        PendingControlPlane plane = new PendingControlPlane();
        List<Path> apiSockets = new ArrayList<>();
        if (config.apiSocket() != null) {
            apiSockets.add(config.apiSocket());
        }
        apiSockets.addAll(hooks.moreApiSockets());
        for (Path socket : apiSockets) {
            try {
                apiServers.add(ApiServer.start(plane, socket));
                log.log(System.Logger.Level.INFO, "api: serving on unix:" + socket);
            } catch (IOException e) {
                log.log(System.Logger.Level.ERROR, "cannot start the API: " + e.getMessage());
                apiServers.forEach(ApiServer::close);
                abandon(warmingUp);
                hooks.failed(e);
                return 1;
            }
        }
        VirtualNetwork network;
        try {
            network = VirtualNetwork.create(config);
        } catch (IOException e) {
            log.log(System.Logger.Level.ERROR, "cannot start: " + e.getMessage());
            plane.failed(e);
            apiServers.forEach(ApiServer::close);
            abandon(warmingUp);
            hooks.failed(e);
            return 1;
        }
        try {
            hooks.started(network);
        } catch (Exception e) {
            log.log(System.Logger.Level.ERROR, "cannot start: " + e.getMessage());
            plane.failed(e);
            apiServers.forEach(ApiServer::close);
            network.close();
            abandon(warmingUp);
            hooks.failed(e);
            return 1;
        }
        plane.ready(new NetworkControlPlane(network));
        if (hooks.guestApi()) {
            try {
                GuestApi.serve(network, plane);
            } catch (IOException e) {
                log.log(System.Logger.Level.ERROR, "cannot start the guest API: " + e.getMessage());
                network.close();
                apiServers.forEach(ApiServer::close);
                abandon(warmingUp);
                hooks.failed(e);
                return 1;
            }
        }
        Thread hook = new Thread(() -> {
            apiServers.forEach(ApiServer::close);
            network.close();
        }, "userv2-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // Before each compaction, on the loop (the only thread that allocates much): idle ports give their buffers
        // back, idle NAT connections the receive chunk each keeps for reuse, and Netty's per-thread cache, which keeps
        // freed buffers (and so whole pool chunks) until its thread allocates again, is emptied.
        MemoryPolicy.beforeCompaction(() -> {
            CountDownLatch done = new CountDownLatch(1);
            network.loop().execute(() -> {
                try {
                    for (Port p : network.learningSwitch().ports()) {
                        p.releaseIdleBuffers();
                    }
                    if (network.nat() != null) {
                        network.nat().engine().releaseIdleBuffers();
                    }
                    PooledByteBufAllocator.DEFAULT.trimCurrentThreadCache();
                } finally {
                    done.countDown();
                }
            });
            try {
                done.await(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        log.log(System.Logger.Level.INFO, (config.vxlan().noGateway() ? "no gateway (--no-gateway)"
                : "gateway " + config.gatewayIp() + " (" + config.gatewayMac() + ")") + " on " + config.subnet()
                + ", MTU " + config.mtu());
        if (config.nat().nat64() != null && config.ipv6().enabled()) {
            log.log(System.Logger.Level.INFO, "nat64: " + config.nat().nat64() + " through IPv4 host sockets,"
                    + " DNS64 on");
        }
        if (config.ipv6().enabled() && network.gateway().ipv6() != null) {
            log.log(System.Logger.Level.INFO, "ipv6: gateway " + network.gateway().ipv6().address() + " and "
                    + network.gateway().ipv6().linkLocal() + " on " + config.ipv6Prefix());
        }
        if (warmingUp != null) {
            warmingUp.serve(network); // VMs that connected meanwhile wait in the listener's backlog
        } else {
            network.run();
        }
        return 0;
    }

    VxlanSettings vxlanSettings() {
        if (vxlanLocal == null && vxlanRemotes.isEmpty() && vni == null && !vxlanLearnRemotes) {
            if (vxlanGateway != null) {
                throw new IllegalArgumentException("--vxlan-gateway needs VXLAN (--vxlan-local, --vxlan, --vni)");
            }
            return VxlanSettings.NONE.withNoGateway(noGateway);
        }
        if (vxlanLocal == null || vni == null) {
            throw new IllegalArgumentException("VXLAN needs --vxlan-local IPV4[:PORT] and --vni N");
        }
        return new VxlanSettings(VxlanSettings.parseEndpoint(vxlanLocal, "--vxlan-local"),
                vxlanRemotes.stream().map(r -> VxlanSettings.parseEndpoint(r, "--vxlan")).toList(), vni,
                vxlanLearnRemotes, vxlanUnderlayMtu, noGateway,
                vxlanGateway == null ? null : VxlanSettings.parseEndpoint(vxlanGateway, "--vxlan-gateway"));
    }

    private Ipv6Settings ipv6Settings() {
        Ipv6Prefix prefix = ipv6Prefix == null ? null : Ipv6Prefix.parse(ipv6Prefix.trim());
        return switch (ipv6) {
            case "on" -> {
                if (mtu < Ipv6Settings.MIN_MTU && spec.commandLine().getParseResult().hasMatchedOption("--ipv6")) {
                    throw new IllegalArgumentException("--ipv6=on needs --mtu " + Ipv6Settings.MIN_MTU
                            + " or more (RFC 8200 5)");
                }
                yield new Ipv6Settings(true, prefix, Ipv6Settings.Dhcpv6Mode.parse(dhcpv6));
            }
            case "off" -> new Ipv6Settings(false, prefix, Ipv6Settings.Dhcpv6Mode.parse(dhcpv6));
            default -> throw new IllegalArgumentException("--ipv6 must be 'on' or 'off', got " + ipv6);
        };
    }

    /** The DHCP settings of the parsed options; IllegalArgumentException (a one-line message) when invalid. */
    DhcpSettings dhcpSettings(List<ListenAddress> addresses, Ipv4Address poolStart) {
        List<StaticLease> leases = new ArrayList<>();
        for (String lease : staticLeases) {
            leases.add(StaticLease.parse(lease));
        }
        for (String list : staticLeaseLists) {
            leases.addAll(StaticLease.parseList(list));
        }
        Path file = leasesFile;
        if (file == null && stateDir != null) {
            file = stateDir.resolve("leases.json");
        }
        if (file == null) {
            file = addresses.stream().filter(a -> a instanceof ListenAddress.Unix).findFirst()
                    .map(a -> defaultLeasesFile(((ListenAddress.Unix) a).path())).orElse(null);
        }
        return new DhcpSettings(file, leases, poolStart, dhcpLeaseTime);
    }

    /** {@code /run/x/net.sock} -> {@code /run/x/net.leases.json}. */
    static Path defaultLeasesFile(Path socket) {
        String name = socket.getFileName().toString();
        String base = name.endsWith(".sock") ? name.substring(0, name.length() - ".sock".length()) : name;
        return socket.resolveSibling(base + ".leases.json");
    }

    private ForwardSettings forwardSettings() {
        List<ForwardSpec> specs = forwardSpecs.stream().map(ForwardSpec::parse).toList();
        return new ForwardSettings(specs, stateDir == null ? null : stateDir.resolve("forwards.json"));
    }

    /** The NAT64 prefix {@code --nat64} / {@code --nat64-prefix} ask for, or null when NAT64 is off. */
    private Nat64Prefix nat64Prefix() {
        if (nat64Prefix != null) {
            return Nat64Prefix.parse(nat64Prefix);
        }
        return nat64 ? Nat64Prefix.WELL_KNOWN : null;
    }

    NatSettings natSettings(boolean outside) {
        Map<Ipv4Address, Ipv4Address> rules = new LinkedHashMap<>();
        Map<Ipv6Address, Ipv6Address> rules6 = new LinkedHashMap<>();
        for (String rule : natRules) {
            int eq = rule.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--nat expects VIRTUAL=REAL, got " + rule);
            }
            String virtual = unbracket(rule.substring(0, eq));
            String real = unbracket(rule.substring(eq + 1));
            if (virtual.contains(":") || real.contains(":")) {
                rules6.put(Ipv6Address.parse(virtual), Ipv6Address.parse(real)); // both IPv6, or a clear error
            } else {
                rules.put(Ipv4Address.parse(virtual), Ipv4Address.parse(real));
            }
        }
        return new NatSettings(rules, outside, udpTimeout, maxConnections, maxConnectionsPerVm, maxPendingDialsPerVm,
                maxUdpFlowsPerVm, keepAliveIdle,
                keepAliveInterval, keepAliveProbes, dnsTcpIdle, null, false, rules6, nat64Prefix());
    }

    /** An IPv6 address as written in URLs, {@code [2001:db8::10]}, without its brackets. */
    private static String unbracket(String address) {
        return address.length() > 2 && address.startsWith("[") && address.endsWith("]")
                ? address.substring(1, address.length() - 1) : address;
    }

    /** The DNS address a profile asks for (null: the gateway's own). */
    private Ipv4Address dnsIp;

    private DnsSettings dnsSettings() {
        Map<String, Ipv4Address> hosts = new LinkedHashMap<>();
        for (String entry : dnsHosts) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--dns-host expects NAME=IP, got " + entry);
            }
            hosts.put(entry.substring(0, eq).trim(), Ipv4Address.parse(entry.substring(eq + 1)));
        }
        boolean os = switch (hostResolver) {
            case "os" -> true;
            case "hosts" -> false;
            default -> throw new IllegalArgumentException("--host-resolver must be 'os' or 'hosts', got " + hostResolver);
        };
        List<InetSocketAddress> upstreams = null;
        if (!dnsUpstreams.isEmpty()) {
            upstreams = new ArrayList<>();
            for (String u : dnsUpstreams) {
                upstreams.add(parseUpstream(u));
            }
        }
        return new DnsSettings(hosts, hostsFiles, os, upstreams, resolvConf, dnsIp, List.of(), dnsLocalTtl);
    }

    /** {@code IP} or {@code IP:PORT} (IPv4), port 53 by default; never a name (no lookup at start-up). */
    static InetSocketAddress parseUpstream(String text) {
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? text : text.substring(0, colon);
        int port = 53;
        if (colon >= 0) {
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--dns-upstream expects IP[:PORT], got " + text);
            }
        }
        return new InetSocketAddress(Ipv4Address.parse(host).toInetAddress(), port);
    }

    /** Entry point. */
    public static void main(String[] args) {
        // Before anything slow (class loading, the network's set-up): whoever waits for the socket file sees it as
        // soon as the JVM runs; connections wait in the backlog until the loop accepts them.
        EarlyListeners.bind(args);
        MemoryPolicy.apply();
        int code;
        try {
            code = new CommandLine(new Main()).execute(args);
        } finally {
            EarlyListeners.closeUnclaimed();
        }
        if (code != 0) {
            System.exit(code);
        }
    }
}
