package io.userv2.switchd.services;

import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.dhcp.LeaseListener;

/** Tells two lease listeners, in order, about every lease event (the DHCP server takes one listener). */
final class LeaseFanOut implements LeaseListener {
    private final LeaseListener first;
    private final LeaseListener second;

    LeaseFanOut(LeaseListener first, LeaseListener second) {
        this.first = first;
        this.second = second;
    }

    @Override
    public void onLease(Lease lease) {
        first.onLease(lease);
        second.onLease(lease);
    }

    @Override
    public void onRelease(Lease lease) {
        first.onRelease(lease);
        second.onRelease(lease);
    }

    @Override
    public void onExpire(Lease lease) {
        first.onExpire(lease);
        second.onExpire(lease);
    }
}
