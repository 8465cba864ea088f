#!/bin/busybox sh
# /init of the test guests' initramfs (built by QemuGuest): busybox-static, virtio-net modules, a static
# address from the kernel command line (u2t_ip=A.B.C.D/NN, u2t_mtu=N) or, with u2t_dhcp=1, a DHCP lease
# (busybox udhcpc with /etc/udhcpc.sh, asking for the MTU and search options, sending u2t_hostname=NAME as
# option 12; the lease sets address, MTU, default route and /etc/resolv.conf), optional /test.sh, then a
# non-interactive shell on the serial console that the harness drives line by line.
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin /run
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
echo 1 > /proc/sys/kernel/printk
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
    [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 200 ]; do usleep 50000; i=$((i+1)); done
[ -e /sys/class/net/eth0 ] || echo "U2T-ERROR no eth0"
ip link set lo up
[ -n "$u2t_mtu" ] && ip link set eth0 mtu "$u2t_mtu"
ip link set eth0 up
[ -n "$u2t_ip" ] && ip addr add "$u2t_ip" dev eth0
if [ -n "$u2t_dhcp" ]; then
    RESOLV_CONF=/etc/resolv.conf U2T_DHCP_ENV=/tmp/u2t-dhcp.env udhcpc -i eth0 -s /etc/udhcpc.sh -q -n -t 10 -T 2 -O mtu -O search \
        ${u2t_hostname:+-x hostname:$u2t_hostname} || echo "U2T-ERROR dhcp: no lease"
fi
[ -x /test.sh ] && /test.sh
stty -echo -onlcr 2>/dev/null
echo "U2T-READY $(cat /sys/class/net/eth0/address 2>/dev/null)"
# A pipe, not the tty, feeds the shell: it stays non-interactive (no prompt, no line editing).
while IFS= read -r line; do printf '%s\n' "$line"; done </dev/console | sh
echo "U2T-SHELL-EXITED"
poweroff -f
