package io.userv2.switchd.cli;

import io.userv2.stack.dhcp.StaticLease;
import io.userv2.switchd.config.SwitchConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything {@code userv2-switch usernet} runs with, built from {@code limactl usernet}'s flags by
 * {@link UsernetCommand#settings()}.
 *
 * <p>The sockets are also in {@code config}: {@code apiSocket} as {@link SwitchConfig#apiSocket()}, {@code qemuSocket}
 * as a {@code ListenAddress.Unix} and {@code fdSocket} as a {@code ListenAddress.FdPassing} in its listen list.
 *
 * @param pidFile {@code -p}: the pidfile, or null for none
 * @param apiSocket {@code -e}: the HTTP API's unix socket (Lima's {@code <name>_ep.sock}), or null
 * @param qemuSocket {@code --listen-qemu}: the QEMU stream socket (Lima's {@code <name>_qemu.sock}), or null
 * @param fdSocket {@code --listen}: the vz fd-passing socket (Lima's {@code <name>_fd.sock}), or null
 * @param config the network
 * @param droppedLeases {@code --leases} entries not used, each with the reason (Lima drops leases outside the subnet;
 *     the gateway's own entry, which Lima's saved lease table contains, is dropped too)
 */
public record UsernetSettings(Path pidFile, Path apiSocket, Path qemuSocket, Path fdSocket, SwitchConfig config,
        List<String> droppedLeases) {
    /** Copies the list. */
    public UsernetSettings {
        droppedLeases = List.copyOf(droppedLeases);
    }

    /** The socket files this daemon owns (stale ones are removed at start, ours at exit). */
    public List<Path> socketFiles() {
        List<Path> files = new ArrayList<>();
        for (Path p : new Path[] {apiSocket, qemuSocket, fdSocket}) {
            if (p != null) {
                files.add(p);
            }
        }
        return List.copyOf(files);
    }

    /** The static leases in effect (for tests and logs). */
    public List<StaticLease> staticLeases() {
        return config.dhcp().staticLeases();
    }
}
