/*
 * SYSCFG_MEMRMP: what answers at address 0. These programs run from address 0 (flash through
 * its boot alias, common/cm4.ld), so the remapping code runs from flash's own address
 * (0x08000000 + its offset) with interrupts off, touching no constant at a 0-based address
 * until flash is back at 0; it only stores what it saw. Checked: SRAM1 at 0 (reads, writes,
 * and code executed there), system memory at 0 (the unique ID at 0x7A10), main flash again.
 */
#include "stm32f4.h"

#define MEMRMP SYSCFG_MEMRMP
#define UID0 REG32(0x1FFF7A10u)

static uint32_t probe[4];
static volatile uint32_t seen_sram, seen_sram_write, seen_exec, seen_sys, seen_flash;

typedef uint32_t (*fn_t)(void);

__attribute__((noinline)) static void remap_and_look(void) {
  uint32_t alias = (uint32_t)probe - 0x20000000u; /* probe[] seen through address 0 */
  MEMRMP = 3;                                      /* SRAM1 at 0 */
  __asm volatile("dsb\n\tisb" ::: "memory");
  seen_sram = *(volatile uint32_t *)alias;
  *(volatile uint32_t *)(alias + 4) = 0x5EED5EEDu;
  seen_sram_write = probe[1];
  seen_exec = ((fn_t)((alias + 8) | 1u))(); /* movs r0, #42; bx lr, stored in probe[2] */
  MEMRMP = 1;                               /* system memory at 0 */
  __asm volatile("dsb\n\tisb" ::: "memory");
  seen_sys = *(volatile uint32_t *)0x7A10u;
  MEMRMP = 0; /* main flash again */
  __asm volatile("dsb\n\tisb" ::: "memory");
  uint32_t reset_vector = 4u;
  __asm volatile("" : "+r"(reset_vector)); /* an address, not a null pointer, to the compiler */
  seen_flash = *(volatile uint32_t *)reset_vector;
}

int main(void) {
  RCC_APB2ENR |= 1u << 14; /* SYSCFGEN */
  check_eq("MEMRMP resets to main flash", MEMRMP & 3u, 0);
  probe[0] = 0xC0FFEE11u;
  probe[2] = 0x4770202Au; /* movs r0, #42 ; bx lr */
  __asm volatile("cpsid i\n\tdsb" ::: "memory");
  /* Call the flash copy of remap_and_look, at 0x08000000 + its 0-based address. */
  ((void (*)(void))((uint32_t)remap_and_look | 0x08000000u))();
  __asm volatile("cpsie i" ::: "memory");
  check_eq("SRAM1 at 0: reads", seen_sram, 0xC0FFEE11u);
  check_eq("SRAM1 at 0: writes reach SRAM1", seen_sram_write, 0x5EED5EEDu);
  check_eq("SRAM1 at 0: code runs there", seen_exec, 42);
  check_eq("system memory at 0: the unique ID", seen_sys, UID0);
  check_eq("main flash at 0 again: reset vector", seen_flash, REG32(0x08000004u));
  check_eq("MEMRMP reads back", MEMRMP & 3u, 0);
  return periph_finish();
}
