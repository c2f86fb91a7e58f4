/*
 * What the demo's parts share: the console and the board state (demo.c), the network (eth.c)
 * and the web server (http.c). lwIP runs only in the main loop, never in an interrupt handler.
 */
#ifndef DEMO_H
#define DEMO_H

#include <stdint.h>

#define REG32(a) (*(volatile uint32_t *)(a))
#define REG16(a) (*(volatile uint16_t *)(a))

/* demo.c */
void puts2(const char *s);
void putu(uint32_t v);
uint32_t sys_now(void); /* milliseconds since boot, from SysTick (lwIP's clock too) */
/* The board as the web page shows it: LED i (0-3: LD4 LD3 LD5 LD6) lit, B1 down, presses. */
int demo_led_on(unsigned i);
int demo_button_down(void);
uint32_t demo_presses(void);
extern const char *const led_names[4];

/* eth.c: the STM32 Ethernet MAC + LAN8720A PHY under lwIP. */
void net_init(void);
void net_poll(void);
void ETH_IRQHandler(void);

/* http.c: the web server on port 80. */
void http_init(void);
void http_poll(void);

/* client.c: the console's network commands (ping, wget); client_command returns 1 if the line
 * was one. */
int client_command(const char *line);
void client_poll(void);

#endif
