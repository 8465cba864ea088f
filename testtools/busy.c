/*
 * busy: a process that takes CPU time the way a switch's event loop does, and does nothing else. It spins for
 * SPIN_US microseconds, sleeps SLEEP_US, and again, until killed: no socket, no file, no traffic. Run beside the
 * direct wire between two guests (guest-to-guest.sh's wire-busy path), it shows what sharing a small machine with one
 * more busy process costs the guests when that process is not in their path at all.
 *
 *   busy [SPIN_US [SLEEP_US]]
 *
 * Default 30 60: about a third of a CPU and 5 700 wake-ups a second, alone on the project's 2-vCPU test machine.
 *
 * Prints "busy: running" once started; on SIGTERM or SIGINT prints "busy: N rounds" and exits 0.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void) sig;
    stop = 1;
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    long spin_us = argc > 1 ? atol(argv[1]) : 30;
    long sleep_us = argc > 2 ? atol(argv[2]) : 60;
    if (spin_us < 0 || sleep_us <= 0 || sleep_us >= 1000000) {
        fprintf(stderr, "usage: busy [SPIN_US [SLEEP_US]] (SLEEP_US between 1 and 999999)\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("busy: running\n");
    fflush(stdout);
    volatile unsigned long work = 0;
    long long rounds = 0;
    struct timespec pause = {0, sleep_us * 1000};
    while (!stop) {
        long long start = now_ns();
        while (now_ns() - start < spin_us * 1000 && !stop) {
            work++;
        }
        nanosleep(&pause, NULL);
        rounds++;
    }
    printf("busy: %lld rounds\n", rounds);
    return 0;
}
