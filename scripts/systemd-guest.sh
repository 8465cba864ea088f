#!/usr/bin/env bash
# Builds, once, the root filesystem of the systemd test guest (SystemdGuestIT): Debian 12 "minbase" from Debian's
# packages (debootstrap) with systemd, systemd-networkd (DHCP on the virtio NIC), systemd-resolved (/etc/resolv.conf
# is its stub), libnss-resolve, dig, and u2t-agent.service: a shell on ttyS0 that the test drives with the same
# line protocol as the busybox guests (testtools/guest-init.sh). The result is an ext4 image made without loop
# mounts (mke2fs -d); the test boots it read-only (QEMU snapshot=on) with the machine's own kernel and a busybox
# initramfs that mounts it (testtools/systemd-init.sh).
#
#   scripts/systemd-guest.sh [OUT_DIR]     (default /var/cache/userv2-test; needs root)
#
# The image is cached as OUT_DIR/systemd-guest-HASH.ext4, HASH being a hash of this script: a second run prints
# the path at once. The last line of stdout is the image's path; progress goes to stderr. The Debian mirror is the
# machine's own (the URIs: line of /etc/apt/sources.list.d/debian.sources, else sources.list); override with
# U2T_DEBIAN_MIRROR. The build is bounded (U2T_BUILD_TIMEOUT seconds, default 900).
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

out_dir=${1:-/var/cache/userv2-test}
script_hash=$(sha256sum "$0" | cut -c1-16)
image="$out_dir/systemd-guest-$script_hash.ext4"
say() { echo "systemd-guest: $*" >&2; }

if [ -s "$image" ]; then
    say "cached $image"
    echo "$image"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    say "must run as root (debootstrap)"
    exit 1
fi
for tool in debootstrap mke2fs; do
    command -v "$tool" >/dev/null || { say "missing $tool (scripts/install-deps.sh installs it)"; exit 1; }
done

mirror=${U2T_DEBIAN_MIRROR:-}
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list.d/debian.sources ]; then
    # deb822: the first URIs: line that is not the security archive.
    mirror=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || { say "no Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"; exit 1; }

mkdir -p "$out_dir"
work=$(mktemp -d "$out_dir/build-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
start=$(date +%s)
timeout=${U2T_BUILD_TIMEOUT:-900}

packages=systemd,systemd-sysv,systemd-resolved,libnss-resolve,udev,dbus,iproute2,dnsutils,procps
say "debootstrap --variant=minbase bookworm from $mirror (with $packages); at most ${timeout}s"
# timeout signals its whole process group (debootstrap, dpkg, wget) at the deadline. Of the per-package lines every
# 25th is shown, with a count, as progress.
timeout --kill-after=10 "$timeout" debootstrap --variant=minbase --include="$packages" \
    bookworm "$root" "$mirror" 2>&1 | {
        n=0
        while IFS= read -r line; do
            case "$line" in
                I:\ Retrieving*|I:\ Validating*|I:\ Extracting*|I:\ Unpacking*|I:\ Configuring*)
                    n=$((n + 1))
                    [ $((n % 25)) -ne 0 ] || say "$line ($n package steps, $(( $(date +%s) - start ))s)" ;;
                *) say "$line" ;;
            esac
        done
    }
[ "${PIPESTATUS[0]}" -eq 0 ] || { say "debootstrap failed"; exit 1; }
say "debootstrap done after $(( $(date +%s) - start ))s; configuring"

echo lima-sysd >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tlima-sysd\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# A fixed identity (no first-boot setup; networkd's DUID, hence its DHCP client identifier, derives from it).
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$root/etc/machine-id"
echo >>"$root/etc/machine-id"
# The initramfs mounts the root read-write; nothing to check or remount.
echo '/dev/vda / ext4 rw,noatime 0 0' >"$root/etc/fstab"

mkdir -p "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/50-virtio.network" <<'EOF'
# The virtio NIC, configured as a cloud image does it: DHCPv4 (networkd sends the hostname and a DUID-based client
# identifier), the DNS server and search domains from the lease go to systemd-resolved.
[Match]
Type=ether

[Network]
DHCP=yes
EOF

ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/etc/systemd/system/systemd-resolved.service.d" "$root/etc/systemd/system/systemd-networkd.service.d"
# Debug logs: the test reads resolved's cache decisions and feature-level changes, networkd's DHCP exchange.
printf '[Service]\nEnvironment=SYSTEMD_LOG_LEVEL=debug\n' >"$root/etc/systemd/system/systemd-resolved.service.d/debug.conf"
printf '[Service]\nEnvironment=SYSTEMD_LOG_LEVEL=debug\n' >"$root/etc/systemd/system/systemd-networkd.service.d/debug.conf"
# No LLMNR/mDNS chatter on the test LAN.
mkdir -p "$root/etc/systemd/resolved.conf.d"
printf '[Resolve]\nLLMNR=no\nMulticastDNS=no\nDNSSEC=no\n' >"$root/etc/systemd/resolved.conf.d/u2t.conf"
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nForwardToConsole=no\n' >"$root/etc/systemd/journald.conf.d/u2t.conf"

cat >"$root/usr/local/sbin/u2t-agent" <<'EOF'
#!/bin/sh
# The test's command channel on ttyS0, the same line protocol as testtools/guest-init.sh: after boot one
# "U2T-READY MAC" line, then a non-interactive shell fed line by line from the serial console (a pipe, not the
# tty, so there is no prompt and no echo).
stty -F /dev/ttyS0 -echo -onlcr 2>/dev/null
mac=""
for n in /sys/class/net/*; do
    [ "$(cat "$n/type" 2>/dev/null)" = 1 ] && [ "${n##*/}" != lo ] && { mac=$(cat "$n/address"); break; }
done
echo "U2T-READY $mac"
while IFS= read -r line; do printf '%s\n' "$line"; done </dev/ttyS0 | sh
echo "U2T-SHELL-EXITED"
EOF
chmod 0755 "$root/usr/local/sbin/u2t-agent"
cat >"$root/etc/systemd/system/u2t-agent.service" <<'EOF'
[Unit]
Description=userv2 test agent on ttyS0
After=network-online.target systemd-resolved.service
Wants=network-online.target

[Service]
Type=simple
ExecStart=/usr/local/sbin/u2t-agent
# Plain output for the test to parse: no colours, no pager, although stdout is a terminal.
Environment=SYSTEMD_COLORS=0 SYSTEMD_PAGER= SYSTEMD_LESS= TERM=dumb
StandardInput=null
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TTYReset=no
TTYVHangup=no
Restart=no

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$root/etc/systemd/system/systemd-networkd-wait-online.service.d"
# Ready once the NIC is configured (DHCPv4 lease, and whatever IPv6 the switch's Router Advertisements ask for), or
# after 60 s (then the test sees what is missing and says so).
printf '[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-networkd-wait-online --timeout=60\n' \
    >"$root/etc/systemd/system/systemd-networkd-wait-online.service.d/u2t.conf"

chroot "$root" systemctl enable systemd-networkd.service systemd-resolved.service u2t-agent.service >/dev/null 2>&1
# The agent owns the serial console; nothing else the test does not need runs at boot.
chroot "$root" systemctl mask serial-getty@ttyS0.service getty@tty1.service apt-daily.timer apt-daily-upgrade.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service >/dev/null 2>&1 || true
grep -q resolve "$root/etc/nsswitch.conf" || { say "libnss-resolve is not in nsswitch.conf"; exit 1; }

# Smaller and faster to write: no documentation, locales or package caches.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
    "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log

size_mb=$(( $(du -sm "$root" | cut -f1) * 5 / 4 + 64 ))
say "mke2fs -d (${size_mb} MiB)"
mke2fs -q -t ext4 -L u2t-root -m 0 -E root_owner=0:0 -d "$root" "$work/image.ext4" "${size_mb}M" >&2
mv "$work/image.ext4" "$image"
# Older builds of other versions of this script are of no further use.
find "$out_dir" -maxdepth 1 -name 'systemd-guest-*.ext4' ! -path "$image" -delete
say "built $image in $(( $(date +%s) - start ))s"
echo "$image"
