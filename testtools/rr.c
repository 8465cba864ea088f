/*
 * rr: TCP 1-byte request/response latency (what netperf TCP_RR measures; netperf is not in Debian main).
 *
 *   rr -s PORT                 server: echo each byte back, one connection at a time, until killed
 *   rr -c HOST PORT N [WARMUP] client: N timed round trips of 1 byte (after WARMUP untimed ones),
 *                              prints "n=N p50_us=X p99_us=Y min_us=Z max_us=W"
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

static int serve(const char *port) {
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
        char b;
        while (read(c, &b, 1) == 1 && write(c, &b, 1) == 1) { }
        close(c);
    }
}

static int client(const char *host, const char *port, long n, long warmup) {
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
    if (getaddrinfo(host, port, &hints, &res)) { fprintf(stderr, "rr: cannot resolve %s\n", host); return 1; }
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) { perror("rr: connect"); return 1; }
    freeaddrinfo(res);
    tune(fd);
    double *us = calloc((size_t) n, sizeof *us);
    char b = 'x';
    for (long i = -warmup; i < n; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) { perror("rr: round trip"); return 1; }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (i >= 0) us[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
    }
    qsort(us, (size_t) n, sizeof *us, cmp);
    printf("n=%ld p50_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f\n", n, us[n / 2], us[(n * 99) / 100], us[0], us[n - 1]);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "-s") == 0) return serve(argv[2]);
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "-c") == 0) {
        long n = atol(argv[4]), warmup = argc == 6 ? atol(argv[5]) : 100;
        if (n > 0 && n <= 10000000 && warmup >= 0) return client(argv[2], argv[3], n, warmup);
    }
    fprintf(stderr, "usage: rr -s PORT | rr -c HOST PORT N [WARMUP]\n");
    return 2;
}
