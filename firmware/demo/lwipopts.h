/*
 * lwIP configuration of the board demo: NO_SYS (no RTOS, the raw API from the main loop only;
 * interrupt handlers never call lwIP), IPv4 with ARP, ICMP, a DHCP client, TCP for the web
 * server and the console's wget, raw IP for its ping. Memory is sized for a handful of
 * concurrent HTTP connections in the 128 KB SRAM.
 */
#ifndef DEMO_LWIPOPTS_H
#define DEMO_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define IP_REASSEMBLY 0
#define IP_FRAG 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_STATS 0
#define LWIP_NOASSERT_ON_ERROR 0

/* Memory: the heap holds copied TCP data and headers; the pool holds received frames. */
#define MEM_ALIGNMENT 4
#define MEM_SIZE (20 * 1024)
#define MEMP_NUM_PBUF 32
#define MEMP_NUM_TCP_PCB 16
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG 48
#define MEMP_NUM_UDP_PCB 2
#define PBUF_POOL_SIZE 16
#define PBUF_POOL_BUFSIZE 1536

/* TCP: full-size segments, a few in flight each way. */
#define TCP_MSS 1460
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (4 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_KEEPALIVE 0

/* Checksums in software both ways (the MAC's offload is left off). */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1

#endif
