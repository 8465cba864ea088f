package io.userv2.switchd.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;

/**
 * The file of a unix socket we listen on: checks it before binding (a stale file left by a dead process is replaced;
 * one that a live process still serves is refused) and removes it at shutdown if it is still the one we created.
 */
public final class UnixSocketFile {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    /** {@code sizeof(sockaddr_un.sun_path)} on Linux, with its terminating NUL. */
    private static final int MAX_SUN_PATH = 108;

    private final Path path;
    private Object fileKey;

    private UnixSocketFile(Path path) {
        this.path = path;
    }

    /**
     * Makes {@code path} free for binding: nothing there, or a socket file nobody answers on (removed).
     *
     * @throws IOException with a message for the user if a live process serves the socket or the path is not a socket
     */
    public static UnixSocketFile prepare(Path path) throws IOException {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) != S_IFSOCK) {
                throw new IOException(path + " exists and is not a socket; not replacing it");
            }
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(path));
                throw new IOException(path + " is in use by another running instance (it accepted a connection);"
                        + " stop that one first or choose another --listen path");
            } catch (ConnectException stale) {
                Files.deleteIfExists(path);
                System.getLogger(UnixSocketFile.class.getName())
                        .log(System.Logger.Level.INFO, "removed stale socket file " + path);
            }
        }
        return new UnixSocketFile(path);
    }

    /**
     * Binds a listening stream socket at the path, so that the file appears only once it accepts connections.
     * {@code bind(2)} creates the file before {@code listen(2)} makes it accept, and a client that polls for the file
     * (Lima, QEMU started by a script) and connects in between is refused; so the socket is bound under a temporary
     * name in the same directory and renamed into place ({@code rename(2)} is atomic), unless that name would not
     * fit in a socket address, where it is bound in place.
     */
    public ServerSocketChannel bindListening(int backlog) throws IOException {
        Path temp = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid());
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            if (temp.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= MAX_SUN_PATH) {
                server.bind(UnixDomainSocketAddress.of(path), backlog);
            } else {
                Files.deleteIfExists(temp);
                server.bind(UnixDomainSocketAddress.of(temp), backlog);
                try {
                    Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    Files.deleteIfExists(temp);
                    throw e;
                }
            }
            bound();
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Remembers the identity of the file just bound, so that {@link #remove()} never deletes a successor's. */
    public void bound() throws IOException {
        fileKey = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /** Deletes the socket file if it is still the one we bound. */
    public void remove() {
        try {
            Object now = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
            if (fileKey != null && Objects.equals(now, fileKey)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException ignored) {
            // already gone
        }
    }

    /**
     * Closes the socket bound at this path (a failure to close is ignored: it is going either way), then removes
     * the file as {@link #remove()} does.
     */
    public void closeAndRemove(java.io.Closeable socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        remove();
    }

    /** The socket's path. */
    public Path path() {
        return path;
    }
}
