package io.userv2.switchd;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code userv2-switch} command: parses the command line, builds the {@link VirtualNetwork} and runs it until
 * SIGINT or SIGTERM.
 */
@Command(name = "userv2-switch", mixinStandardHelpOptions = true, version = "userv2 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = "A user-mode virtual switch and gateway: VMs attach over sockets and share one Ethernet LAN.")
public final class Main implements Callable<Integer> {
    static {
        // Must run before the first logger is created (the LOG field below).
        System.setProperty("java.util.logging.manager", DaemonLogManager.class.getName());
    }

    private static final System.Logger LOG = System.getLogger(Main.class.getName());

    @Option(names = "--listen", paramLabel = "ADDR", required = true,
            description = "Accept VMs speaking the QEMU stream protocol (4-byte big-endian length + frame) on a unix"
                    + " socket PATH (or unix://PATH) or on tcp://HOST:PORT. Repeatable.")
    List<String> listen = new ArrayList<>();

    @Option(names = "--subnet", paramLabel = "CIDR", defaultValue = "192.168.104.0/24",
            description = "The LAN's subnet (default: ${DEFAULT-VALUE}).")
    String subnet;

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

    @Option(names = "--pcap", paramLabel = "FILE",
            description = "Write every frame the switch sees to FILE (pcap, readable by tcpdump/tshark/Wireshark).")
    Path pcap;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "INFO",
            description = "Log level: ERROR, WARNING, INFO, DEBUG (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Override
    public Integer call() throws Exception {
        Logging.configure(logLevel);
        SwitchConfig config;
        try {
            Ipv4Subnet net = Ipv4Subnet.parse(subnet);
            config = new SwitchConfig(listen.stream().map(ListenAddress::parse).toList(), net,
                    gatewayIp == null ? SwitchConfig.defaultGateway(net) : Ipv4Address.parse(gatewayIp),
                    MacAddress.parse(gatewayMac), mtu, pcap);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
        VirtualNetwork network;
        try {
            network = VirtualNetwork.create(config);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot start: " + e.getMessage());
            return 1;
        }
        Thread hook = new Thread(network::close, "userv2-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        LOG.log(System.Logger.Level.INFO, "gateway " + config.gatewayIp() + " (" + config.gatewayMac() + ") on "
                + config.subnet() + ", MTU " + config.mtu());
        network.run();
        return 0;
    }

    /** Entry point. */
    public static void main(String[] args) {
        int code = new CommandLine(new Main()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }
}
