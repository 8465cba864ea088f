/*
 * rdnss IFNAME [TIMEOUT_MS]: what a guest's kernel tells user space about DNS from Router Advertisements.
 *
 * Linux does not apply the RDNSS and DNSSL options of an RA itself: it validates the RA and hands these "user
 * options" to user space as RTM_NEWNDUSEROPT messages on the rtnetlink group RTNLGRP_ND_USEROPT (net/ipv6/ndisc.c,
 * ndisc_ra_useropt), which is where rdnssd, systemd-networkd and NetworkManager read them. This tool subscribes to
 * that group, sends one Router Solicitation on IFNAME (RFC 4861 6.3.7: to ff02::2, hop limit 255), and prints each
 * option the kernel passes up until it has seen an RDNSS and a DNSSL option or TIMEOUT_MS (default 3000) passes:
 *
 *   rdnss from=fe80::1 lifetime=N servers=fd00::2,fd00::3
 *   dnssl from=fe80::1 lifetime=N domains=corp.test,lab.test
 *
 * Exit 0 when an RDNSS option was seen, 1 when none came, 2 on a usage or socket error. Built static so that the
 * busybox-only QEMU test guests can run it (see QemuGuest); needs CAP_NET_RAW for the solicitation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OPT_RDNSS 25 /* RFC 8106 5.1 */
#define OPT_DNSSL 31 /* RFC 8106 5.2 */

/* The header of an RTM_NEWNDUSEROPT message, as the kernel lays it out (struct nduseropt_msg, which Debian's
 * linux-libc-dev does not ship): followed by the option itself, then rtattrs (NDUSEROPT_SRCADDR). */
struct useropt_msg {
    unsigned char family;
    unsigned char pad1;
    unsigned short opts_len; /* length of the option that follows */
    int ifindex;
    uint8_t icmp_type;
    uint8_t icmp_code;
    unsigned short pad2;
    unsigned int pad3;
};

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int solicit(unsigned ifindex) {
    int fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6); /* the kernel fills in the ICMPv6 checksum */
    if (fd < 0) { perror("rdnss: raw socket"); return -1; }
    int hops = 255;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) < 0
        || setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex) < 0) {
        perror("rdnss: setsockopt"); close(fd); return -1;
    }
    struct nd_router_solicit rs = { .nd_rs_type = ND_ROUTER_SOLICIT };
    struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_scope_id = ifindex };
    inet_pton(AF_INET6, "ff02::2", &to.sin6_addr);
    if (sendto(fd, &rs, sizeof rs, 0, (struct sockaddr *) &to, sizeof to) < 0) {
        perror("rdnss: send router solicitation"); close(fd); return -1;
    }
    close(fd);
    return 0;
}

/* Prints one option (header at opt, len bytes); returns its type. */
static int print_option(const unsigned char *opt, size_t len, const char *from) {
    if (len < 8 || opt[1] * 8u != len) {
        printf("option malformed type=%u len=%zu\n", opt[0], len);
        return 0;
    }
    uint32_t lifetime = ntohl(*(const uint32_t *) (opt + 4));
    if (opt[0] == OPT_RDNSS) {
        printf("rdnss from=%s lifetime=%u servers=", from, lifetime);
        for (size_t off = 8; off + 16 <= len; off += 16) {
            char a[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, opt + off, a, sizeof a);
            printf("%s%s", off == 8 ? "" : ",", a);
        }
        printf("\n");
    } else if (opt[0] == OPT_DNSSL) {
        /* RFC 8106 5.2: domain names in DNS wire format (labels, 0-terminated), padded with zeros. */
        printf("dnssl from=%s lifetime=%u domains=", from, lifetime);
        size_t off = 8;
        int first = 1;
        while (off < len && opt[off] != 0) {
            printf("%s", first ? "" : ",");
            first = 0;
            while (off < len && opt[off] != 0) {
                unsigned l = opt[off];
                if (off + 1 + l > len) { printf("?"); off = len; break; }
                printf("%.*s%s", (int) l, (const char *) opt + off + 1, opt[off + 1 + l] ? "." : "");
                off += 1 + l;
            }
            off++;
        }
        printf("\n");
    } else {
        printf("option type=%u len=%zu from=%s\n", opt[0], len, from);
    }
    fflush(stdout);
    return opt[0];
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) { fprintf(stderr, "usage: rdnss IFNAME [TIMEOUT_MS]\n"); return 2; }
    unsigned ifindex = if_nametoindex(argv[1]);
    long timeout = argc == 3 ? atol(argv[2]) : 3000;
    if (ifindex == 0 || timeout <= 0) { fprintf(stderr, "rdnss: bad interface or timeout\n"); return 2; }

    int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1u << (RTNLGRP_ND_USEROPT - 1) };
    if (nl < 0 || bind(nl, (struct sockaddr *) &sa, sizeof sa) < 0) { perror("rdnss: netlink"); return 2; }
    if (solicit(ifindex) < 0) return 2;

    int rdnss = 0, dnssl = 0;
    long deadline = now_ms() + timeout;
    char buf[8192];
    while (!(rdnss && dnssl)) {
        long left = deadline - now_ms();
        if (left <= 0) break;
        struct pollfd p = { .fd = nl, .events = POLLIN };
        if (poll(&p, 1, (int) left) <= 0) continue;
        ssize_t n = recv(nl, buf, sizeof buf, 0);
        if (n < 0) { if (errno == EINTR) continue; perror("rdnss: recv"); return 2; }
        for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type != RTM_NEWNDUSEROPT || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct useropt_msg))) continue;
            struct useropt_msg *m = NLMSG_DATA(h);
            size_t payload = h->nlmsg_len - NLMSG_LENGTH(sizeof *m);
            if (m->ifindex != (int) ifindex || m->icmp_type != ND_ROUTER_ADVERT
                || m->opts_len > payload) continue;
            const unsigned char *opt = (const unsigned char *) (m + 1);
            /* After the option, NDUSEROPT_SRCADDR: the RA's source address. */
            char from[INET6_ADDRSTRLEN] = "?";
            size_t alen = payload - NLMSG_ALIGN(m->opts_len);
            struct rtattr *a = (struct rtattr *) (opt + NLMSG_ALIGN(m->opts_len));
            if (payload >= NLMSG_ALIGN(m->opts_len)) {
                for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                    if (a->rta_type == NDUSEROPT_SRCADDR && RTA_PAYLOAD(a) == 16) inet_ntop(AF_INET6, RTA_DATA(a), from, sizeof from);
                }
            }
            int type = print_option(opt, m->opts_len, from);
            rdnss |= type == OPT_RDNSS;
            dnssl |= type == OPT_DNSSL;
        }
    }
    if (!rdnss) printf("no rdnss within %ld ms\n", timeout);
    return rdnss ? 0 : 1;
}
