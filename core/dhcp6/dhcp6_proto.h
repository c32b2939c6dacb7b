/* DHCPv6 wire constants (RFC 8415 and the boot options of RFC 5970/6939). */
#ifndef PXH_DHCP6_PROTO_H
#define PXH_DHCP6_PROTO_H

/* Ports (RFC 8415 section 7.2) */
#define DHCP6_CLIENT_PORT 546
#define DHCP6_SERVER_PORT 547
/* EDK2's PXEv6 asks the proxy's boot server here (PxeBcDhcp6.c,
 * PXEBC_BS_DISCOVER_PORT), as PXE 2.1 does over IPv4 */
#define DHCP6_PXE_PORT 4011

/* All_DHCP_Relay_Agents_and_Servers (RFC 8415 section 7.1) */
#define DHCP6_ALL_AGENTS "ff02::1:2"

/* Message types (RFC 8415 section 7.3) */
#define DHCP6_SOLICIT 1
#define DHCP6_ADVERTISE 2
#define DHCP6_REQUEST 3
#define DHCP6_CONFIRM 4
#define DHCP6_RENEW 5
#define DHCP6_REBIND 6
#define DHCP6_REPLY 7
#define DHCP6_RELEASE 8
#define DHCP6_DECLINE 9
#define DHCP6_RECONFIGURE 10
#define DHCP6_INFORMATION_REQUEST 11
#define DHCP6_RELAY_FORW 12
#define DHCP6_RELAY_REPL 13

/* Header sizes: msg-type + transaction-id (RFC 8415 section 8); relay
 * messages: msg-type, hop-count, link-address, peer-address (section 9) */
#define DHCP6_HDR_LEN 4
#define DHCP6_RELAY_HDR_LEN 34
#define DHCP6_OPT_HDR_LEN 4 /* option-code, option-len (section 21.1) */

/* HOP_COUNT_LIMIT (RFC 8415 section 7.6): relays drop a Relay-Forward whose
 * hop-count reached it, so a genuine message nests at most this deep */
#define DHCP6_HOP_COUNT_LIMIT 8

/* Options (RFC 8415 section 21 unless stated) */
#define DHCP6_OPT_CLIENTID 1          /* 21.2 */
#define DHCP6_OPT_SERVERID 2          /* 21.3 */
#define DHCP6_OPT_IA_NA 3             /* 21.4 */
#define DHCP6_OPT_IA_TA 4             /* 21.5 */
#define DHCP6_OPT_IAADDR 5            /* 21.6 */
#define DHCP6_OPT_ORO 6               /* 21.7 option request */
#define DHCP6_OPT_PREFERENCE 7        /* 21.8 */
#define DHCP6_OPT_ELAPSED_TIME 8      /* 21.9 */
#define DHCP6_OPT_RELAY_MSG 9         /* 21.10 */
#define DHCP6_OPT_STATUS_CODE 13      /* 21.13 */
#define DHCP6_OPT_RAPID_COMMIT 14     /* 21.14 */
#define DHCP6_OPT_USER_CLASS 15       /* 21.15 */
#define DHCP6_OPT_VENDOR_CLASS 16     /* 21.16 */
#define DHCP6_OPT_VENDOR_OPTS 17      /* 21.17 */
#define DHCP6_OPT_INTERFACE_ID 18     /* 21.18 */
#define DHCP6_OPT_IA_PD 25            /* 21.21 */
#define DHCP6_OPT_BOOTFILE_URL 59     /* RFC 5970 section 3.1 */
#define DHCP6_OPT_BOOTFILE_PARAM 60   /* RFC 5970 section 3.2 */
#define DHCP6_OPT_CLIENT_ARCH 61      /* RFC 5970 section 3.3 */
#define DHCP6_OPT_NII 62              /* RFC 5970 section 3.4 */
#define DHCP6_OPT_CLIENT_LINKLAYER 79 /* RFC 6939 section 4 */

/* Status codes (RFC 8415 section 21.13) */
#define DHCP6_STATUS_SUCCESS 0
#define DHCP6_STATUS_UNSPEC_FAIL 1
#define DHCP6_STATUS_NO_ADDRS_AVAIL 2
#define DHCP6_STATUS_NO_BINDING 3
#define DHCP6_STATUS_NOT_ON_LINK 4
#define DHCP6_STATUS_USE_MULTICAST 5

/* DUID types (RFC 8415 section 11; DUID-UUID RFC 6355) */
#define DHCP6_DUID_LLT 1
#define DHCP6_DUID_EN 2
#define DHCP6_DUID_LL 3
#define DHCP6_DUID_UUID 4
#define DHCP6_DUID_MAX 130 /* 2 bytes of type + at most 128 (section 11.1) */
#define DHCP6_HWTYPE_ETHER 1 /* IANA ARP hardware type Ethernet */

/* Vendor class enterprise number the PXE/HTTP boot clients put in option
 * 16 (Intel's, 343: EDK2 PXEBC_DHCP6_ENTERPRISE_NUM, iPXE
 * DHCPV6_VENDOR_CLASS_PXE) */
#define DHCP6_ENTERPRISE_PXE 343u

#endif /* PXH_DHCP6_PROTO_H */
