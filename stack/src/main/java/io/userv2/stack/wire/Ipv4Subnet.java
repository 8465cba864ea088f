package io.userv2.stack.wire;

/**
 * An IPv4 network in CIDR form, such as {@code 192.168.104.0/24}. Immutable; the address is normalised to the network
 * address.
 */
public record Ipv4Subnet(Ipv4Address network, int prefixLength) {
    /** Validates the prefix length and normalises {@code network} to its network address. */
    public Ipv4Subnet {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range: " + prefixLength);
        }
        network = new Ipv4Address(network.bits() & mask(prefixLength));
    }

    /** Parses {@code a.b.c.d/n}. */
    public static Ipv4Subnet parse(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR subnet (a.b.c.d/n): " + cidr);
        }
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a CIDR subnet (a.b.c.d/n): " + cidr);
        }
        return new Ipv4Subnet(Ipv4Address.parse(cidr.substring(0, slash)), prefix);
    }

    private static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** The netmask as an address, e.g. 255.255.255.0. */
    public Ipv4Address netmask() {
        return new Ipv4Address(mask(prefixLength));
    }

    /** The directed broadcast address of this subnet. */
    public Ipv4Address broadcast() {
        return new Ipv4Address(network.bits() | ~mask(prefixLength));
    }

    /** True when {@code address} lies in this subnet. */
    public boolean contains(int address) {
        return (address & mask(prefixLength)) == network.bits();
    }

    /** True when {@code address} lies in this subnet. */
    public boolean contains(Ipv4Address address) {
        return contains(address.bits());
    }

    /** The {@code n}-th address of the subnet (network address + n). */
    public Ipv4Address host(int n) {
        return network.plus(n);
    }

    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }
}
