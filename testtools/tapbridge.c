/*
 * tapbridge: move Ethernet frames between a tap device and a stream socket that speaks the
 * QEMU stream protocol (each frame preceded by its length, 4 bytes big-endian).
 *
 *   tapbridge TAPNAME (unix:PATH | tcp:HOST:PORT) [--listen] [--netns NAME] [--retry-ms N] [--blocking-read]
 *
 * The tap must exist already (`ip -n NS tuntap add dev tap0 mode tap`). With --netns NAME the
 * bridge enters /var/run/netns/NAME only to open the tap, then returns to its own namespace,
 * so a tcp:127.0.0.1:PORT peer is the caller's loopback, not the namespace's.
 * Connects by default (retrying ECONNREFUSED/ENOENT for --retry-ms, default 5000);
 * --listen accepts exactly one peer (two bridges, one listening, make a direct wire).
 * Prints "tapbridge: connected" on stdout once the peer is there. Exits 0 when the peer
 * closes the socket, 1 on any error. One thread per direction.
 *
 * It reads the socket as QEMU's stream netdev does: it waits until the socket is readable
 * (QEMU: a GLib watch for G_IO_IN, i.e. poll(POLLIN)), then reads up to 4096 + 65536 bytes
 * (QEMU's NET_BUFSIZE) and writes every whole frame in them to the tap. A thread blocked in
 * read() on a unix stream socket is woken whenever the peer consumes data this socket sent
 * (the kernel's unix_write_space wakes every sleeper on the socket), so each frame the peer
 * read woke a thread that had nothing to read, inside the peer's read. poll(POLLIN) filters
 * that wake-up out, as QEMU's main loop does. --blocking-read restores the old way (a
 * blocking read of the 4-byte length, then one of the frame) for comparisons.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (256 * 1024) /* tap frames are at most MTU + 14 = 65534; be generous */

static int tapfd = -1, sockfd = -1;
static int blocking_read = 0;

static void die(const char *what) {
    fprintf(stderr, "tapbridge: %s: %s\n", what, strerror(errno));
    _exit(1);
}

static int open_tap(const char *name, const char *netns) {
    int orig = -1;
    if (netns) {
        char path[512];
        snprintf(path, sizeof path, "/var/run/netns/%s", netns);
        orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int target = open(path, O_RDONLY | O_CLOEXEC);
        if (orig < 0 || target < 0) die("open netns");
        if (setns(target, CLONE_NEWNET) < 0) die("setns");
        close(target);
    }
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) die("open /dev/net/tun");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");
    if (orig >= 0) {
        if (setns(orig, CLONE_NEWNET) < 0) die("setns back");
        close(orig);
    }
    return fd;
}

static int make_socket(const char *spec, int listening, struct sockaddr_storage *sa, socklen_t *len) {
    memset(sa, 0, sizeof *sa);
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *) sa;
        un->sun_family = AF_UNIX;
        if (strlen(spec + 5) >= sizeof un->sun_path) { fprintf(stderr, "tapbridge: path too long\n"); _exit(1); }
        strcpy(un->sun_path, spec + 5);
        *len = sizeof *un;
        if (listening) unlink(un->sun_path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket");
        return fd;
    }
    if (strncmp(spec, "tcp:", 4) == 0) {
        char host[256];
        const char *colon = strrchr(spec + 4, ':');
        if (!colon || (size_t) (colon - spec - 4) >= sizeof host) { fprintf(stderr, "tapbridge: bad tcp spec\n"); _exit(1); }
        memcpy(host, spec + 4, colon - spec - 4);
        host[colon - spec - 4] = 0;
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
        int rc = getaddrinfo(host, colon + 1, &hints, &res);
        if (rc) { fprintf(stderr, "tapbridge: %s: %s\n", host, gai_strerror(rc)); _exit(1); }
        memcpy(sa, res->ai_addr, res->ai_addrlen);
        *len = res->ai_addrlen;
        int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        freeaddrinfo(res);
        if (fd < 0) die("socket");
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        return fd;
    }
    fprintf(stderr, "tapbridge: socket must be unix:PATH or tcp:HOST:PORT\n");
    _exit(1);
}

static int connect_socket(const char *spec, int listening, long retry_ms) {
    struct sockaddr_storage sa;
    socklen_t len;
    int fd = make_socket(spec, listening, &sa, &len);
    if (listening) {
        if (bind(fd, (struct sockaddr *) &sa, len) < 0) die("bind");
        if (listen(fd, 1) < 0) die("listen");
        fprintf(stdout, "tapbridge: listening\n");
        fflush(stdout);
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) die("accept");
        close(fd);
        fd = c;
    } else {
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (connect(fd, (struct sockaddr *) &sa, len) < 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
            if ((errno != ECONNREFUSED && errno != ENOENT) || elapsed >= retry_ms) die("connect");
            close(fd);
            fd = make_socket(spec, 0, &sa, &len);
            usleep(20000);
        }
    }
    if (sa.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* Reads exactly n bytes; returns 0 on success, -1 on EOF or error. */
static int read_full(int fd, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t) r;
    }
    return 0;
}

static void *tap_to_socket(void *arg) {
    (void) arg;
    static uint8_t buf[MAX_FRAME];
    uint8_t hdr[4];
    for (;;) {
        ssize_t n = read(tapfd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("read tap");
        hdr[0] = (uint8_t) (n >> 24); hdr[1] = (uint8_t) (n >> 16); hdr[2] = (uint8_t) (n >> 8); hdr[3] = (uint8_t) n;
        struct iovec iov[2] = { { hdr, 4 }, { buf, (size_t) n } };
        int iovcnt = 2;
        struct iovec *v = iov;
        while (iovcnt > 0) { /* one writev per frame; finish partial writes */
            ssize_t w = writev(sockfd, v, iovcnt);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                if (errno == EPIPE || errno == ECONNRESET) { fprintf(stderr, "tapbridge: peer closed\n"); _exit(0); }
                die("write socket");
            }
            while (iovcnt > 0 && (size_t) w >= v->iov_len) { w -= (ssize_t) v->iov_len; v++; iovcnt--; }
            if (iovcnt > 0) { v->iov_base = (uint8_t *) v->iov_base + w; v->iov_len -= (size_t) w; }
        }
    }
    return NULL;
}

/* Writes one frame to the tap; a frame the tap refuses (e.g. larger than its MTU) is dropped, as a NIC would. */
static void frame_to_tap(const uint8_t *frame, uint32_t len) {
    ssize_t w;
    do w = write(tapfd, frame, len); while (w < 0 && errno == EINTR);
    if (w < 0 && errno != EINVAL && errno != EMSGSIZE && errno != EIO) die("write tap");
}

static uint32_t frame_length(const uint8_t *hdr) {
    uint32_t len = (uint32_t) hdr[0] << 24 | (uint32_t) hdr[1] << 16 | (uint32_t) hdr[2] << 8 | hdr[3];
    if (len == 0 || len > MAX_FRAME) { fprintf(stderr, "tapbridge: bad frame length %u\n", len); _exit(1); }
    return len;
}

#define READ_CHUNK (4096 + 65536) /* QEMU's NET_BUFSIZE */

/* Waits for the socket to be readable, reads what is there, writes each whole frame to the tap. */
static void *socket_to_tap(void *arg) {
    (void) arg;
    static uint8_t buf[4 + MAX_FRAME + READ_CHUNK]; /* a partial frame kept from the last read, then a chunk */
    size_t have = 0;
    struct pollfd pfd = { .fd = sockfd, .events = POLLIN };
    for (;;) {
        int p = poll(&pfd, 1, -1);
        if (p < 0 && errno == EINTR) continue;
        if (p < 0) die("poll socket");
        ssize_t r = read(sockfd, buf + have, READ_CHUNK);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (r < 0) die("read socket");
        if (r == 0) { fprintf(stderr, have ? "tapbridge: peer closed mid-frame\n" : "tapbridge: peer closed\n"); _exit(0); }
        have += (size_t) r;
        size_t at = 0;
        while (have - at >= 4) {
            uint32_t len = frame_length(buf + at);
            if (have - at - 4 < len) break;
            frame_to_tap(buf + at + 4, len);
            at += 4 + len;
        }
        memmove(buf, buf + at, have - at);
        have -= at;
    }
    return NULL;
}

/* The old way: a blocking read of each length, then of its frame (--blocking-read). */
static void *socket_to_tap_blocking(void *arg) {
    (void) arg;
    static uint8_t buf[MAX_FRAME];
    uint8_t hdr[4];
    for (;;) {
        if (read_full(sockfd, hdr, 4) < 0) { fprintf(stderr, "tapbridge: peer closed\n"); _exit(0); }
        uint32_t len = frame_length(hdr);
        if (read_full(sockfd, buf, len) < 0) { fprintf(stderr, "tapbridge: peer closed mid-frame\n"); _exit(0); }
        frame_to_tap(buf, len);
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *tap = NULL, *spec = NULL, *netns = NULL;
    int listening = 0;
    long retry_ms = 5000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0) listening = 1;
        else if (strcmp(argv[i], "--blocking-read") == 0) blocking_read = 1;
        else if (strcmp(argv[i], "--netns") == 0 && i + 1 < argc) netns = argv[++i];
        else if (strcmp(argv[i], "--retry-ms") == 0 && i + 1 < argc) retry_ms = atol(argv[++i]);
        else if (!tap) tap = argv[i];
        else if (!spec) spec = argv[i];
        else { spec = NULL; break; }
    }
    if (!tap || !spec) {
        fprintf(stderr, "usage: tapbridge TAPNAME (unix:PATH | tcp:HOST:PORT) [--listen] [--netns NAME] [--retry-ms N] [--blocking-read]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    tapfd = open_tap(tap, netns);
    sockfd = connect_socket(spec, listening, retry_ms);
    fprintf(stdout, "tapbridge: connected\n");
    fflush(stdout);
    pthread_t a, b;
    if (pthread_create(&a, NULL, tap_to_socket, NULL) || pthread_create(&b, NULL, blocking_read ? socket_to_tap_blocking : socket_to_tap, NULL)) die("pthread_create");
    pthread_join(b, NULL);
    pthread_join(a, NULL);
    return 0;
}
