/*
 * The MPU (PMSAv7, ARMv7-M ARM B3.5) as firmware sees it: its registers (TYPE, RNR, RBAR with
 * VALID, the RBAR/RASR aliases, read-back masks), every AP encoding from privileged and
 * unprivileged thread mode (unprivileged through CONTROL.nPRIV, back through SVC), XN, sub-region
 * disable, overlapping regions, PRIVDEFENA on and off, HFNMIENA clear under FAULTMASK and in NMI,
 * LDRT in privileged code, and each MemManage fault: DACCVIOL with MMFAR, IACCVIOL, MSTKERR,
 * MUNSTKERR and MLSPERR (with escalation to HardFault where MemManage is disabled).
 *
 * Regions used throughout: 0 = code (0x00000000, 128 KB, read-only for all, executable),
 * 1 = SRAM (0x20000000, 128 KB, full access, XN); the checks put regions 2-7 over `arena` and
 * `stk`. Handlers that must do more than record a fault come from a copy of the vector table in
 * SRAM (VTOR). The firmware is built soft-float: FP instructions appear only in assembly.
 * Reserved or UNPREDICTABLE encodings (AP 0b100, SIZE below 4, misaligned bases) are left to
 * f4emu's unit tests (src/core/scs/mpu.test.ts).
 */
#include <stdio.h>
#include <string.h>

#include "testlib.h"

#define MPU_TYPE REG32(0xE000ED90)
#define MPU_CTRL REG32(0xE000ED94)
#define MPU_RNR REG32(0xE000ED98)
#define MPU_RBAR REG32(0xE000ED9C)
#define MPU_RASR REG32(0xE000EDA0)
#define MPU_RBAR_A(n) REG32(0xE000ED9C + 8 * (n))
#define MPU_RASR_A(n) REG32(0xE000EDA0 + 8 * (n))
#define SHPR2 REG32(0xE000ED1C)
#define FPCCR REG32(0xE000EF34)

#define CTRL_ENABLE 1u
#define CTRL_HFNMIENA 2u
#define CTRL_PRIVDEFENA 4u
#define RBAR_VALID 0x10u

/* AP encodings (B3.5.9): privileged / unprivileged access. */
#define AP_NONE 0u          /* none / none */
#define AP_PRIV_RW 1u       /* RW / none */
#define AP_PRIV_RW_USER_RO 2u /* RW / RO */
#define AP_FULL 3u          /* RW / RW */
#define AP_PRIV_RO 5u       /* RO / none */
#define AP_RO 6u            /* RO / RO */
#define AP_RO_ALT 7u        /* RO / RO */
#define XN 1u

#define RASR(size_log2, ap, xn, srd)                                                               \
  (((uint32_t)(xn) << 28) | ((uint32_t)(ap) << 24) | ((uint32_t)(srd) << 8) |                      \
   (((uint32_t)(size_log2)-1u) << 1) | 1u)

#define CFSR_DACCVIOL (1u << 1)
#define CFSR_MUNSTKERR (1u << 3)
#define CFSR_MSTKERR (1u << 4)
#define CFSR_MLSPERR (1u << 5)
#define CFSR_MMARVALID (1u << 7)
#define FPCCR_LSPACT 1u
#define ICSR_NMIPENDSET (1u << 31)

#define IRQ_STACKING 5

extern uint32_t __vectors[];

/* Test memory: regions 2-7 are placed over these. */
static volatile uint32_t arena[1024] __attribute__((aligned(4096)));
static volatile uint32_t stk[64] __attribute__((aligned(256)));
/* A copy of the vector table in SRAM, for handlers of our own. */
static uint32_t vtable[128] __attribute__((aligned(512)));

static void region(unsigned n, uint32_t base, unsigned size_log2, unsigned ap, unsigned xn,
                   unsigned srd) {
  MPU_RBAR = base | RBAR_VALID | n;
  MPU_RASR = RASR(size_log2, ap, xn, srd);
  dsb_isb();
}

static void region_off(unsigned n) {
  MPU_RNR = n;
  MPU_RASR = 0;
  dsb_isb();
}

static void mpu_ctrl(uint32_t v) {
  MPU_CTRL = v;
  dsb_isb();
}

/* ---- SVC: what the handler does is chosen by svc_op ---- */

enum { SVC_PRIVILEGED, SVC_TO_USER_PSP, SVC_FP_INSTRUCTION };
volatile uint32_t svc_op;

/*
 * SVC_PRIVILEGED: give thread mode its privilege back (the way out of unprivileged code).
 * SVC_TO_USER_PSP: return to unprivileged thread mode on PSP = r0, where the caller built a frame.
 * SVC_FP_INSTRUCTION: run one FP instruction (svc_fp_insn), then return.
 */
__attribute__((naked)) void SVC_Handler(void) {
  __asm volatile(".fpu fpv4-sp-d16\n\t"
                 "ldr r1, =svc_op\n\t"
                 "ldr r1, [r1]\n\t"
                 "cmp r1, #1\n\t"
                 "beq 1f\n\t"
                 "cmp r1, #2\n\t"
                 "beq 2f\n\t"
                 "mrs r1, control\n\t"
                 "bic r1, r1, #1\n\t"
                 "msr control, r1\n\t"
                 "bx lr\n\t"
                 "1:\n\t"
                 "msr psp, r0\n\t"
                 "mrs r1, control\n\t"
                 "orr r1, r1, #1\n\t"
                 "msr control, r1\n\t"
                 "mvn lr, #2\n\t" /* EXC_RETURN 0xFFFFFFFD */
                 "bx lr\n\t"
                 "2:\n\t"
                 ".global svc_fp_insn\n\t"
                 "svc_fp_insn:\n\t"
                 "vmov r1, s0\n\t"
                 "bx lr\n\t"
                 ".ltorg\n\t");
}
extern const uint16_t svc_fp_insn[];

/* ---- one access at a time, from privileged or unprivileged thread mode ---- */

enum access { READ, WRITE, EXEC, READ_T };
static volatile uint32_t probe_value;

/*
 * Makes one access and returns the CFSR of the fault it raised (0: none). Unprivileged probes
 * drop privilege with CONTROL.nPRIV and get it back through SVC. A fetch that faults returns to
 * the caller (RESUME_LR); a data access that faults is skipped.
 */
__attribute__((noinline)) static uint32_t probe(int unprivileged, enum access kind, uint32_t addr) {
  svc_op = SVC_PRIVILEGED;
  fault_arm(kind == EXEC ? RESUME_LR : RESUME_SKIP);
  if (unprivileged) set_control(get_control() | 1u);
  switch (kind) {
  case READ: {
    uint32_t v = 0;
    __asm volatile("ldr %0, [%1]" : "+r"(v) : "r"(addr) : "memory");
    probe_value = v;
    break;
  }
  case READ_T: {
    uint32_t v = 0;
    __asm volatile("ldrt %0, [%1]" : "+r"(v) : "r"(addr) : "memory");
    probe_value = v;
    break;
  }
  case WRITE:
    __asm volatile("str %0, [%1]" ::"r"(0xC0DEC0DEu), "r"(addr) : "memory");
    break;
  case EXEC:
    probe_value = ((uint32_t(*)(void))(addr | 1u))();
    break;
  }
  if (unprivileged) __asm volatile("svc #0" ::: "memory");
  fault_expect = 0;
  return fault.count ? fault.cfsr : 0;
}

static void check_access(const char *what, int unprivileged, enum access kind, uint32_t addr,
                         uint32_t want_cfsr) {
  char name[128];
  static const char *const kinds[] = {"read", "write", "exec", "ldrt"};
  snprintf(name, sizeof name, "%s: %s %s", what, unprivileged ? "unprivileged" : "privileged",
           kinds[kind]);
  check_eq(name, probe(unprivileged, kind, addr), want_cfsr);
}

/* ---- handlers of our own for the stacking faults (installed in vtable) ---- */

enum mm_action { MM_CLEAR_IRQ, MM_RESTORE_PRIVILEGE, MM_CLEAR_LSPACT };
static volatile enum mm_action mm_action;
static volatile uint32_t mm_count, mm_ipsr, mm_cfsr, mm_hfsr, mm_exc_return, mm_sp, mm_pc,
    mm_fpccr, mm_irq_pending;

__attribute__((used)) static void mm_record(uint32_t exc_return, uint32_t *msp, uint32_t *psp) {
  uint32_t *frame = (exc_return & 4) ? psp : msp;
  mm_count++;
  mm_ipsr = get_ipsr();
  mm_cfsr = CFSR;
  mm_hfsr = HFSR;
  CFSR = mm_cfsr;
  HFSR = mm_hfsr;
  mm_exc_return = exc_return;
  mm_sp = (uint32_t)frame;
  mm_fpccr = FPCCR;
  mm_irq_pending = NVIC_ISPR(0) & (1u << IRQ_STACKING);
  switch (mm_action) {
  case MM_CLEAR_IRQ: /* the frame was not written: the interrupt must not be taken on it again */
    NVIC_ICPR(0) = 1u << IRQ_STACKING;
    break;
  case MM_RESTORE_PRIVILEGE: /* so that unstacking succeeds on the way back */
    set_control(get_control() & ~1u);
    break;
  case MM_CLEAR_LSPACT: /* the FP instruction then runs without preserving the state */
    mm_pc = msp[6];
    FPCCR &= ~FPCCR_LSPACT;
    break;
  }
}

__attribute__((naked)) static void mm_entry(void) {
  __asm volatile("mov r0, lr\n\t"
                 "mrs r1, msp\n\t"
                 "mrs r2, psp\n\t"
                 "b mm_record\n\t");
}

static void mm_arm(enum mm_action action) {
  mm_action = action;
  mm_count = mm_ipsr = mm_cfsr = mm_hfsr = mm_exc_return = mm_sp = mm_pc = 0;
  mm_fpccr = mm_irq_pending = 0;
  vtable[EXC_MEMMANAGE] = (uint32_t)mm_entry;
  vtable[EXC_HARDFAULT] = (uint32_t)mm_entry;
  dsb_isb();
}

static void mm_disarm(void) {
  vtable[EXC_MEMMANAGE] = __vectors[EXC_MEMMANAGE];
  vtable[EXC_HARDFAULT] = __vectors[EXC_HARDFAULT];
  dsb_isb();
}

static volatile uint32_t stacking_irq_runs;
static void stacking_irq(void) { stacking_irq_runs++; }

/*
 * MSTKERR: privileged thread mode on PSP = r0, whose stack the MPU makes read-only; pending an
 * interrupt makes the core stack onto it. The MemManage handler returns through the frame the
 * caller left there (its PC is mstk_landing), and mstk_landing goes back to MSP.
 */
__attribute__((naked)) static void mstk_probe(uint32_t psp) {
  (void)psp;
  __asm volatile("push {r4, lr}\n\t"
                 "msr psp, r0\n\t"
                 "movs r1, #2\n\t"
                 "msr control, r1\n\t"
                 "isb\n\t"
                 "ldr r1, =0xE000EF00\n\t"
                 "movs r2, %0\n\t"
                 "str r2, [r1]\n\t"
                 "dsb\n\t"
                 "isb\n\t"
                 "b .\n\t"
                 ".global mstk_landing\n\t"
                 ".thumb_func\n\t"
                 "mstk_landing:\n\t"
                 "movs r0, #0\n\t"
                 "msr control, r0\n\t"
                 "isb\n\t"
                 "pop {r4, pc}\n\t"
                 ".ltorg\n\t" ::"i"(IRQ_STACKING));
}
extern void mstk_landing(void);

/*
 * MUNSTKERR: SVC returns to unprivileged thread mode on PSP = r0, a frame in memory only
 * privileged code may read. The MemManage handler gives the privilege back, so the same return
 * then unstacks, to munstk_landing, which goes back to MSP and drops the SVC frame left there.
 */
__attribute__((naked)) static void munstk_probe(uint32_t psp) {
  (void)psp;
  __asm volatile("push {r4, lr}\n\t"
                 "mov r4, sp\n\t"
                 "svc #0\n\t"
                 "b .\n\t"
                 ".global munstk_landing\n\t"
                 ".thumb_func\n\t"
                 "munstk_landing:\n\t"
                 "movs r0, #0\n\t"
                 "msr control, r0\n\t"
                 "isb\n\t"
                 "mov sp, r4\n\t"
                 "pop {r4, pc}\n\t");
}
extern void munstk_landing(void);

/*
 * MLSPERR: unprivileged thread mode on PSP = r0 with an FP context; SVC stacks an extended frame
 * lazily (FPCCR.LSPEN), and the handler's first FP instruction preserves S0-S15 into the frame
 * with the thread's privilege. A second SVC gives the privilege back.
 */
__attribute__((naked)) static void mlsp_probe(uint32_t psp) {
  (void)psp;
  __asm volatile(".fpu fpv4-sp-d16\n\t"
                 "push {r4, lr}\n\t"
                 "msr psp, r0\n\t"
                 "movs r1, #3\n\t"
                 "msr control, r1\n\t"
                 "isb\n\t"
                 "vmov s0, r4\n\t"
                 "ldr r1, =svc_op\n\t"
                 "movs r2, #2\n\t"
                 "str r2, [r1]\n\t"
                 "svc #0\n\t"
                 "ldr r1, =svc_op\n\t"
                 "movs r2, #0\n\t"
                 "str r2, [r1]\n\t"
                 "svc #0\n\t"
                 "movs r0, #0\n\t"
                 "msr control, r0\n\t"
                 "isb\n\t"
                 "pop {r4, pc}\n\t"
                 ".ltorg\n\t");
}

static volatile uint32_t nmi_value, nmi_runs;
void NMI_Handler(void) {
  nmi_runs++;
  nmi_value = arena[0];
}

/* A frame at `frame` that returns to `pc` in thread mode. */
static void build_frame(volatile uint32_t *frame, void (*pc)(void)) {
  for (int i = 0; i < 6; i++) frame[i] = 0x5A5A0000u + (uint32_t)i;
  frame[6] = (uint32_t)pc & ~1u;
  frame[7] = 0x01000000u;
}

static void registers(void) {
  check_eq("MPU_TYPE: 8 unified regions", MPU_TYPE, 0x800);
  check_eq("MPU_CTRL at reset", MPU_CTRL, 0);
  MPU_RNR = 3;
  check_eq("MPU_RNR reads back", MPU_RNR, 3);
  MPU_RBAR = 0x20001000u;
  check_eq("MPU_RBAR: ADDR and the region number", MPU_RBAR, 0x20001003u);
  MPU_RBAR = 0x20002000u | RBAR_VALID | 6;
  check_eq("MPU_RBAR with VALID writes MPU_RNR", MPU_RNR, 6);
  check_eq("MPU_RBAR with VALID: that region, VALID reads 0", MPU_RBAR, 0x20002006u);
  MPU_RNR = 3;
  check_eq("MPU_RBAR with VALID left region 3 alone", MPU_RBAR, 0x20001003u);
  MPU_RASR = 0xFFFFFFFFu & ~1u;
  check_eq("MPU_RASR keeps XN AP TEX S C B SRD SIZE", MPU_RASR, 0x173FFF3Eu);
  for (unsigned a = 1; a <= 3; a++) {
    MPU_RBAR_A(a) = (0x20010000u + a * 0x100u) | RBAR_VALID | (a + 3);
    MPU_RASR_A(a) = RASR(8, AP_FULL, 0, 0) & ~1u;
  }
  MPU_RNR = 5;
  check_eq("MPU_RBAR_A2 wrote region 5", MPU_RBAR_A(3), 0x20010205u);
  check_eq("MPU_RASR_A1 reads region 5", MPU_RASR_A(1), RASR(8, AP_FULL, 0, 0) & ~1u);
  MPU_CTRL = 0xFFFFFFF8u | CTRL_PRIVDEFENA;
  check_eq("MPU_CTRL keeps ENABLE HFNMIENA PRIVDEFENA", MPU_CTRL, CTRL_PRIVDEFENA);
  MPU_CTRL = 0;
  for (unsigned n = 0; n < 8; n++) region_off(n);
}

static void access_permissions(void) {
  static const struct {
    unsigned ap;
    uint32_t priv_read, priv_write, user_read, user_write;
  } table[] = {
      {AP_NONE, CFSR_DACCVIOL, CFSR_DACCVIOL, CFSR_DACCVIOL, CFSR_DACCVIOL},
      {AP_PRIV_RW, 0, 0, CFSR_DACCVIOL, CFSR_DACCVIOL},
      {AP_PRIV_RW_USER_RO, 0, 0, 0, CFSR_DACCVIOL},
      {AP_FULL, 0, 0, 0, 0},
      {AP_PRIV_RO, 0, CFSR_DACCVIOL, CFSR_DACCVIOL, CFSR_DACCVIOL},
      {AP_RO, 0, CFSR_DACCVIOL, 0, CFSR_DACCVIOL},
      {AP_RO_ALT, 0, CFSR_DACCVIOL, 0, CFSR_DACCVIOL},
  };
  uint32_t addr = (uint32_t)&arena[4];
  for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) {
    char what[32];
    uint32_t v = table[i].ap;
    snprintf(what, sizeof what, "AP %lu%lu%lu", (unsigned long)(v >> 2), (unsigned long)(v >> 1) & 1,
             (unsigned long)v & 1);
    region(2, (uint32_t)arena, 10, table[i].ap, XN, 0);
    uint32_t mm = CFSR_MMARVALID;
    check_access(what, 0, READ, addr, table[i].priv_read ? table[i].priv_read | mm : 0);
    check_access(what, 0, WRITE, addr, table[i].priv_write ? table[i].priv_write | mm : 0);
    check_access(what, 1, READ, addr, table[i].user_read ? table[i].user_read | mm : 0);
    check_access(what, 1, WRITE, addr, table[i].user_write ? table[i].user_write | mm : 0);
  }
  region_off(2);
}

static void data_fault_details(void) {
  uint32_t addr = (uint32_t)&arena[9];
  arena[9] = 0x11223344u;
  region(2, (uint32_t)arena, 10, AP_PRIV_RW, XN, 0);
  check_eq("DACCVIOL: CFSR", probe(1, READ, addr), CFSR_DACCVIOL | CFSR_MMARVALID);
  check_eq("DACCVIOL: MemManage taken", fault.exception, EXC_MEMMANAGE);
  check_eq("DACCVIOL: MMFAR is the address", fault.mmfar, addr);
  check_eq("DACCVIOL: the load did not complete", probe_value, 0);
  probe(1, WRITE, addr);
  check_eq("DACCVIOL: the store did not complete", arena[9], 0x11223344u);
  check_eq("privileged read of the same word", probe(0, READ, addr), 0);
  check_eq("privileged read: value", probe_value, 0x11223344u);
  check_access("LDRT in privileged code checks as unprivileged", 0, READ_T, addr,
               CFSR_DACCVIOL | CFSR_MMARVALID);
  region(2, (uint32_t)arena, 10, AP_FULL, XN, 0);
  check_access("LDRT where unprivileged code may read", 0, READ_T, addr, 0);
  check_eq("LDRT: value", probe_value, 0x11223344u);

  region(2, (uint32_t)arena, 10, AP_PRIV_RW, XN, 0);
  SHCSR &= ~SHCSR_MEMFAULTENA;
  check_eq("MemManage disabled: CFSR", probe(1, READ, addr), CFSR_DACCVIOL | CFSR_MMARVALID);
  check_eq("MemManage disabled: HardFault", fault.exception, EXC_HARDFAULT);
  check_eq("MemManage disabled: HFSR.FORCED", fault.hfsr, HFSR_FORCED);
  SHCSR |= SHCSR_MEMFAULTENA;
  region_off(2);
}

static void execute_never(void) {
  volatile uint16_t *code = (volatile uint16_t *)&arena[256];
  uint32_t addr = (uint32_t)code;
  code[0] = 0x202A; /* movs r0, #42 */
  code[1] = 0x4770; /* bx lr */
  dsb_isb();
  region(3, addr, 10, AP_FULL, 0, 0);
  check_access("executable region", 0, EXEC, addr, 0);
  check_eq("executable region: the code ran", probe_value, 42);
  check_access("executable region", 1, EXEC, addr, 0);
  region(3, addr, 10, AP_FULL, XN, 0);
  check_access("XN region", 0, EXEC, addr, CFSR_IACCVIOL);
  check_eq("XN: stacked PC is the target", fault.pc, addr);
  check_access("XN region", 1, EXEC, addr, CFSR_IACCVIOL);
  region(3, addr, 10, AP_PRIV_RW, 0, 0);
  check_access("no unprivileged read access", 1, EXEC, addr, CFSR_IACCVIOL);
  check_access("no unprivileged read access", 0, EXEC, addr, 0);
  region(3, addr, 10, AP_RO, 0, 0);
  check_access("read-only region", 1, EXEC, addr, 0);
  check_eq("read-only region: the code ran", probe_value, 42);
  /* Region 1 (SRAM) is XN: with region 3 gone the same code may not run. */
  region_off(3);
  check_access("SRAM region is XN", 0, EXEC, addr, CFSR_IACCVIOL);
}

static void subregions_and_overlap(void) {
  uint32_t base = (uint32_t)arena;
  uint32_t mm = CFSR_DACCVIOL | CFSR_MMARVALID;
  /* 2 KB, no access, sub-regions 1 and 2 (0x100-0x2FF) disabled: region 1 shows through. */
  region(2, base, 11, AP_NONE, XN, 0x06);
  check_access("SRD: sub-region 0", 1, READ, base + 0x0FC, mm);
  check_access("SRD: sub-region 3", 1, READ, base + 0x300, mm);
  check_access("SRD: sub-region 7", 1, READ, base + 0x7FC, mm);
  check_access("SRD: sub-region 1 disabled", 1, READ, base + 0x100, 0);
  check_access("SRD: sub-region 2 disabled", 1, READ, base + 0x2FC, 0);
  /*
   * Sub-region 3 again, after reads the disabled sub-regions let through in the same 1 KB:
   * QEMU 7.2 then lets the whole 1 KB through (it caches the access check per 1 KB page
   * without noting the sub-region's bounds), so a miss here is a SKIP under QEMU.
   */
  uint32_t again = probe(1, READ, base + 0x300);
  if (again == mm) check("SRD: sub-region 3 after the disabled ones: unprivileged read", 1);
  else
    skip("SRD: sub-region 3 after the disabled ones: unprivileged read",
         "no fault (QEMU 7.2 deviates here)");
  region_off(2);

  /* Overlap: the higher-numbered region wins. */
  region(2, base, 12, AP_FULL, XN, 0);
  region(3, base + 0x400, 10, AP_PRIV_RW, XN, 0);
  check_access("region 3 inside region 2", 1, READ, base + 0x400, mm);
  check_access("region 2 around region 3", 1, READ, base + 0x800, 0);
  region(3, base, 12, AP_FULL, XN, 0);
  region(2, base + 0x400, 10, AP_PRIV_RW, XN, 0);
  check_access("region 2 inside region 3", 1, READ, base + 0x400, 0);
  region_off(2);
  region_off(3);
}

static void background(void) {
  uint32_t outside = 0x00040000u; /* code memory past region 0 on both machines */
  uint32_t mm = CFSR_DACCVIOL | CFSR_MMARVALID;
  check_access("PRIVDEFENA: no region, default map", 0, READ, outside, 0);
  check_access("PRIVDEFENA: not for unprivileged code", 1, READ, outside, mm);
  mpu_ctrl(CTRL_ENABLE);
  check_access("no PRIVDEFENA: background fault", 0, READ, outside, mm);
  uint32_t mmfar = fault.mmfar;
  check_access("no PRIVDEFENA: regions still apply", 0, READ, (uint32_t)&arena[0], 0);
  mpu_ctrl(CTRL_ENABLE | CTRL_PRIVDEFENA);
  check_eq("no PRIVDEFENA: MMFAR", mmfar, outside);
}

static void hfnmiena(void) {
  arena[0] = 0xFEEDu;
  region(2, (uint32_t)arena, 10, AP_NONE, XN, 0);
  check_access("no access region", 0, READ, (uint32_t)&arena[0],
               CFSR_DACCVIOL | CFSR_MMARVALID);
  /* HFNMIENA clear: the MPU is off while FAULTMASK raises the priority to -1, and in NMI. */
  uint32_t v;
  __asm volatile("cpsid f\n\t"
                 "ldr %0, [%1]\n\t"
                 "cpsie f\n\t"
                 : "=r"(v)
                 : "r"(&arena[0])
                 : "memory");
  check_eq("FAULTMASK, HFNMIENA clear: the load is allowed", v, 0xFEEDu);
  ICSR = ICSR_NMIPENDSET;
  dsb_isb();
  check_eq("NMI ran", nmi_runs, 1);
  check_eq("NMI, HFNMIENA clear: the load is allowed", nmi_value, 0xFEEDu);
  region_off(2);
}

static void stacking(void) {
  uint32_t psp = (uint32_t)&stk[32];
  volatile uint32_t *frame = &stk[24];

  /* MSTKERR: taken instead of the interrupt, on the frame that could not be written. */
  irq_setup(IRQ_STACKING, 0x80, stacking_irq);
  build_frame(frame, mstk_landing);
  region(5, (uint32_t)stk, 8, AP_PRIV_RO, XN, 0);
  mm_arm(MM_CLEAR_IRQ);
  mstk_probe(psp);
  mm_disarm();
  check_eq("MSTKERR: one MemManage", mm_count, 1);
  check_eq("MSTKERR: MemManage taken", mm_ipsr, EXC_MEMMANAGE);
  check_eq("MSTKERR: CFSR (no MMFAR)", mm_cfsr, CFSR_MSTKERR);
  check_eq("MSTKERR: EXC_RETURN of the interrupted thread", mm_exc_return, EXC_RETURN_THREAD_PSP);
  check_eq("MSTKERR: SP moved to the frame", mm_sp, (uint32_t)frame);
  check_eq("MSTKERR: the interrupt still pending", mm_irq_pending, 1u << IRQ_STACKING);
  check_eq("MSTKERR: the interrupt handler did not run", stacking_irq_runs, 0);
  check_eq("MSTKERR: nothing written", frame[0], 0x5A5A0000u);

  /* ... and with MemManage disabled: HardFault, FORCED. */
  SHCSR &= ~SHCSR_MEMFAULTENA;
  mm_arm(MM_CLEAR_IRQ);
  mstk_probe(psp);
  mm_disarm();
  SHCSR |= SHCSR_MEMFAULTENA;
  check_eq("MSTKERR, MemManage disabled: one fault", mm_count, 1);
  check_eq("MSTKERR, MemManage disabled: HardFault", mm_ipsr, EXC_HARDFAULT);
  check_eq("MSTKERR, MemManage disabled: CFSR", mm_cfsr, CFSR_MSTKERR);
  check_eq("MSTKERR, MemManage disabled: HFSR.FORCED", mm_hfsr, HFSR_FORCED);

  /* MUNSTKERR: unprivileged unstacking from memory only privileged code may read. */
  region_off(5);
  build_frame(frame, munstk_landing);
  region(5, (uint32_t)stk, 8, AP_PRIV_RW, XN, 0);
  mm_arm(MM_RESTORE_PRIVILEGE);
  svc_op = SVC_TO_USER_PSP;
  munstk_probe((uint32_t)frame);
  svc_op = SVC_PRIVILEGED;
  mm_disarm();
  check_eq("MUNSTKERR: one MemManage", mm_count, 1);
  check_eq("MUNSTKERR: MemManage taken", mm_ipsr, EXC_MEMMANAGE);
  check_eq("MUNSTKERR: CFSR (no MMFAR)", mm_cfsr, CFSR_MUNSTKERR);
  check_eq("MUNSTKERR: EXC_RETURN of the failed return", mm_exc_return, EXC_RETURN_THREAD_PSP);
  check_eq("MUNSTKERR: the frame was not popped", mm_sp, (uint32_t)frame);
  region_off(5);
}

static void lazy_fp(void) {
  /* Extended frame at stk + 0x80: the thread may write its basic part (region 6), only read
   * the FP part (region 5). */
  uint32_t frame = (uint32_t)&stk[32];
  region(5, frame, 7, AP_PRIV_RW_USER_RO, XN, 0);
  region(6, frame, 5, AP_FULL, XN, 0);
  SHPR2 = 0x80u << 24; /* SVCall below MemManage, so the fault preempts the SVC handler */
  mm_arm(MM_CLEAR_LSPACT);
  mlsp_probe(frame + 0x68);
  mm_disarm();
  SHPR2 = 0;
  check_eq("MLSPERR: one MemManage", mm_count, 1);
  check_eq("MLSPERR: MemManage taken", mm_ipsr, EXC_MEMMANAGE);
  check_eq("MLSPERR: CFSR (no MMFAR)", mm_cfsr, CFSR_MLSPERR);
  check_eq("MLSPERR: taken before the FP instruction", mm_pc, (uint32_t)svc_fp_insn & ~1u);
  check_eq("MLSPERR: FPCCR.LSPACT still set", mm_fpccr & FPCCR_LSPACT, FPCCR_LSPACT);
  check_eq("MLSPERR: back in thread mode, privileged, on MSP", get_control() & 3u, 0);
  region_off(5);
  region_off(6);
}

int main(void) {
  registers();

  memcpy(vtable, __vectors, 98 * sizeof(uint32_t));
  VTOR = (uint32_t)vtable;
  dsb_isb();
  SHCSR |= SHCSR_MEMFAULTENA;
  region(0, 0x00000000u, 17, AP_RO, 0, 0);
  region(1, 0x20000000u, 17, AP_FULL, XN, 0);
  mpu_ctrl(CTRL_ENABLE | CTRL_PRIVDEFENA);
  check_eq("MPU_CTRL: enabled, PRIVDEFENA", MPU_CTRL, CTRL_ENABLE | CTRL_PRIVDEFENA);

  access_permissions();
  data_fault_details();
  execute_never();
  subregions_and_overlap();
  background();
  hfnmiena();
  stacking();
  lazy_fp();

  mpu_ctrl(0);
  VTOR = (uint32_t)__vectors;
  return test_finish();
}
