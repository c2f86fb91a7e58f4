/*
 * lwIP's port header for the board demo (bare metal, GCC, Cortex-M4 little-endian). Diagnostics
 * are off; an assertion prints its message on the console and stops (demo.c's demo_lwip_assert).
 * Randomness (DHCP transaction ids, TCP initial sequence numbers and local ports) comes from
 * demo.c's demo_rand().
 */
#ifndef DEMO_ARCH_CC_H
#define DEMO_ARCH_CC_H

#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_NO_CTYPE_H 0

void demo_lwip_assert(const char *message);
uint32_t demo_rand(void);

#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x) demo_lwip_assert(x)
#define LWIP_RAND() demo_rand()

#endif
