#!/usr/bin/env bash
# Installs, on Debian 12, every package the build and the end-to-end tests use (needs root; apt-get only runs when
# something is missing). Used by scripts/test.sh and .ci/run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(
    # build
    openjdk-17-jdk-headless maven ca-certificates
    # testtools/*.c are compiled by the tests
    gcc libc6-dev make
    # QEMU guests: Debian kernel + modules, busybox initramfs
    qemu-system-x86 linux-image-amd64 busybox-static cpio
    # the systemd guest's root filesystem (scripts/systemd-guest.sh: debootstrap from Debian's packages, mke2fs -d)
    debootstrap e2fsprogs
    # namespace guests and what runs in them (openssh-server: the guest's sshd of the -forward-sock test, run by
    # the test itself; installed without starting or enabling the machine's own sshd, see below)
    iproute2 procps iperf3 curl dnsutils iputils-ping openssh-server socat
    # DHCP clients besides busybox udhcpc (dhcpcd without its service; ISC dhclient for DHCPv6 with a script of the
    # test's own); rdisc6 reads Router Advertisements (RDNSS, DNSSL) from inside a namespace guest
    dhcpcd-base isc-dhcp-client ndisc6
    # peers for side-by-side runs, capture inspection
    passt slirp4netns tshark libpcap0.8
)

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: must run as root (apt-get; the end-to-end tests create namespaces and tap devices)" >&2
    exit 1
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -q </dev/null
    # No service of these packages may start on this machine (openssh-server would listen on port 22): Debian's
    # policy-rc.d hook refuses every start while we install, unless the machine has its own policy already.
    policy=/usr/sbin/policy-rc.d
    ours=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && ours=1
    fi
    apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef \
        -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null || { [ -n "$ours" ] && rm -f "$policy"; exit 1; }
    [ -n "$ours" ] && rm -f "$policy"
    # ... nor start at the next boot: the tests run their own sshd.
    if printf '%s\n' "${missing[@]}" | grep -qx openssh-server && command -v systemctl >/dev/null; then
        systemctl disable ssh.service ssh.socket >/dev/null 2>&1 || true
    fi
fi

# Containers sometimes lack the tun device node; the tests need it for tap devices.
if [ ! -e /dev/net/tun ]; then
    mkdir -p /dev/net
    mknod /dev/net/tun c 10 200
    chmod 0666 /dev/net/tun
fi
