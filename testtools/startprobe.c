/*
 * startprobe: how long a switch takes from exec to serving its unix socket, as a client that starts it and waits
 * for it sees it (bench/scripts/startup.sh runs it for userv2, a bare JVM and gvproxy).
 *
 *   startprobe SOCKET GATEWAY_IP -- COMMAND [ARG...]
 *
 * Forks and execs COMMAND (its output goes to /dev/null), then tries to connect to the unix stream socket SOCKET
 * every 0.5 ms. Prints, in ms since the exec:
 *   socket=X   the first connect that succeeded (the socket file exists and accepts)
 *   answer=Y   the first ARP reply for GATEWAY_IP to a request sent on that connection with the QEMU stream framing
 *              (4-byte big-endian length + frame); "answer=-" when GATEWAY_IP is "-" (a socket that never answers)
 * then sends SIGTERM to COMMAND and waits for it. Gives up (exit 1) after 30 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double since_ms(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int read_full(int fd, uint8_t *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return -1;
        got += (size_t) r;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: startprobe SOCKET GATEWAY_IP -- COMMAND [ARG...]\n");
        return 2;
    }
    const char *path = argv[1], *gw = argv[2];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) { fprintf(stderr, "socket path too long\n"); return 2; }
    strcpy(sa.sun_path, path);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t child = fork();
    if (child == 0) {
        int null = open("/dev/null", 1);
        dup2(null, 1);
        dup2(null, 2);
        execvp(argv[4], argv + 4);
        _exit(127);
    }
    int fd = -1;
    double socket_ms = -1;
    while (since_ms(&t0) < 30000) {
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0) { socket_ms = since_ms(&t0); break; }
        close(fd);
        fd = -1;
        if (waitpid(child, NULL, WNOHANG) == child) { fprintf(stderr, "command exited before its socket came\n"); return 1; }
        struct timespec nap = { 0, 500000 };
        nanosleep(&nap, NULL);
    }
    if (fd < 0) { fprintf(stderr, "no socket within 30 s\n"); kill(child, SIGKILL); return 1; }

    double answer_ms = -1;
    if (strcmp(gw, "-") != 0) {
        struct timeval tv = { 30, 0 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        /* An ARP request (RFC 826) from 02:00:00:00:00:01 / 0.0.0.0 (a probe: claims no address) for GATEWAY_IP. */
        uint8_t f[4 + 60] = { 0 };
        f[3] = 60;
        uint8_t *e = f + 4;
        memset(e, 0xff, 6);
        uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
        memcpy(e + 6, mac, 6);
        e[12] = 0x08; e[13] = 0x06;
        uint8_t *a = e + 14;
        a[1] = 1; a[2] = 0x08; a[4] = 6; a[5] = 4; a[7] = 1;
        memcpy(a + 8, mac, 6);
        if (inet_pton(AF_INET, gw, a + 24) != 1) { fprintf(stderr, "bad GATEWAY_IP\n"); return 2; }
        if (write(fd, f, sizeof f) != (ssize_t) sizeof f) { perror("write"); return 1; }
        for (;;) {
            uint8_t len[4], frame[65536];
            if (read_full(fd, len, 4) != 0) { fprintf(stderr, "no ARP reply\n"); kill(child, SIGKILL); return 1; }
            uint32_t n = (uint32_t) len[0] << 24 | len[1] << 16 | len[2] << 8 | len[3];
            if (n > sizeof frame || read_full(fd, frame, n) != 0) { fprintf(stderr, "bad frame\n"); kill(child, SIGKILL); return 1; }
            /* ARP reply (opcode 2) whose sender protocol address is GATEWAY_IP */
            if (n >= 42 && frame[12] == 0x08 && frame[13] == 0x06 && frame[21] == 2 && memcmp(frame + 28, a + 24, 4) == 0) {
                answer_ms = since_ms(&t0);
                break;
            }
        }
    }
    close(fd);
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    if (answer_ms < 0) printf("socket=%.1f answer=-\n", socket_ms);
    else printf("socket=%.1f answer=%.1f\n", socket_ms, answer_ms);
    return 0;
}
