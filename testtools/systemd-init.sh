#!/bin/busybox sh
# /init of the systemd test guest's initramfs (built by SystemdGuest): busybox-static plus the machine kernel's
# virtio, ext4 and virtio-net modules (in /lib/modules, loaded in the order of /lib/modules/order). It mounts the
# root filesystem image (scripts/systemd-guest.sh) from /dev/vda and hands over to its systemd. Nothing is
# configured here: networkd, resolved and the test agent (u2t-agent.service) are the guest's own.
/bin/busybox mkdir -p /proc /sys /dev /newroot
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo 1 > /proc/sys/kernel/printk
for m in $(cat /lib/modules/order); do
    insmod /lib/modules/$m.ko 2>/dev/null
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do usleep 50000; i=$((i+1)); done
if ! mount -t ext4 -o rw,noatime /dev/vda /newroot; then
    echo "U2T-ERROR cannot mount /dev/vda"
    poweroff -f
fi
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
