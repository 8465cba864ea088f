/*
 * rr: TCP 1-byte request/response latency (what netperf TCP_RR measures; netperf is not in Debian main).
 *
 *   rr -s PORT [SIZE]          server: answers each 1-byte request with SIZE bytes (default 1), one connection at
 *                              a time, until killed
 *   rr -c HOST PORT N [WARMUP [SIZE]]
 *                              client: N timed round trips, each 1 byte out and SIZE bytes back (the server's SIZE;
 *                              default 1), after WARMUP untimed ones (default 100);
 *                              prints "n=N p50_us=X p99_us=Y min_us=Z max_us=W"
 * A SIZE above one segment makes the answers look like bulk data to a switch (what its receive coalescing must not
 * hold back).
 * TCP_NODELAY on both ends; every receive times out after 5 s so nothing hangs forever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "full_io.h"

static void tune(int fd) {
    int one = 1;
    struct timeval tv = { 5, 0 };
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

#define MAX_SIZE (1 << 20)

static int serve(const char *port, long size) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((unsigned short) atoi(port)), .sin6_addr = in6addr_any };
    if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, 4) < 0) { perror("rr: bind/listen"); return 1; }
    printf("rr: listening on %s\n", port);
    fflush(stdout);
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) { if (errno == EINTR) continue; perror("rr: accept"); return 1; }
        tune(c);
        static char answer[MAX_SIZE];
        char b;
        while (read(c, &b, 1) == 1 && write_full(c, answer, size) == 0) { }
        close(c);
    }
}

static int client(const char *host, const char *port, long n, long warmup, long size) {
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
    if (getaddrinfo(host, port, &hints, &res)) { fprintf(stderr, "rr: cannot resolve %s\n", host); return 1; }
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) { perror("rr: connect"); return 1; }
    freeaddrinfo(res);
    tune(fd);
    double *us = calloc((size_t) n, sizeof *us);
    static char answer[MAX_SIZE];
    char b = 'x';
    for (long i = -warmup; i < n; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (write_full(fd, &b, 1) != 0 || read_full(fd, answer, size) != 0) { perror("rr: round trip"); return 1; }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (i >= 0) us[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
    }
    qsort(us, (size_t) n, sizeof *us, cmp);
    printf("n=%ld p50_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f\n", n, us[n / 2], us[(n * 99) / 100], us[0], us[n - 1]);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "-s") == 0) {
        long size = argc == 4 ? atol(argv[3]) : 1;
        if (size > 0 && size <= MAX_SIZE) return serve(argv[2], size);
    }
    if (argc >= 5 && argc <= 7 && strcmp(argv[1], "-c") == 0) {
        long n = atol(argv[4]), warmup = argc >= 6 ? atol(argv[5]) : 100, size = argc == 7 ? atol(argv[6]) : 1;
        if (n > 0 && n <= 10000000 && warmup >= 0 && size > 0 && size <= MAX_SIZE) {
            return client(argv[2], argv[3], n, warmup, size);
        }
    }
    fprintf(stderr, "usage: rr -s PORT [SIZE] | rr -c HOST PORT N [WARMUP [SIZE]]\n");
    return 2;
}
