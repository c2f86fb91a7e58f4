/*
 * The demo's Ethernet: the STM32F407's MAC and DMA (RM0090 section 33) talking RMII to the
 * STM32F4DIS-BB baseboard's LAN8720A PHY at MDIO address 0, as an lwIP netif.
 *  - clocks: SYSCFG_PMC.MII_RMII_SEL is set before the ETHMAC clocks are enabled (RM0090 9.2.8:
 *    the selection must be made while the MAC is in reset or before its clocks run), then the
 *    MAC is pulsed through RCC_AHB1RSTR and its DMA reset with DMABMR.SR;
 *  - pins: the baseboard's RMII wiring, alternate function 11 (below);
 *  - PHY bring-up is a state machine run from the main loop, never a blocking wait: soft reset,
 *    auto-negotiation, then link and speed/duplex from register 31 into MACCR.FES/DM. Every
 *    second the link is checked again; a lost link brings the netif down and up again later;
 *  - descriptor rings (normal descriptors, ring mode) of 4 receive and 4 transmit 1524-byte
 *    buffers in SRAM. A frame received raises the ETH interrupt (IRQ 61), whose handler only
 *    acknowledges it: the interrupt wakes the main loop from WFI and the loop hands the frames
 *    to lwIP. Transmission copies lwIP's pbuf chain into the next free buffer;
 *  - addressing: DHCP, or 10.0.2.15/24 with gateway 10.0.2.2 if no lease comes within 3 s
 *    (f4emu's user-mode network leases exactly that address).
 */
#include "demo.h"

#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define RCC_AHB1ENR REG32(0x40023830)
#define RCC_AHB1RSTR REG32(0x40023810)
#define SYSCFG_PMC REG32(0x40013804)
#define NVIC_ISER1 REG32(0xE000E104)
#define UID_BASE 0x1FFF7A10u

#define ETH 0x40028000u
#define ETH_MACCR REG32(ETH + 0x0000)
#define ETH_MACFFR REG32(ETH + 0x0004)
#define ETH_MACMIIAR REG32(ETH + 0x0010)
#define ETH_MACMIIDR REG32(ETH + 0x0014)
#define ETH_MACA0HR REG32(ETH + 0x0040)
#define ETH_MACA0LR REG32(ETH + 0x0044)
#define ETH_DMABMR REG32(ETH + 0x1000)
#define ETH_DMATPDR REG32(ETH + 0x1004)
#define ETH_DMARPDR REG32(ETH + 0x1008)
#define ETH_DMARDLAR REG32(ETH + 0x100C)
#define ETH_DMATDLAR REG32(ETH + 0x1010)
#define ETH_DMASR REG32(ETH + 0x1014)
#define ETH_DMAOMR REG32(ETH + 0x1018)
#define ETH_DMAIER REG32(ETH + 0x101C)

/* MACCR */
#define MACCR_FES (1u << 14)
#define MACCR_DM (1u << 11)
#define MACCR_TE (1u << 3)
#define MACCR_RE (1u << 2)
/* MACMIIAR: PA 15:11, MR 10:6, CR 4:2 (0b100: HCLK 150-168 MHz, MDC = HCLK/102), MW, MB */
#define MIIAR_CR_DIV102 (4u << 2)
#define MIIAR_MW (1u << 1)
#define MIIAR_MB (1u << 0)
/* DMABMR */
#define DMABMR_SR (1u << 0)
#define DMABMR_AAB (1u << 25)
#define DMABMR_FB (1u << 16)
#define DMABMR_PBL(n) ((uint32_t)(n) << 8)
/* DMAOMR */
#define DMAOMR_RSF (1u << 25)
#define DMAOMR_TSF (1u << 21)
#define DMAOMR_ST (1u << 13)
#define DMAOMR_SR (1u << 1)
/* DMASR / DMAIER */
#define DMA_NIS (1u << 16)
#define DMA_RBUS (1u << 7)
#define DMA_RS (1u << 6)
#define DMA_TBUS (1u << 2)
/* Descriptors (normal format). */
#define DES0_OWN (1u << 31)
#define TDES0_LS (1u << 29)
#define TDES0_FS (1u << 28)
#define TDES0_TER (1u << 21)
#define RDES0_ES (1u << 15)
#define RDES0_FS (1u << 9)
#define RDES0_LS (1u << 8)
#define RDES1_RER (1u << 15)

/* The LAN8720A (datasheet DS00002165B, section 4.2) at the baseboard's PHYAD strap. */
#define PHY_ADDRESS 0
#define PHY_BMCR 0
#define PHY_BMSR 1
#define PHY_ID1 2
#define PHY_ID2 3
#define PHY_PSCSR 31
#define BMCR_RESET (1u << 15)
#define BMCR_AN_ENABLE (1u << 12)
#define BMCR_AN_RESTART (1u << 9)
#define BMSR_AN_COMPLETE (1u << 5)
#define BMSR_LINK (1u << 2)
#define PSCSR_100 (1u << 3)
#define PSCSR_FULL_DUPLEX (1u << 4)

#define RX_DESCS 4
#define TX_DESCS 4
#define BUF_SIZE 1524 /* a 1518-byte frame and its FCS, rounded to words */
#define DHCP_WAIT_MS 3000
#define LINK_CHECK_MS 1000

struct eth_desc {
  volatile uint32_t status; /* TDES0 / RDES0 */
  volatile uint32_t control; /* TDES1 / RDES1: buffer sizes */
  volatile uint32_t buf1;
  volatile uint32_t buf2; /* unused in ring mode with one buffer */
};

static struct eth_desc rx_desc[RX_DESCS] __attribute__((aligned(4)));
static struct eth_desc tx_desc[TX_DESCS] __attribute__((aligned(4)));
static uint8_t rx_buf[RX_DESCS][BUF_SIZE] __attribute__((aligned(4)));
static uint8_t tx_buf[TX_DESCS][BUF_SIZE] __attribute__((aligned(4)));
static unsigned rx_next, tx_next;

static struct netif eth_netif;

enum phy_state { PHY_ABSENT, PHY_RESETTING, PHY_NEGOTIATING, PHY_LINK_UP };
static enum phy_state phy_state = PHY_ABSENT;
static uint32_t link_checked_at;
static uint32_t dhcp_started_at;
static int dhcp_running, static_address;
static uint32_t shown_address;

static volatile uint32_t eth_interrupts;

/* ---- MDIO (RM0090 33.4.4): 64 MDC cycles per transaction, about 40 us at HCLK/102 ---- */

static uint32_t mdio_read(unsigned reg) {
  ETH_MACMIIAR = (PHY_ADDRESS << 11) | (reg << 6) | MIIAR_CR_DIV102 | MIIAR_MB;
  while (ETH_MACMIIAR & MIIAR_MB) {
  }
  return ETH_MACMIIDR & 0xFFFFu;
}

static void mdio_write(unsigned reg, uint32_t value) {
  ETH_MACMIIDR = value;
  ETH_MACMIIAR = (PHY_ADDRESS << 11) | (reg << 6) | MIIAR_CR_DIV102 | MIIAR_MW | MIIAR_MB;
  while (ETH_MACMIIAR & MIIAR_MB) {
  }
}

/* ---- pins ---- */

static void gpio_af11(uint32_t port, unsigned pin) {
  REG32(port + 0x00) = (REG32(port + 0x00) & ~(3u << (2 * pin))) | (2u << (2 * pin)); /* AF */
  REG32(port + 0x08) |= 3u << (2 * pin); /* very high speed */
  volatile uint32_t *afr = &REG32(port + (pin < 8 ? 0x20 : 0x24));
  unsigned shift = 4 * (pin & 7);
  *afr = (*afr & ~(0xFu << shift)) | (11u << shift);
}

/*
 * The STM32F4DIS-BB baseboard's RMII wiring (as NuttX's stm32f4discovery board uses it):
 * REF_CLK PA1, MDIO PA2, CRS_DV PA7, TX_EN PB11, TXD0 PB12, TXD1 PB13, MDC PC1, RXD0 PC4,
 * RXD1 PC5. PA2 is also the demo console's USART2 TX: the console is the demo's first duty, so
 * PA2 stays USART2_TX (AF7) and is NOT switched to ETH_MDIO. On a real board with the baseboard
 * the data path works but MDIO does not reach the PHY, and the driver below finds no PHY; moving
 * the console to the baseboard's serial port (USART6, PC6/PC7) would free PA2 for MDIO. f4emu
 * routes the MAC's MDIO to the PHY whatever the pin multiplexing says.
 */
static void eth_pins(void) {
  RCC_AHB1ENR |= (1u << 0) | (1u << 1) | (1u << 2); /* GPIOA, GPIOB, GPIOC */
  gpio_af11(0x40020000u, 1);
  gpio_af11(0x40020000u, 7);
  gpio_af11(0x40020400u, 11);
  gpio_af11(0x40020400u, 12);
  gpio_af11(0x40020400u, 13);
  gpio_af11(0x40020800u, 1);
  gpio_af11(0x40020800u, 4);
  gpio_af11(0x40020800u, 5);
}

/* ---- DMA rings and the lwIP netif ---- */

static void rings_init(void) {
  for (unsigned i = 0; i < RX_DESCS; i++) {
    rx_desc[i].control = BUF_SIZE | (i == RX_DESCS - 1 ? RDES1_RER : 0);
    rx_desc[i].buf1 = (uint32_t)rx_buf[i];
    rx_desc[i].buf2 = 0;
    rx_desc[i].status = DES0_OWN;
  }
  for (unsigned i = 0; i < TX_DESCS; i++) {
    tx_desc[i].status = i == TX_DESCS - 1 ? TDES0_TER : 0;
    tx_desc[i].control = 0;
    tx_desc[i].buf1 = (uint32_t)tx_buf[i];
    tx_desc[i].buf2 = 0;
  }
  rx_next = tx_next = 0;
  ETH_DMARDLAR = (uint32_t)rx_desc;
  ETH_DMATDLAR = (uint32_t)tx_desc;
}

static err_t eth_output(struct netif *netif, struct pbuf *p) {
  (void)netif;
  struct eth_desc *d = &tx_desc[tx_next];
  /* Wait for the DMA to hand the descriptor back: one frame's wire time at most. */
  uint32_t since = sys_now();
  while (d->status & DES0_OWN) {
    if (sys_now() - since > 20) return ERR_IF;
  }
  if (p->tot_len > BUF_SIZE) return ERR_BUF;
  uint16_t len = pbuf_copy_partial(p, tx_buf[tx_next], p->tot_len, 0);
  d->control = len;
  __asm volatile("dsb" ::: "memory");
  d->status = DES0_OWN | TDES0_FS | TDES0_LS | (tx_next == TX_DESCS - 1 ? TDES0_TER : 0);
  __asm volatile("dsb" ::: "memory");
  if (ETH_DMASR & DMA_TBUS) ETH_DMASR = DMA_TBUS;
  ETH_DMATPDR = 0; /* transmit poll demand */
  tx_next = (tx_next + 1) % TX_DESCS;
  return ERR_OK;
}

/* Hands every frame the DMA finished to lwIP and gives the descriptors back. */
static void eth_receive(void) {
  int handed_back = 0;
  for (;;) {
    struct eth_desc *d = &rx_desc[rx_next];
    uint32_t status = d->status;
    if (status & DES0_OWN) break;
    if ((status & (RDES0_FS | RDES0_LS)) == (RDES0_FS | RDES0_LS) && !(status & RDES0_ES)) {
      uint32_t len = ((status >> 16) & 0x3FFFu) - 4; /* FL counts the FCS */
      struct pbuf *p = len <= BUF_SIZE ? pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL) : NULL;
      if (p) {
        pbuf_take(p, rx_buf[rx_next], (u16_t)len);
        if (eth_netif.input(p, &eth_netif) != ERR_OK) pbuf_free(p);
      }
    }
    d->status = DES0_OWN;
    rx_next = (rx_next + 1) % RX_DESCS;
    handed_back = 1;
  }
  if (handed_back || (ETH_DMASR & DMA_RBUS)) {
    ETH_DMASR = DMA_RBUS;
    ETH_DMARPDR = 0; /* receive poll demand: resume if the ring had run dry */
  }
}

/* ETH global interrupt (IRQ 61): acknowledge; the main loop does the work. */
void ETH_IRQHandler(void) {
  uint32_t status = ETH_DMASR;
  ETH_DMASR = status & 0x1FFFFu; /* the W1C status bits and both summaries */
  eth_interrupts++;
}

static err_t eth_netif_init(struct netif *netif) {
  uint32_t uid = REG32(UID_BASE) ^ REG32(UID_BASE + 4) ^ REG32(UID_BASE + 8);
  /* A locally administered unicast address: 02:F4:DE and three bytes of the chip's unique ID. */
  const uint8_t mac[6] = {0x02, 0xF4, 0xDE, (uint8_t)(uid >> 16), (uint8_t)(uid >> 8), (uint8_t)uid};
  for (int i = 0; i < 6; i++) netif->hwaddr[i] = mac[i];
  netif->hwaddr_len = 6;
  netif->mtu = 1500;
  netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  netif->name[0] = 'e';
  netif->name[1] = 'n';
  netif->output = etharp_output;
  netif->linkoutput = eth_output;
  netif->hostname = "f4emu-demo";
  ETH_MACA0HR = ((uint32_t)mac[5] << 8) | mac[4];
  ETH_MACA0LR = ((uint32_t)mac[3] << 24) | ((uint32_t)mac[2] << 16) | ((uint32_t)mac[1] << 8) | mac[0];
  return ERR_OK;
}

/* ---- the PHY, from the main loop ---- */

static void phy_link_up(void) {
  uint32_t pscsr = mdio_read(PHY_PSCSR);
  uint32_t maccr = ETH_MACCR & ~(MACCR_FES | MACCR_DM);
  if (pscsr & PSCSR_100) maccr |= MACCR_FES;
  if (pscsr & PSCSR_FULL_DUPLEX) maccr |= MACCR_DM;
  ETH_MACCR = maccr | MACCR_TE | MACCR_RE;
  ETH_DMAOMR |= DMAOMR_ST | DMAOMR_SR;
  phy_state = PHY_LINK_UP;
  netif_set_link_up(&eth_netif);
  if (!dhcp_running && !static_address) {
    dhcp_running = 1;
    dhcp_started_at = sys_now();
    dhcp_start(&eth_netif);
  }
}

static void phy_poll(uint32_t now) {
  switch (phy_state) {
  case PHY_ABSENT:
    break;
  case PHY_RESETTING:
    if (!(mdio_read(PHY_BMCR) & BMCR_RESET)) {
      mdio_write(PHY_BMCR, BMCR_AN_ENABLE | BMCR_AN_RESTART);
      phy_state = PHY_NEGOTIATING;
    }
    break;
  case PHY_NEGOTIATING: {
    uint32_t bmsr = mdio_read(PHY_BMSR);
    if ((bmsr & (BMSR_LINK | BMSR_AN_COMPLETE)) == (BMSR_LINK | BMSR_AN_COMPLETE)) {
      link_checked_at = now;
      phy_link_up();
    }
    break;
  }
  case PHY_LINK_UP:
    if (now - link_checked_at >= LINK_CHECK_MS) {
      link_checked_at = now;
      /* BMSR's link bit latches low: one read says whether the link failed since the last. */
      if (!(mdio_read(PHY_BMSR) & BMSR_LINK)) {
        netif_set_link_down(&eth_netif);
        phy_state = PHY_NEGOTIATING; /* the LAN8720A restarts auto-negotiation by itself */
        puts2("net: link down\r\n");
      }
    }
    break;
  }
}

/* ---- addressing ---- */

static void show_address(void) {
  uint32_t addr = ip4_addr_get_u32(netif_ip4_addr(&eth_netif));
  if (addr == 0 || addr == shown_address) return;
  shown_address = addr;
  char text[16];
  puts2("net: ");
  puts2(ip4addr_ntoa_r(netif_ip4_addr(&eth_netif), text, sizeof text));
  puts2(static_address ? " (static: no DHCP lease)" : " (DHCP)");
  puts2(", gateway ");
  puts2(ip4addr_ntoa_r(netif_ip4_gw(&eth_netif), text, sizeof text));
  puts2("; web server on port 80 (f4emu --net user,hostfwd=tcp:127.0.0.1:8080-:80 "
        "serves it at http://127.0.0.1:8080)\r\n");
}

static void dhcp_fallback(uint32_t now) {
  if (!dhcp_running || dhcp_supplied_address(&eth_netif)) return;
  if (now - dhcp_started_at < DHCP_WAIT_MS) return;
  dhcp_release_and_stop(&eth_netif);
  dhcp_running = 0;
  static_address = 1;
  ip4_addr_t ip, mask, gw;
  IP4_ADDR(&ip, 10, 0, 2, 15);
  IP4_ADDR(&mask, 255, 255, 255, 0);
  IP4_ADDR(&gw, 10, 0, 2, 2);
  netif_set_addr(&eth_netif, &ip, &mask, &gw);
}

/* ---- entry points ---- */

void net_init(void) {
  SYSCFG_PMC |= 1u << 23; /* MII_RMII_SEL: RMII, before the MAC's clocks run */
  eth_pins();
  RCC_AHB1ENR |= (1u << 25) | (1u << 26) | (1u << 27); /* ETHMAC, ETHMACTX, ETHMACRX */
  RCC_AHB1RSTR |= 1u << 25;
  RCC_AHB1RSTR &= ~(1u << 25);
  ETH_DMABMR |= DMABMR_SR;
  while (ETH_DMABMR & DMABMR_SR) {
  }
  ETH_DMABMR = DMABMR_AAB | DMABMR_FB | DMABMR_PBL(32);
  ETH_DMAOMR = DMAOMR_RSF | DMAOMR_TSF;
  ETH_MACCR = MACCR_FES | MACCR_DM;
  ETH_MACFFR = 0; /* our unicast address (perfect filter) and broadcast */
  rings_init();
  ETH_DMAIER = DMA_NIS | DMA_RS;
  NVIC_ISER1 = 1u << (61 - 32);

  lwip_init();
  netif_add(&eth_netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, eth_netif_init,
            ethernet_input);
  netif_set_default(&eth_netif);
  netif_set_up(&eth_netif);
  http_init();

  /* A PHY answers with its identifier; 0xFFFF is the pulled-up MDIO line of an empty address. */
  uint32_t id1 = mdio_read(PHY_ID1);
  if (id1 == 0xFFFFu || id1 == 0) {
    phy_state = PHY_ABSENT;
    puts2("  net: no Ethernet PHY answers at MDIO address 0\r\n");
    return;
  }
  uint32_t id2 = mdio_read(PHY_ID2);
  puts2("  net: PHY ");
  puts2(id1 == 0x0007u && (id2 & 0xFFF0u) == 0xC0F0u ? "LAN8720A" : "(unknown)");
  puts2(" at MDIO address 0, RMII; lwIP " LWIP_VERSION_STRING
        " asks DHCP for an address once the link is up\r\n");
  mdio_write(PHY_BMCR, BMCR_RESET);
  phy_state = PHY_RESETTING;
}

void net_poll(void) {
  uint32_t now = sys_now();
  phy_poll(now);
  if (phy_state == PHY_ABSENT) return;
  eth_receive();
  sys_check_timeouts();
  dhcp_fallback(now);
  http_poll();
  show_address();
}
