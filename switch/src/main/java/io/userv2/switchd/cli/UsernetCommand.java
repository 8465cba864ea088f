package io.userv2.switchd.cli;

import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.Main;
import io.userv2.switchd.config.DhcpSettings;
import io.userv2.switchd.config.DnsSettings;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.switchd.config.PortSecuritySettings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.logging.Logging;
import io.userv2.switchd.transport.UnixSocketFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code userv2-switch usernet}: a drop-in for {@code limactl usernet}, taking its flags exactly as Lima spawns it
 * ({@code pkg/networks/usernet/recoincile.go}):
 *
 * <pre>
 * usernet -p PIDFILE -e ENDPOINT_SOCK --listen-qemu QEMU_SOCK --listen FD_SOCK --subnet CIDR [--leases ip=mac,...] [--mtu N]
 * </pre>
 *
 * <p>As {@code limactl usernet} ({@code cmd/limactl/usernet.go}, {@code pkg/networks/usernet/gvproxy.go}): the gateway,
 * DNS server and host alias sit at subnet + 2 with MAC 5a:94:ef:e4:0c:dd; {@code --subnet} defaults to
 * 192.168.5.0/24 and {@code --mtu} to 1500; {@code --leases} entries outside the subnet are ignored; the socket
 * files are cleared at start (stale ones; a socket a live process serves is refused) and removed at exit; the pidfile
 * is written at start and removed at exit. Lima stops the daemon with {@code pkill -F PIDFILE} (SIGTERM) and waits
 * 5 s for the pidfile to go; SIGINT works the same.
 *
 * <p>Beyond Lima: a pidfile naming a dead process is replaced rather than refused (see {@link PidFile}); the DHCP lease
 * table is also kept by us, in {@code userv2-leases.json} beside the endpoint socket. (Lima's own {@code leases.json}
 * in that directory belongs to Lima: it writes {@code {"ip": "mac"}} there from {@code GET /services/dhcp/leases}
 * before stopping us and feeds it back as {@code --leases}; our format differs, so we never touch that file.)
 *
 * <p>Exit codes: 0 after a signal, 1 when the network cannot start (pidfile held by a live process, socket busy),
 * 2 for bad flags.
 */
@Command(name = "usernet", sortOptions = false, usageHelpAutoWidth = true,
        description = "Run as Lima's `limactl usernet` (the user-v2 network daemon Lima spawns), with its flags.")
public final class UsernetCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger(UsernetCommand.class.getName());

    /** Lima's default {@code --subnet} for {@code limactl usernet}. */
    public static final String DEFAULT_SUBNET = "192.168.5.0/24";
    /** The lease table we keep, beside the endpoint socket. */
    public static final String LEASES_FILE_NAME = "userv2-leases.json";
    /** How long the exit hook waits for the network to close before removing the pidfile anyway (Lima waits 5 s). */
    private static final long EXIT_WAIT_MILLIS = 4_000;

    @Spec
    CommandSpec spec;

    @Option(names = {"-p", "--pidfile"}, paramLabel = "FILE", description = "Write the PID to FILE (removed at exit).")
    Path pidFile;

    @Option(names = {"-e", "--endpoint"}, paramLabel = "SOCKET",
            description = "Serve the HTTP API (leases, forwards, DNS zones, wait_port) on this unix socket.")
    Path endpoint;

    @Option(names = "--listen-qemu", paramLabel = "SOCKET",
            description = "Accept QEMU connections (4-byte length-prefixed frames) on this unix socket.")
    Path qemuSocket;

    @Option(names = "--listen", paramLabel = "SOCKET",
            description = "Accept vz connections on this unix socket: each passes one datagram socket (SCM_RIGHTS)"
                    + " carrying one frame per datagram.")
    Path fdSocket;

    @Option(names = "--subnet", paramLabel = "CIDR", defaultValue = DEFAULT_SUBNET,
            description = "The network's subnet; the gateway is subnet + 2 (default: ${DEFAULT-VALUE}).")
    String subnet;

    @Option(names = "--mtu", paramLabel = "N", defaultValue = "1500", description = "MTU (default: ${DEFAULT-VALUE}).")
    int mtu;

    @Option(names = "--leases", paramLabel = "IP=MAC", split = ",",
            description = "Static DHCP leases, comma-separated and/or repeated, e.g."
                    + " 192.168.104.10=52:55:55:b3:bc:d9; those outside the subnet are ignored.")
    List<String> leases = new ArrayList<>();

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "INFO",
            description = "Log level: ERROR, WARNING, INFO, DEBUG (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Option(names = "--ip-source-guard", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Drop IPv4 and ARP whose source is not an address DHCP leased (or a static lease bound) to a"
                    + " MAC on the sending VM's port; on by default, since Lima's guests take their addresses from"
                    + " DHCP (--no-ip-source-guard turns it off).")
    boolean ipSourceGuard;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    /**
     * The settings the parsed flags describe; throws IllegalArgumentException with a one-line message for the user.
     */
    public UsernetSettings settings() {
        Ipv4Subnet net;
        try {
            net = Ipv4Subnet.parse(subnet);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--subnet: " + e.getMessage());
        }
        if (net.prefixLength() > 30) {
            throw new IllegalArgumentException("--subnet " + net + " is too small for a gateway and guests");
        }
        Ipv4Address gateway = SwitchConfig.defaultGateway(net);
        MacAddress gatewayMac = SwitchConfig.DEFAULT_GATEWAY_MAC;

        List<String> dropped = new ArrayList<>();
        List<StaticLease> statics = staticLeases(net, gateway, gatewayMac, dropped);

        List<ListenAddress> listen = new ArrayList<>();
        if (qemuSocket != null) {
            listen.add(new ListenAddress.Unix(qemuSocket));
        }
        if (fdSocket != null) {
            listen.add(new ListenAddress.FdPassing(fdSocket));
        }
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("give --listen-qemu SOCKET and/or --listen SOCKET");
        }
        SwitchConfig config = new SwitchConfig(listen, net, gateway, gatewayMac, mtu, null,
                new DhcpSettings(leasesFile(), statics), DnsSettings.HOST, NatSettings.DEFAULT, ForwardSettings.NONE,
                endpoint).withSecurity(PortSecuritySettings.DEFAULT.withIpSourceGuard(ipSourceGuard));
        return new UsernetSettings(pidFile, endpoint, qemuSocket, fdSocket, config, dropped);
    }

    /** Beside the endpoint socket (Lima's network directory), else beside the pidfile or the QEMU socket. */
    private Path leasesFile() {
        for (Path anchor : new Path[] {endpoint, pidFile, qemuSocket}) {
            if (anchor != null) {
                return anchor.toAbsolutePath().resolveSibling(LEASES_FILE_NAME);
            }
        }
        return null;
    }

    /**
     * {@code --leases} as Lima uses them: a map by IP (the last entry for an IP wins), entries outside the subnet
     * dropped; and, so that a lease table Lima saved from a previous run always starts, the gateway's own entry, the
     * subnet's network and broadcast addresses and a second IP for one MAC are dropped too.
     */
    private List<StaticLease> staticLeases(Ipv4Subnet net, Ipv4Address gateway, MacAddress gatewayMac,
            List<String> dropped) {
        Map<Ipv4Address, StaticLease> byIp = new LinkedHashMap<>();
        for (String entry : leases) {
            if (entry.isBlank()) {
                continue;
            }
            StaticLease lease;
            try {
                lease = StaticLease.parse(entry);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--leases: " + e.getMessage());
            }
            byIp.remove(lease.ip());
            byIp.put(lease.ip(), lease);
        }
        List<StaticLease> result = new ArrayList<>();
        Set<MacAddress> macs = new HashSet<>();
        for (StaticLease lease : byIp.values()) {
            Ipv4Address ip = lease.ip();
            String reason = null;
            if (!net.contains(ip)) {
                reason = "outside " + net;
            } else if (ip.equals(net.network()) || ip.equals(net.broadcast())) {
                reason = "not a host address of " + net;
            } else if (ip.equals(gateway) || lease.mac().equals(gatewayMac)) {
                reason = "the gateway's own";
            } else if (!macs.add(lease.mac())) {
                reason = "a second address for " + lease.mac();
            }
            if (reason == null) {
                result.add(lease);
            } else {
                dropped.add(lease + " (" + reason + ")");
            }
        }
        return result;
    }

    @Override
    public Integer call() {
        Logging.configure(logLevel);
        UsernetSettings settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(spec.qualifiedName() + ": " + e.getMessage());
            err.flush();
            return 2;
        }
        for (String d : settings.droppedLeases()) {
            LOG.log(System.Logger.Level.INFO, "ignoring static lease " + d);
        }
        PidFile pid = null;
        if (settings.pidFile() != null) {
            try {
                pid = PidFile.acquire(settings.pidFile());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "cannot start: " + e.getMessage());
                return 1;
            }
        }
        PidFile held = pid;
        try {
            for (Path socket : settings.socketFiles()) {
                UnixSocketFile.prepare(socket);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot start: " + e.getMessage());
            close(settings, held);
            return 1;
        }
        // On SIGTERM/SIGINT Main.runDaemon's hook closes the network, which makes runDaemon return on this thread;
        // this hook waits for that, so the pidfile goes last (Lima takes its disappearance as "stopped").
        Thread runner = Thread.currentThread();
        Thread hook = new Thread(() -> {
            try {
                runner.join(EXIT_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            close(settings, held);
        }, "userv2-usernet-exit");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return Main.runDaemon(settings.config());
        } finally {
            close(settings, held);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to: it finds everything closed
            }
        }
    }

    /** Removes our socket files (those nobody serves any more) and then the pidfile; idempotent. */
    private static void close(UsernetSettings settings, PidFile pid) {
        for (Path socket : settings.socketFiles()) {
            try {
                UnixSocketFile.prepare(socket);
            } catch (IOException stillServed) {
                // a listener still closing removes its own file
            }
        }
        if (pid != null) {
            pid.close();
        }
    }
}
