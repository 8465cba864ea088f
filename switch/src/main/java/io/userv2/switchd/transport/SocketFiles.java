package io.userv2.switchd.transport;

import java.io.IOException;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Stale-file handling for the packet sockets. {@link UnixSocketFile#prepare} probes with a stream connect, which a
 * datagram or seqpacket socket refuses with "protocol wrong type" whether or not anybody serves it; so these probe
 * with a socket of the listener's own type first (a refused connect means stale: the file is removed), then hand the
 * path to {@link UnixSocketFile} for the identity check at removal.
 */
final class SocketFiles {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private SocketFiles() {
    }

    /** Frees {@code path} for binding a socket of {@code type}; refuses a live one or a non-socket. */
    static UnixSocketFile prepare(Path path, AFSocketType type) throws IOException {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) != S_IFSOCK) {
                throw new IOException(path + " exists and is not a socket; not replacing it");
            }
            try (AFUNIXDatagramChannel probe = AFUNIXSelectorProvider.provider().openDatagramChannel(type)) {
                probe.connect(AFUNIXSocketAddress.of(path));
                throw new IOException(path + " is in use by another running instance (it took a connection);"
                        + " stop that one first or choose another path");
            } catch (SocketException e) {
                if (e.getMessage() == null || !e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("refused")) {
                    throw new IOException(path + " exists and could not be probed (" + e.getMessage()
                            + "); not replacing it", e);
                }
                Files.deleteIfExists(path);
                System.getLogger(SocketFiles.class.getName())
                        .log(System.Logger.Level.INFO, "removed stale socket file " + path);
            }
        }
        return UnixSocketFile.prepare(path);
    }
}
