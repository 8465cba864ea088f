package io.userv2.dns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Follows the host's resolv.conf so upstream nameservers never go stale after a VPN or network change (Lima #3101):
 * at most once per check interval (default 1 s) it looks at the file's modification time and size, and re-reads the
 * file when either changed. A missing or unreadable file means no nameservers, and then the fallback list
 * (8.8.8.8 and 1.1.1.1 unless configured) is used.
 *
 * <p>Thread-safe: {@link #current()} is synchronized; the file is read on the calling thread, which in
 * {@link DnsServer} is always one of its worker threads, never a front end's event loop.
 */
public final class ResolvConfWatcher implements UpstreamSource {

    /** Used when resolv.conf names no nameserver: Google and Cloudflare, as gvisor-tap-vsock does. */
    public static final List<InetSocketAddress> DEFAULT_FALLBACK = List.of(
            new InetSocketAddress(IpLiterals.parse("8.8.8.8"), 53),
            new InetSocketAddress(IpLiterals.parse("1.1.1.1"), 53));

    /** The host's resolv.conf. */
    public static final Path DEFAULT_PATH = Path.of("/etc/resolv.conf");

    private final Path path;
    private final List<InetSocketAddress> fallback;
    private final LongSupplier nanoClock;
    private final long checkIntervalNanos;

    private boolean checkedOnce;
    private long lastCheckNanos;
    private long lastModifiedMillis = Long.MIN_VALUE;
    private long lastSize = -1;
    private ResolvConf current = ResolvConf.EMPTY;

    /** Watches {@code path} with the default fallback, checking at most once a second. */
    public ResolvConfWatcher(Path path) {
        this(path, DEFAULT_FALLBACK, System::nanoTime, Duration.ofSeconds(1));
    }

    /**
     * @param path the resolv.conf to follow
     * @param fallback the upstreams used when the file names none; not empty
     * @param nanoClock a monotonic clock in nanoseconds (injected so tests need not sleep)
     * @param checkInterval how long a reading stays trusted before the file's metadata is looked at again
     */
    public ResolvConfWatcher(Path path, List<InetSocketAddress> fallback, LongSupplier nanoClock,
            Duration checkInterval) {
        this.path = Objects.requireNonNull(path, "path");
        if (fallback.isEmpty()) {
            throw new IllegalArgumentException("fallback must not be empty");
        }
        this.fallback = List.copyOf(fallback);
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.checkIntervalNanos = checkInterval.toNanos();
    }

    /** The file being followed. */
    public Path path() {
        return path;
    }

    /** The fallback upstreams. */
    public List<InetSocketAddress> fallback() {
        return fallback;
    }

    /** The latest reading of the file, re-read first if it changed and the check interval has passed. */
    public synchronized ResolvConf current() {
        long now = nanoClock.getAsLong();
        if (checkedOnce && now - lastCheckNanos < checkIntervalNanos) {
            return current;
        }
        checkedOnce = true;
        lastCheckNanos = now;
        try {
            BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
            long modified = attrs.lastModifiedTime().toMillis();
            long size = attrs.size();
            if (modified != lastModifiedMillis || size != lastSize) {
                current = ResolvConf.parse(Files.readString(path, StandardCharsets.ISO_8859_1));
                lastModifiedMillis = modified;
                lastSize = size;
            }
        } catch (NoSuchFileException e) {
            current = ResolvConf.EMPTY;
            lastModifiedMillis = Long.MIN_VALUE;
            lastSize = -1;
        } catch (IOException | RuntimeException e) {
            // Unreadable for now: keep the last good reading and look again after the interval.
        }
        return current;
    }

    /** The nameservers of the file, or the fallback list when it names none. */
    @Override
    public List<InetSocketAddress> upstreams() {
        List<InetSocketAddress> servers = current().nameservers();
        return servers.isEmpty() ? fallback : servers;
    }

    /** The search list of the file (for the DHCP domain search option). */
    public List<String> searchDomains() {
        return current().searchDomains();
    }

    @Override
    public String toString() {
        return "ResolvConfWatcher[" + path + "]";
    }
}
