package io.userv2.switchd.cli;

import io.userv2.switchd.DaemonHooks;
import io.userv2.switchd.Main;
import io.userv2.switchd.VirtualNetwork;
import io.userv2.switchd.logging.Logging;
import io.userv2.switchd.notify.NotificationSender;
import io.userv2.switchd.notify.SwitchNotifications;
import io.userv2.switchd.sshforward.SshForwardSettings;
import io.userv2.switchd.sshforward.UnixSocketSshForward;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs the network of {@link GvproxySettings} as gvproxy runs: log to {@code -log-file} if given, write the
 * {@code -pid-file} (removed at exit), serve the API on every {@code -listen}/{@code -services} socket, send the
 * {@code -notification} events ({@code ready} once every socket listens, {@code hypervisor_error} when a VM socket
 * cannot be served, {@code connection_established}/{@code connection_closed} per VM MAC), and stop on SIGINT/SIGTERM.
 * Owned by the command's thread.
 */
final class GvproxyDaemon {
    private static final System.Logger LOG = System.getLogger(GvproxyDaemon.class.getName());
    /** How long the exit hook waits for the network to close before removing the pidfile anyway. */
    private static final long EXIT_WAIT_MILLIS = 4_000;

    private final GvproxySettings settings;

    GvproxyDaemon(GvproxySettings settings) {
        this.settings = settings;
    }

    /** Runs until a signal; the process exit code (1: could not start, the reason logged). */
    int run() {
        try {
            Logging.configure(level(settings.logLevel()), settings.logFile());
        } catch (IOException e) {
            System.err.println("userv2-switch gvproxy: unable to open log file " + settings.logFile() + ": "
                    + e.getMessage());
            return 1;
        }
        LOG.log(System.Logger.Level.INFO, GvproxyCommand.VERSION);
        PidFile pid = null;
        if (settings.pidFile() != null) {
            try {
                pid = PidFile.acquireDigitsOnly(settings.pidFile());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "failed to create pidfile: " + e.getMessage());
                return 1;
            }
        }
        NotificationSender notifications = settings.notificationSocket() == null ? null
                : new NotificationSender(settings.notificationSocket());
        PidFile held = pid;
        Thread runner = Thread.currentThread();
        Thread hook = new Thread(() -> {
            try {
                runner.join(EXIT_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (held != null) {
                held.close();
            }
        }, "userv2-gvproxy-exit");
        Runtime.getRuntime().addShutdownHook(hook);
        exitZeroOnSignals();
        try {
            return Main.runDaemon(settings.config(), hooks(notifications));
        } finally {
            if (notifications != null) {
                notifications.close();
            }
            if (held != null) {
                held.close();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it finds the pidfile gone
            }
        }
    }

    /**
     * gvproxy exits with status 0 after SIGTERM or SIGINT (its deferred exit code is still 0); the JVM's default
     * would be 128 + the signal. The shutdown hooks run as before: {@code System.exit} runs them.
     */
    @SuppressWarnings("restriction")
    private static void exitZeroOnSignals() {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> System.exit(0));
            } catch (IllegalArgumentException unavailable) {
                // the JVM reserves it (e.g. -Xrs): its default exit status stays
            }
        }
    }

    private DaemonHooks hooks(NotificationSender notifications) {
        return new DaemonHooks() {
            @Override
            public List<Path> moreApiSockets() {
                return settings.apiSockets();
            }

            @Override
            public boolean guestApi() {
                return true; // gvproxy serves it always: podman's guest exposes ports through it
            }

            @Override
            public void started(VirtualNetwork network) throws IOException {
                // The loop is not running yet: the switch and the forwards may be touched from here.
                if (!settings.sshForwards().isEmpty()) {
                    // gvproxy dials the VM's sshd inside its network; here a private loopback forward leads there
                    InetSocketAddress sshd = network.forwards().openInternal(settings.deviceIp(), 22);
                    for (SshForwardSettings f : settings.sshForwards()) {
                        UnixSocketSshForward forward = UnixSocketSshForward.start(f, sshd);
                        network.loop().onShutdown(forward::close);
                        LOG.log(System.Logger.Level.INFO, "forwarding unix:" + f.socket() + " to " + f.user() + "@"
                                + settings.deviceIp() + ":" + f.dest() + " over SSH");
                    }
                }
                if (notifications != null) {
                    SwitchNotifications.attach(network.learningSwitch(), notifications);
                    notifications.send(NotificationSender.READY);
                }
            }

            @Override
            public void failed(Exception cause) {
                if (notifications != null) {
                    notifications.send(NotificationSender.HYPERVISOR_ERROR);
                }
            }
        };
    }

    /** gvproxy's (logrus) level names to ours; an unknown one falls back to info, as gvproxy warns and does. */
    static String level(String logrus) {
        return switch (logrus.toLowerCase(java.util.Locale.ROOT)) {
            case "trace" -> "TRACE";
            case "debug" -> "DEBUG";
            case "warn", "warning" -> "WARNING";
            case "error", "fatal", "panic" -> "ERROR";
            default -> "INFO";
        };
    }
}
