#!/bin/sh
# The `udhcpc -s` script of the test guests (QEMU guests: /etc/udhcpc.sh in the initramfs; namespace guests:
# run from testtools/). It applies a lease the way a distribution's default script does: address and prefix,
# interface MTU (option 26), default route via the router (option 3), and a resolver file with the search list
# (option 119, or the domain name, option 15) and the DNS servers (option 6). Then it records the lease:
#   - U2T_DHCP_ENV (default /tmp/u2t-dhcp.env): the lease's variables, one NAME=VALUE per line, for the test;
#   - stdout: one line "U2T-DHCP EVENT ip=... router=... dns=... mtu=... search=..." (the console / the log).
# The resolver file is written only to RESOLV_CONF, which the caller must set (the QEMU guest's init sets
# /etc/resolv.conf; a namespace guest sets /etc/netns/NS/resolv.conf): a namespace guest must never fall back to
# the machine's own /etc/resolv.conf.
# Works with busybox ip and with iproute2 (only add/del/flush/set are used).
ENV_FILE=${U2T_DHCP_ENV:-/tmp/u2t-dhcp.env}

write_env() {
    {
        echo "event=$1"
        for v in interface ip mask subnet router dns domain search mtu hostname lease serverid broadcast; do
            eval "val=\${$v}"
            echo "$v=$val"
        done
    } >"$ENV_FILE.tmp" && mv "$ENV_FILE.tmp" "$ENV_FILE"
}

case "$1" in
deconfig)
    ip -4 addr flush dev "$interface"
    ip link set dev "$interface" up
    echo "U2T-DHCP deconfig"
    ;;
bound|renew)
    [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
    prefix=${mask:-24}
    if ! ip -4 addr show dev "$interface" | grep -q "inet $ip/$prefix "; then
        ip -4 addr flush dev "$interface"
        ip addr add "$ip/$prefix" dev "$interface" || { echo "U2T-DHCP error: ip addr add $ip/$prefix failed"; exit 1; }
    fi
    if [ -n "$router" ]; then
        ip route del default dev "$interface" 2>/dev/null
        for r in $router; do
            ip route add default via "$r" dev "$interface" && break
        done
    fi
    if [ -n "$RESOLV_CONF" ]; then
        {
            if [ -n "$search" ]; then
                echo "search $search"
            elif [ -n "$domain" ]; then
                echo "search $domain"
            fi
            for s in $dns; do
                echo "nameserver $s"
            done
        } >"$RESOLV_CONF.u2t-tmp" && cat "$RESOLV_CONF.u2t-tmp" >"$RESOLV_CONF" && rm -f "$RESOLV_CONF.u2t-tmp"
    fi
    write_env "$1"
    echo "U2T-DHCP $1 ip=$ip mask=$mask router=$router dns=$dns mtu=$mtu search=$search lease=$lease"
    ;;
leasefail|nak)
    echo "U2T-DHCP $1 $message"
    ;;
esac
exit 0
