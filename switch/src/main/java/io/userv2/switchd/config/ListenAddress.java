package io.userv2.switchd.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Where the switch accepts VM connections, as given to {@code --listen}: a unix socket path ({@code /tmp/net.sock}
 * or {@code unix:///tmp/net.sock}) or a TCP address ({@code tcp://127.0.0.1:PORT}).
 */
public sealed interface ListenAddress {
    /** A unix stream socket at {@code path}. */
    record Unix(Path path) implements ListenAddress {
        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /** A TCP listening socket. */
    record Tcp(InetSocketAddress address) implements ListenAddress {
        @Override
        public String toString() {
            return "tcp://" + address.getHostString() + ":" + address.getPort();
        }
    }

    /** A unix datagram socket: one datagram = one frame (vfkit / krunkit, {@code --listen-vfkit}). */
    record Unixgram(Path path) implements ListenAddress {
        @Override
        public String toString() {
            return "unixgram://" + path;
        }
    }

    /** A unix SOCK_SEQPACKET socket: one packet = one frame (bess, {@code --listen-bess}). */
    record Seqpacket(Path path) implements ListenAddress {
        @Override
        public String toString() {
            return "unixpacket://" + path;
        }
    }

    /** A bess server to join as one port (slirp4netns {@code --target-type=bess} is one; {@code --connect-bess}). */
    record SeqpacketConnect(Path path) implements ListenAddress {
        @Override
        public String toString() {
            return "bess server unixpacket://" + path;
        }
    }

    /**
     * Lima's vz socket: a unix stream socket on which each client passes, with SCM_RIGHTS, one end of a datagram
     * socketpair that then carries one frame per datagram ({@code usernet --listen}).
     */
    record FdPassing(Path path) implements ListenAddress {
        @Override
        public String toString() {
            return "fd-passing:" + path;
        }
    }

    /** The process's stdin and stdout with the QEMU stream framing, for one VM ({@code --listen-stdio}). */
    record Stdio() implements ListenAddress {
        @Override
        public String toString() {
            return "stdio";
        }
    }

    /** Parses {@code unixgram://PATH} (or a plain path) for {@code --listen-vfkit}. */
    static ListenAddress parseUnixgram(String text) {
        return new Unixgram(Path.of(stripScheme(text, "unixgram://")));
    }

    /** Parses {@code unixpacket://PATH} (or a plain path) for {@code --connect-bess}. */
    static ListenAddress parseSeqpacketConnect(String text) {
        return new SeqpacketConnect(Path.of(stripScheme(text, "unixpacket://")));
    }

    /** Parses {@code unixpacket://PATH} (or a plain path) for {@code --listen-bess}. */
    static ListenAddress parseSeqpacket(String text) {
        return new Seqpacket(Path.of(stripScheme(text, "unixpacket://")));
    }

    private static String stripScheme(String text, String scheme) {
        String path = text.startsWith(scheme) ? text.substring(scheme.length()) : text;
        if (path.isEmpty() || path.contains("://")) {
            throw new IllegalArgumentException("expected " + scheme + "PATH, got " + text);
        }
        return path;
    }

    /** Parses the {@code --listen} syntax; throws IllegalArgumentException with a user-facing message. */
    static ListenAddress parse(String text) {
        if (text.startsWith("tcp://")) {
            String hostPort = text.substring("tcp://".length());
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("expected tcp://HOST:PORT, got " + text);
            }
            String host = hostPort.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port in " + text);
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range in " + text);
            }
            return new Tcp(new InetSocketAddress(host, port));
        }
        String path = text.startsWith("unix://") ? text.substring("unix://".length())
                : text.startsWith("unix:") ? text.substring("unix:".length()) : text;
        if (path.isEmpty() || text.contains("://") && !text.startsWith("unix://")) {
            throw new IllegalArgumentException("expected a socket path, unix://PATH or tcp://HOST:PORT, got " + text);
        }
        return new Unix(Path.of(path));
    }
}
