package io.userv2.switchd.transport;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The unix stream sockets of {@code --listen}, bound first thing in {@code main}, before the command line is parsed in
 * full and the network is built (class loading and set-up take most of a second on a small machine).
 *
 * <p>Whoever started the switch and waits for its socket file (Lima, a script, QEMU started right after) can connect
 * as soon as the JVM is up, as with socket activation: the kernel completes the connection into the listen backlog
 * and keeps the frames sent on it in the socket's receive buffer; the event loop accepts and reads them once it runs.
 * Nothing is lost by announcing the socket early; a client only waits a little longer for its first answer.
 *
 * <p>{@link StreamListener#open} takes the socket bound here for its path. Those never taken (the command line turned
 * out to be invalid, or the network could not start) are closed and their files removed by {@link #closeUnclaimed()},
 * which {@code main} runs when it returns and a shutdown hook runs on SIGINT/SIGTERM.
 *
 * <p>The scan is deliberately simple: {@code --listen PATH}, {@code --listen=PATH} and {@code unix://PATH} forms,
 * only when the command line starts with an option (not a subcommand) and asks for neither help nor the version;
 * for the {@code gvproxy} subcommand, its {@code -listen-qemu} (or {@code --listen-qemu}) socket, which podman
 * polls for. A
 * path the scan gets wrong costs nothing: the real parse decides, and whatever it does not claim is removed. A bind
 * that fails here is left to the real start-up, which reports it.
 */
public final class EarlyListeners {
    /** A socket bound early, and its file (removed when the socket is closed unclaimed). */
    record Bound(ServerSocketChannel channel, UnixSocketFile file) {
    }

    private static final Map<Path, Bound> BOUND = new HashMap<>();

    private EarlyListeners() {
    }

    /** Binds the unix {@code --listen} paths found in {@code args}; failures are left to the real start-up. */
    public static void bind(String[] args) {
        String flag = "--listen";
        int from = 0;
        if (args.length > 0 && args[0].equals("gvproxy")) {
            // podman takes gvproxy as ready once the -listen-qemu socket file exists
            flag = "-listen-qemu";
            from = 1;
        }
        if (args.length <= from || !args[from].startsWith("-")) {
            return;
        }
        for (String a : args) {
            if (a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version") || a.equals("-help")
                    || a.equals("-version")) {
                return;
            }
        }
        boolean any = false;
        for (int i = from; i < args.length; i++) {
            String value = null;
            // Go flags: -listen-qemu and --listen-qemu are the same flag
            String arg = from == 1 && args[i].startsWith("--") ? args[i].substring(1) : args[i];
            if (arg.equals(flag) && i + 1 < args.length) {
                value = args[++i];
            } else if (arg.startsWith(flag + "=")) {
                value = arg.substring(flag.length() + 1);
            } else if (arg.equals("--")) {
                break;
            }
            if (value != null && !value.startsWith("tcp://")) {
                any |= bindOne(Path.of(value.startsWith("unix://") ? value.substring("unix://".length()) : value));
            }
        }
        if (any) {
            Runtime.getRuntime().addShutdownHook(new Thread(EarlyListeners::closeUnclaimed, "userv2-early-sockets"));
        }
    }

    private static boolean bindOne(Path path) {
        Path key = key(path);
        synchronized (BOUND) {
            if (BOUND.containsKey(key)) {
                return false;
            }
        }
        try {
            UnixSocketFile file = UnixSocketFile.prepare(path);
            ServerSocketChannel server = file.bindListening(StreamListener.BACKLOG);
            synchronized (BOUND) {
                BOUND.put(key, new Bound(server, file));
            }
            return true;
        } catch (IOException | RuntimeException e) {
            // The real start-up binds this path again and reports why it cannot.
            System.getLogger(EarlyListeners.class.getName()).log(System.Logger.Level.DEBUG,
                    () -> "early bind of " + path + " left to start-up: " + e.getMessage());
            return false;
        }
    }

    /** The socket bound early for {@code path}, now owned by the caller; null if there is none. */
    static Bound take(Path path) {
        synchronized (BOUND) {
            return BOUND.remove(key(path));
        }
    }

    /** Closes the sockets nobody took and removes their files. */
    public static void closeUnclaimed() {
        synchronized (BOUND) {
            for (Bound b : BOUND.values()) {
                try {
                    b.channel().close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                b.file().remove();
            }
            BOUND.clear();
        }
    }

    private static Path key(Path path) {
        return path.toAbsolutePath().normalize();
    }
}
