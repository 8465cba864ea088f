package io.userv2.switchd.cli;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.sshforward.SshForwardSettings;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything {@code userv2-switch gvproxy} runs with, built from gvproxy's command line and {@code -config} file by
 * {@link GvproxyCommand#settings()}.
 *
 * @param config the network (its {@code apiSocket} is null: the API sockets are {@code apiSockets})
 * @param apiSockets the unix sockets of {@code -listen} and {@code -services}, serving the HTTP API
 * @param deviceIp the VM's address ({@code -deviceIP}): where the SSH forwards connect
 * @param pidFile {@code -pid-file}, or null
 * @param logFile {@code -log-file}: log there instead of stderr, or null
 * @param logLevel gvproxy's level name ({@code info}, {@code debug} with {@code -debug}, or the file's log-level)
 * @param notificationSocket {@code -notification}: where a client listens for events, or null
 * @param sshForwards {@code -forward-sock/-dest/-user/-identity}, in order
 */
public record GvproxySettings(SwitchConfig config, List<Path> apiSockets, Ipv4Address deviceIp, Path pidFile,
        Path logFile, String logLevel, Path notificationSocket, List<SshForwardSettings> sshForwards) {
    /** Copies the lists. */
    public GvproxySettings {
        apiSockets = List.copyOf(apiSockets);
        sshForwards = List.copyOf(sshForwards);
    }
}
