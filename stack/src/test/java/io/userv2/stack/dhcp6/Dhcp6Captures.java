package io.userv2.stack.dhcp6;

import io.userv2.stack.wire.HexLiteral;

/**
 * Real DHCPv6 client messages (UDP payloads), captured with dumpcap on the far end of a veth pair whose client end was
 * in a network namespace of its own (MAC 52:55:55:12:34:56, link-local fe80::5055:55ff:fe12:3456), and decoded with
 * tshark to write the comments. The clients ran with private state directories and a hook script that only wrote its
 * environment to a file.
 */
final class Dhcp6Captures {
    private Dhcp6Captures() {
    }

    /**
     * dhcpcd 9.4.1, {@code dhcpcd -6 -f CONF d6c} with CONF {@code noipv6rs / ipv6only / duid / option rapid_commit /
     * ia_na 1 / option domain_name_servers, domain_search}: its first Solicit, no server on the link.
     */
    static byte[] dhcpcdSolicit() {
        return HexLiteral.bytes("""
                01 40b2b7                                # Solicit, xid 0x40b2b7
                0001 000e 0001 0001 32a5f5ab 525555123456 # Client Identifier: DUID-LLT, Ethernet, time, MAC
                0003 000c 00000001 00000000 00000000     # IA_NA IAID 1, T1 0, T2 0, no addresses
                0006 0008 0017 0018 0052 0053            # ORO: DNS servers, domain list, SOL_MAX_RT, INF_MAX_RT
                0008 0002 0000                           # Elapsed Time 0
                000e 0000                                # Rapid Commit
                0010 003d 00009f08 0037                  # Vendor Class: enterprise 40712, one 55-octet string
                6468637063642d392e342e313a4c696e75782d362e31382e34342d66632d76313237323a7838365f36343a41757468656e746963414d44
                """);
    }

    /** dhcpcd 9.4.1, {@code dhcpcd -6 --inform6 -f CONF d6c} with CONF {@code noipv6rs / ipv6only / duid}. */
    static byte[] dhcpcdInformationRequest() {
        return HexLiteral.bytes("""
                0b 164007                                # Information-request, xid 0x164007
                0001 000e 0001 0001 32a5f5c8 525555123456 # Client Identifier: DUID-LLT
                0006 0006 0020 0052 0053                 # ORO: information refresh time, SOL_MAX_RT, INF_MAX_RT
                0008 0002 0000                           # Elapsed Time 0
                0010 003d 00009f08 0037                  # Vendor Class
                6468637063642d392e342e313a4c696e75782d362e31382e34342d66632d76313237323a7838365f36343a41757468656e746963414d44
                """);
    }

    /**
     * The exchange of dhcpcd 9.4.1 (CONF {@code noipv6rs / ipv6only / duid / option rapid_commit / ia_na 1 / option
     * domain_name_servers, domain_search / release}) with this server, run behind UDP sockets in the other namespace
     * (prefix fd00:1234:5678:9abc::/64, default pool, DNS ::2, 60 s leases): its Solicit with Rapid Commit, answered
     * fd00:1234:5678:9abc::358f.
     */
    static byte[] dhcpcdSolicitRapidCommit() {
        return HexLiteral.bytes("""
                01 1b9b72                                # Solicit, xid 0x1b9b72
                0001 000e 0001 0001 32a5f87a 525555123456 # Client Identifier: DUID-LLT
                0003 000c 00000001 00000000 00000000     # IA_NA IAID 1
                0006 0008 0017 0018 0052 0053            # ORO
                0008 0002 0000                           # Elapsed Time 0
                000e 0000                                # Rapid Commit
""" + VENDOR + """
                """);
    }

    /** The same dhcpcd's Renew at T1 (30 s), multicast, naming this server (DUID-LL of 5a:94:ef:e4:0c:dd). */
    static byte[] dhcpcdRenew() {
        return HexLiteral.bytes("""
                05 02bc14                                # Renew, xid 0x02bc14
                0001 000e 0001 0001 32a5f87a 525555123456 # Client Identifier
                0002 000a 0003 0001 5a94efe40cdd         # Server Identifier: DUID-LL
                0003 0028 00000001 00000000 00000000     # IA_NA IAID 1
                  0005 0018 fd00123456789abc000000000000358f 0000003c 0000003c # IAADDR ::358f, 60 s, 60 s
                0006 0008 0017 0018 0052 0053            # ORO
                0008 0002 0000                           # Elapsed Time 0
""" + VENDOR + """
                """);
    }

    /** The same dhcpcd's Release when it stopped (option {@code release}). */
    static byte[] dhcpcdRelease() {
        return HexLiteral.bytes("""
                08 400eb9                                # Release, xid 0x400eb9
                0001 000e 0001 0001 32a5f87a 525555123456 # Client Identifier
                0002 000a 0003 0001 5a94efe40cdd         # Server Identifier
                0003 0028 00000001 00000000 00000000     # IA_NA IAID 1
                  0005 0018 fd00123456789abc000000000000358f 0000003c 0000003c
                0008 0002 0000                           # Elapsed Time 0
""" + VENDOR + """
                """);
    }

    /**
     * The same dhcpcd started again (its DUID and lease file kept) after the server was restarted without a lease
     * store: it confirms its address before using it.
     */
    static byte[] dhcpcdConfirm() {
        return HexLiteral.bytes("""
                04 5d0b62                                # Confirm, xid 0x5d0b62
                0001 000e 0001 0001 32a5f87a 525555123456 # Client Identifier
                0003 0028 00000001 00000000 00000000     # IA_NA IAID 1
                  0005 0018 fd00123456789abc000000000000358f 0000003c 0000003c
                0006 0008 0017 0018 0052 0053            # ORO
                0008 0002 0000                           # Elapsed Time 0
""" + VENDOR + """
                """);
    }

    /** Then its Renew (T1 counted from the lease it had), answered by adopting the address it holds. */
    static byte[] dhcpcdRenewAfterRestart() {
        return HexLiteral.bytes("""
                05 26f0f7                                # Renew, xid 0x26f0f7
                0001 000e 0001 0001 32a5f87a 525555123456
                0002 000a 0003 0001 5a94efe40cdd
                0003 0028 00000001 00000000 00000000
                  0005 0018 fd00123456789abc000000000000358f 0000003c 0000003c
                0006 0008 0017 0018 0052 0053
                0008 0002 0000
""" + VENDOR + """
                """);
    }

    /**
     * ISC dhclient 4.4.3-P1 (Debian 12), {@code dhclient -6 -S -d -sf HOOK -lf LEASES d6c} (stateless), with Debian's
     * /etc/dhcp/dhclient.conf: its Information-request.
     */
    static byte[] dhclientInformationRequest() {
        return HexLiteral.bytes("""
                0b 7b23c6                                # Information-request, xid 0x7b23c6
                0001 000a 0003 0001 525555123456         # Client Identifier: DUID-LL
                0006 0008 0017 0018 0027 001f            # ORO: DNS servers, domain list, client FQDN, SNTP servers
                0008 0002 0000                           # Elapsed Time 0
                """);
    }

    /**
     * The same dhclient, {@code dhclient -6 -d ...} (stateful), against this server (prefix fd00:1234:5678:9abc::/64,
     * default pool, preference 255, 60 s leases): Solicit, answered by an Advertise of fd00:1234:5678:9abc::fe3a.
     */
    static byte[] dhclientSolicit() {
        return HexLiteral.bytes("""
                01 3c0ca7                                # Solicit, xid 0x3c0ca7
                0001 000e 0001 0001 32a5f930 525555123456 # Client Identifier: DUID-LLT
                0006 0008 0017 0018 0027 001f            # ORO
                0008 0002 0000                           # Elapsed Time 0
                0003 000c 55123456 00000e10 00001518     # IA_NA IAID 0x55123456, T1 3600, T2 5400 (hints)
                """);
    }

    /** Its Request for the advertised address (lifetimes 7200/7500 as hints). */
    static byte[] dhclientRequest() {
        return HexLiteral.bytes("""
                03 53c4bc                                # Request, xid 0x53c4bc
                0001 000e 0001 0001 32a5f930 525555123456
                0002 000a 0003 0001 5a94efe40cdd         # Server Identifier
                0006 0008 0017 0018 0027 001f
                0008 0002 0000
                0003 0028 55123456 00000e10 00001518
                  0005 0018 fd00123456789abc000000000000fe3a 00001c20 00001d4c
                """);
    }

    /** Its Renew at T1 (30 s), multicast. */
    static byte[] dhclientRenew() {
        return HexLiteral.bytes("""
                05 2dfaf9                                # Renew, xid 0x2dfaf9
                0001 000e 0001 0001 32a5f930 525555123456
                0002 000a 0003 0001 5a94efe40cdd
                0006 0008 0017 0018 0027 001f
                0008 0002 0000
                0003 0028 55123456 00000e10 00001518
                  0005 0018 fd00123456789abc000000000000fe3a 00001c20 00001d4c
                """);
    }

    /** {@code dhclient -6 -r}: its Release. */
    static byte[] dhclientRelease() {
        return HexLiteral.bytes("""
                08 8c1f9b                                # Release, xid 0x8c1f9b
                0001 000e 0001 0001 32a5f930 525555123456
                0002 000a 0003 0001 5a94efe40cdd
                0006 0008 0017 0018 0027 001f
                0008 0002 0000
                0003 0028 55123456 00000000 00000000
                  0005 0018 fd00123456789abc000000000000fe3a 00000000 00000000
                """);
    }

    /** dhcpcd 9.4.1's Vendor Class option (enterprise 40712, one 55-octet string). */
    private static final String VENDOR = """
                0010 003d 00009f08 0037
                6468637063642d392e342e313a4c696e75782d362e31382e34342d66632d76313237323a7838365f36343a41757468656e746963414d44
            """;
}
