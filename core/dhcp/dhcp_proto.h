/* DHCP/BOOTP/PXE wire constants used by the proxyDHCP responder. */
#ifndef PXH_DHCP_PROTO_H
#define PXH_DHCP_PROTO_H

/* BOOTP fixed header (RFC 951, RFC 2131 section 2) */
#define DHCP_OFF_OP 0         /* op: 1 request, 2 reply (RFC 2131) */
#define DHCP_OFF_HTYPE 1      /* hardware type (RFC 2131) */
#define DHCP_OFF_HLEN 2       /* hardware address length (RFC 2131) */
#define DHCP_OFF_HOPS 3       /* relay hops (RFC 2131) */
#define DHCP_OFF_XID 4        /* transaction id (RFC 2131) */
#define DHCP_OFF_SECS 8       /* seconds since start (RFC 2131) */
#define DHCP_OFF_FLAGS 10     /* flags, 0x8000 = broadcast (RFC 2131) */
#define DHCP_OFF_CIADDR 12    /* client address (RFC 2131) */
#define DHCP_OFF_YIADDR 16    /* "your" address (RFC 2131) */
#define DHCP_OFF_SIADDR 20    /* next server (RFC 2131) */
#define DHCP_OFF_GIADDR 24    /* relay agent address (RFC 2131) */
#define DHCP_OFF_CHADDR 28    /* client hardware address, 16 bytes */
#define DHCP_OFF_SNAME 44     /* server host name, 64 bytes (RFC 2131) */
#define DHCP_OFF_FILE 108     /* boot file name, 128 bytes (RFC 2131) */
#define DHCP_OFF_COOKIE 236   /* magic cookie 99.130.83.99 (RFC 2131 3) */
#define DHCP_OFF_OPTIONS 240  /* options field (RFC 2131 section 4.1) */
#define DHCP_CHADDR_LEN 16
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_LEN 128
#define DHCP_MAGIC 0x63825363u /* RFC 2131 section 3 */
#define DHCP_MIN_REPLY 300     /* BOOTP minimum message size (RFC 951) */
#define DHCP_MAX_PKT 4096      /* receive buffer: larger requests dropped */

#define BOOTREQUEST 1 /* RFC 951 */
#define BOOTREPLY 2   /* RFC 951 */
#define DHCP_HTYPE_ETHER 1 /* RFC 1700 hardware type Ethernet */
#define DHCP_FLAG_BROADCAST 0x8000 /* RFC 2131 section 2 figure 2 */

/* Options (RFC 2132 unless stated) */
#define DHCP_OPT_PAD 0              /* RFC 2132 3.1 */
#define DHCP_OPT_VENDOR 43          /* vendor specific (RFC 2132 8.4) */
#define DHCP_OPT_MAX_SIZE 57        /* maximum message size (RFC 2132 9.10) */
#define DHCP_OPT_OVERLOAD 52        /* option overload (RFC 2132 9.3) */
#define DHCP_OPT_MSG_TYPE 53        /* message type (RFC 2132 9.6) */
#define DHCP_OPT_SERVER_ID 54       /* server identifier (RFC 2132 9.7) */
#define DHCP_OPT_PARAM_LIST 55      /* parameter request list (RFC 2132 9.8) */
#define DHCP_OPT_VENDOR_CLASS 60    /* vendor class id (RFC 2132 9.13) */
#define DHCP_OPT_CLIENT_ID 61       /* client identifier (RFC 2132 9.14) */
#define DHCP_OPT_TFTP_SERVER 66     /* TFTP server name (RFC 2132 9.4) */
#define DHCP_OPT_BOOTFILE 67        /* boot file name (RFC 2132 9.5) */
#define DHCP_OPT_USER_CLASS 77      /* user class (RFC 3004) */
#define DHCP_OPT_RELAY_AGENT 82     /* relay agent information (RFC 3046) */
#define DHCP_OPT_CLIENT_ARCH 93     /* client system architecture (RFC 4578 2.1) */
#define DHCP_OPT_CLIENT_NDI 94      /* network interface id (RFC 4578 2.2) */
#define DHCP_OPT_CLIENT_UUID 97     /* client machine id (RFC 4578 2.3) */
#define DHCP_OPT_IPXE_ENCAP 175     /* iPXE encapsulated options (iPXE, IANA tentative) */
#define DHCP_OPT_END 255            /* RFC 2132 3.2 */

/* Option 52 values (RFC 2132 9.3) */
#define DHCP_OVERLOAD_FILE 1
#define DHCP_OVERLOAD_SNAME 2

/* Message types (RFC 2132 9.6) */
#define DHCPDISCOVER 1
#define DHCPOFFER 2
#define DHCPREQUEST 3
#define DHCPDECLINE 4
#define DHCPACK 5
#define DHCPNAK 6
#define DHCPRELEASE 7
#define DHCPINFORM 8

/* PXE vendor options inside option 43 (PXE 2.1 specification, table 2-1) */
#define PXE_VENDOR_DISCOVERY_CONTROL 6 /* bit 3 (0x08): boot file directly */
#define PXE_VENDOR_BOOT_ITEM 71        /* boot server type + layer (4 bytes) */
#define PXE_DISCOVERY_USE_FILE 0x08    /* PXE 2.1: use the boot file name */

/* Option 60 prefixes (PXE 2.1; UEFI 2.5 HTTP boot) */
#define PXE_VENDOR_PXECLIENT "PXEClient"
#define PXE_VENDOR_HTTPCLIENT "HTTPClient"

/* Ports (RFC 2131 4.1, PXE 2.1) */
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define PXE_BOOT_SERVER_PORT 4011

#endif /* PXH_DHCP_PROTO_H */
