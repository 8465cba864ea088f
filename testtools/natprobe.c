/*
 * natprobe: small TCP/UDP clients for the NAT end-to-end tests (run inside a namespace guest).
 * Every wait is bounded; results go to stdout as one "key=value ..." line; exit 0 when the probe
 * ran (the line says what happened), 2 on bad usage.
 *
 *   natprobe connect HOST PORT [TIMEOUT_MS]
 *       one blocking connect: "result=ok ms=T" or "result=error errno=N error=TEXT ms=T"
 *   natprobe udp HOST PORT MESSAGE [TIMEOUT_MS] [TRIES]
 *       (HOST may be an IPv6 address for this mode) sends MESSAGE as one datagram from a connected socket and waits TIMEOUT_MS (default 1000) for one
 *       back, up to TRIES (default 3) times: "result=reply bytes=N reply=TEXT" or "result=timeout" or
 *       "result=error errno=N error=TEXT"
 *   natprobe halfclose HOST PORT BYTES [TIMEOUT_S]
 *       connects, sends BYTES bytes of a counting pattern, shutdown(SHUT_WR), then reads until EOF:
 *       "result=ok sent=N received=M first_line=TEXT" (or result=error/timeout ...)
 *   natprobe many HOST PORT N [TIMEOUT_S]
 *       opens N TCP connections at once (non-blocking connects), sends "conn-<i>\n" on each as soon as it is
 *       established, reads the same bytes back, and keeps every socket open until all N are done or the
 *       time is up: "result=done n=N connected=C completed=K failed=F max_open=M first_error=TEXT ms=T"
 *   natprobe hold HOST PORT N [TIMEOUT_S]
 *       opens N TCP connections, sends nothing, prints "held n=N connected=C ms=T" once every connect is
 *       decided, then waits (at most TIMEOUT_S in all, default 30) until the other end has closed every one
 *       (EOF or reset): "result=done n=N connected=C closed=K first_close_ms=A last_close_ms=B ms=T", the close
 *       times counted from the "held" line
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int addr(const char *host, const char *port, struct sockaddr_in *sa) {
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((unsigned short) atoi(port));
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        fprintf(stderr, "natprobe: not an IPv4 address: %s\n", host);
        return -1;
    }
    return 0;
}

static void timeouts(int fd, long ms) {
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int do_connect(struct sockaddr_in *sa, long timeout_ms) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeouts(fd, timeout_ms); /* SO_SNDTIMEO bounds a blocking connect too */
    long long t0 = now_ms();
    int rc = connect(fd, (struct sockaddr *) sa, sizeof *sa);
    long long ms = now_ms() - t0;
    if (rc == 0) printf("result=ok ms=%lld\n", ms);
    else printf("result=error errno=%d error=%s ms=%lld\n", errno, strerror(errno), ms);
    close(fd);
    return 0;
}

static int do_udp(const struct sockaddr *sa, socklen_t len, const char *msg, long timeout_ms, int tries) {
    int fd = socket(sa->sa_family, SOCK_DGRAM, 0);
    if (connect(fd, sa, len) < 0) {
        printf("result=error errno=%d error=%s\n", errno, strerror(errno));
        return 0;
    }
    timeouts(fd, timeout_ms);
    char buf[65536];
    for (int i = 0; i < tries; i++) {
        if (send(fd, msg, strlen(msg), 0) < 0) {
            printf("result=error errno=%d error=%s\n", errno, strerror(errno));
            return 0;
        }
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n >= 0) {
            buf[n] = 0;
            printf("result=reply bytes=%zd tries=%d reply=%s\n", n, i + 1, buf);
            return 0;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            /* ECONNREFUSED here means an ICMP port unreachable came back */
            printf("result=error errno=%d error=%s\n", errno, strerror(errno));
            return 0;
        }
    }
    printf("result=timeout tries=%d\n", tries);
    return 0;
}

static int do_halfclose(struct sockaddr_in *sa, long bytes, long timeout_s) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeouts(fd, timeout_s * 1000);
    if (connect(fd, (struct sockaddr *) sa, sizeof *sa) < 0) {
        printf("result=error stage=connect errno=%d error=%s\n", errno, strerror(errno));
        return 0;
    }
    char buf[65536];
    long sent = 0;
    while (sent < bytes) {
        size_t chunk = (size_t) (bytes - sent < (long) sizeof buf ? bytes - sent : (long) sizeof buf);
        for (size_t i = 0; i < chunk; i++) buf[i] = (char) ('a' + (sent + (long) i) % 26);
        ssize_t w = send(fd, buf, chunk, MSG_NOSIGNAL);
        if (w <= 0) {
            printf("result=error stage=send sent=%ld errno=%d error=%s\n", sent, errno, strerror(errno));
            return 0;
        }
        sent += w;
    }
    if (shutdown(fd, SHUT_WR) < 0) {
        printf("result=error stage=shutdown errno=%d error=%s\n", errno, strerror(errno));
        return 0;
    }
    long received = 0;
    char first[256] = "";
    size_t first_len = 0;
    int first_done = 0;
    long long deadline = now_ms() + timeout_s * 1000;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0) break;
        if (n < 0 || now_ms() > deadline) {
            printf("result=%s stage=read sent=%ld received=%ld errno=%d error=%s\n", n < 0 && errno == EAGAIN ? "timeout" : "error",
                   sent, received, errno, strerror(errno));
            return 0;
        }
        for (ssize_t i = 0; i < n && !first_done; i++) {
            if (buf[i] == '\n' || first_len == sizeof first - 1) first_done = 1;
            else first[first_len++] = buf[i];
        }
        received += n;
    }
    first[first_len] = 0;
    printf("result=ok sent=%ld received=%ld first_line=%s\n", sent, received, first);
    close(fd);
    return 0;
}

enum { CONNECTING, SENDING, READING, DONE, FAILED };

static int do_many(struct sockaddr_in *sa, int n, long timeout_s) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t) n + 64) {
        rl.rlim_cur = (rlim_t) n + 64 < rl.rlim_max ? (rlim_t) n + 64 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct pollfd *p = calloc((size_t) n, sizeof *p);
    int *state = calloc((size_t) n, sizeof *state);
    int *done_bytes = calloc((size_t) n, sizeof *done_bytes);
    char (*msg)[32] = calloc((size_t) n, sizeof *msg);
    char first_error[160] = "none";
    int connected = 0, completed = 0, failed = 0, open_now = 0, max_open = 0;
    long long t0 = now_ms(), deadline = t0 + timeout_s * 1000;

    for (int i = 0; i < n; i++) {
        snprintf(msg[i], sizeof msg[i], "conn-%d\n", i);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            state[i] = FAILED; failed++; p[i].fd = -1;
            if (!strcmp(first_error, "none")) snprintf(first_error, sizeof first_error, "socket:%s", strerror(errno));
            continue;
        }
        open_now++;
        int rc = connect(fd, (struct sockaddr *) sa, sizeof *sa);
        p[i].fd = fd;
        if (rc == 0 || errno == EINPROGRESS) {
            state[i] = CONNECTING;
            p[i].events = POLLOUT;
        } else {
            state[i] = FAILED; failed++;
            if (!strcmp(first_error, "none")) snprintf(first_error, sizeof first_error, "connect:%s", strerror(errno));
        }
    }
    if (open_now > max_open) max_open = open_now;
    while (completed + failed < n && now_ms() < deadline) {
        int rc = poll(p, (nfds_t) n, 200);
        if (rc < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++) {
            if (p[i].fd < 0 || !p[i].revents || state[i] == DONE || state[i] == FAILED) continue;
            int fd = p[i].fd;
            if (state[i] == CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) {
                    state[i] = FAILED; failed++; p[i].events = 0;
                    if (!strcmp(first_error, "none")) snprintf(first_error, sizeof first_error, "connect#%d:%s", i, strerror(err));
                    continue;
                }
                connected++;
                state[i] = SENDING;
            }
            if (state[i] == SENDING) {
                size_t len = strlen(msg[i]);
                ssize_t w = send(fd, msg[i], len, MSG_NOSIGNAL);
                if (w != (ssize_t) len) { /* 8 bytes into an empty socket: all or nothing */
                    state[i] = FAILED; failed++; p[i].events = 0;
                    if (!strcmp(first_error, "none")) snprintf(first_error, sizeof first_error, "send#%d:%s", i, w < 0 ? strerror(errno) : "short");
                    continue;
                }
                state[i] = READING;
                p[i].events = POLLIN;
                continue;
            }
            if (state[i] == READING) {
                char buf[64];
                size_t want = strlen(msg[i]) - (size_t) done_bytes[i];
                ssize_t r = recv(fd, buf, want, 0);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
                if (r <= 0 || memcmp(buf, msg[i] + done_bytes[i], (size_t) r) != 0) {
                    state[i] = FAILED; failed++; p[i].events = 0;
                    if (!strcmp(first_error, "none"))
                        snprintf(first_error, sizeof first_error, "read#%d:%s", i, r < 0 ? strerror(errno) : r == 0 ? "eof" : "mismatch");
                    continue;
                }
                done_bytes[i] += (int) r;
                if ((size_t) done_bytes[i] == strlen(msg[i])) {
                    state[i] = DONE; completed++;
                    p[i].events = 0; /* keep it open until the end: all N are open at once */
                }
            }
        }
    }
    long long ms = now_ms() - t0;
    if (completed + failed < n && !strcmp(first_error, "none")) snprintf(first_error, sizeof first_error, "timeout");
    printf("result=done n=%d connected=%d completed=%d failed=%d pending=%d max_open=%d first_error=%s ms=%lld\n",
           n, connected, completed, failed, n - completed - failed, max_open, first_error, ms);
    fflush(stdout);
    for (int i = 0; i < n; i++) if (p[i].fd >= 0) close(p[i].fd);
    return 0;
}

/* Opens n silent connections and reports when the other end closes them. */
static int do_hold(struct sockaddr_in *sa, int n, long timeout_s) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t) n + 64) {
        rl.rlim_cur = (rlim_t) n + 64 < rl.rlim_max ? (rlim_t) n + 64 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct pollfd *p = calloc((size_t) n, sizeof *p);
    int *up = calloc((size_t) n, sizeof *up);
    int connected = 0, decided = 0, closed = 0;
    long long t0 = now_ms(), deadline = t0 + timeout_s * 1000, held_at = -1, first = -1, last = -1;
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        p[i].fd = fd;
        p[i].events = POLLOUT;
        if (fd < 0 || (connect(fd, (struct sockaddr *) sa, sizeof *sa) != 0 && errno != EINPROGRESS)) {
            p[i].events = 0;
            decided++;
        }
    }
    while (now_ms() < deadline && (decided < n || closed < connected)) {
        int rc = poll(p, (nfds_t) n, 100);
        if (rc < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++) {
            if (p[i].fd < 0 || !p[i].revents || !p[i].events) continue;
            if (p[i].events == POLLOUT) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
                decided++;
                if (err) { p[i].events = 0; continue; }
                up[i] = 1; connected++;
                p[i].events = POLLIN;
                continue;
            }
            char buf[512];
            ssize_t r = recv(p[i].fd, buf, sizeof buf, 0);
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
            if (r > 0) continue; /* nobody should send anything; keep waiting for the close */
            p[i].events = 0; closed++;
            long long at = now_ms() - (held_at < 0 ? t0 : held_at);
            if (first < 0) first = at;
            last = at;
        }
        if (held_at < 0 && decided == n) {
            held_at = now_ms();
            printf("held n=%d connected=%d ms=%lld\n", n, connected, held_at - t0);
            fflush(stdout);
        }
    }
    printf("result=done n=%d connected=%d closed=%d first_close_ms=%lld last_close_ms=%lld ms=%lld\n", n, connected,
           closed, first, last, now_ms() - t0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "udp") && strchr(argv[2], ':') != NULL) {
        struct sockaddr_in6 sa6;
        memset(&sa6, 0, sizeof sa6);
        sa6.sin6_family = AF_INET6;
        sa6.sin6_port = htons((unsigned short) atoi(argv[3]));
        if (inet_pton(AF_INET6, argv[2], &sa6.sin6_addr) != 1) {
            fprintf(stderr, "natprobe: not an IPv6 address: %s\n", argv[2]);
            return 2;
        }
        return do_udp((struct sockaddr *) &sa6, sizeof sa6, argv[4], argc >= 6 ? atol(argv[5]) : 1000,
                      argc == 7 ? atoi(argv[6]) : 3);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sockaddr_in sa;
    if (argc >= 4 && addr(argv[2], argv[3], &sa) == 0) {
        if (!strcmp(argv[1], "connect") && argc <= 5) return do_connect(&sa, argc == 5 ? atol(argv[4]) : 5000);
        if (!strcmp(argv[1], "udp") && argc >= 5 && argc <= 7)
            return do_udp((struct sockaddr *) &sa, sizeof sa, argv[4], argc >= 6 ? atol(argv[5]) : 1000, argc == 7 ? atoi(argv[6]) : 3);
        if (!strcmp(argv[1], "halfclose") && argc >= 5 && argc <= 6) return do_halfclose(&sa, atol(argv[4]), argc == 6 ? atol(argv[5]) : 20);
        if (!strcmp(argv[1], "hold") && argc >= 5 && argc <= 6) {
            int n = atoi(argv[4]);
            if (n > 0 && n <= 20000) return do_hold(&sa, n, argc == 6 ? atol(argv[5]) : 30);
        }
        if (!strcmp(argv[1], "many") && argc >= 5 && argc <= 6) {
            int n = atoi(argv[4]);
            if (n > 0 && n <= 20000) return do_many(&sa, n, argc == 6 ? atol(argv[5]) : 30);
        }
    }
    fprintf(stderr, "usage: natprobe connect HOST PORT [TIMEOUT_MS] | udp HOST PORT MESSAGE [TIMEOUT_MS] [TRIES]\n"
                    "       | halfclose HOST PORT BYTES [TIMEOUT_S] | many HOST PORT N [TIMEOUT_S]\n"
                    "       | hold HOST PORT N [TIMEOUT_S]\n");
    return 2;
}
