/*
 * SVCall: arguments and results through the stacked exception frame, the SVC number read back
 * from the instruction, EXC_RETURN for MSP/PSP/handler callers, stack realignment (CCR.STKALIGN)
 * and privilege changes made by the handler.
 */
#include <stdio.h>

#include "testlib.h"

static volatile uint32_t svc_count, svc_ipsr, svc_exc_return, svc_xpsr, svc_number;

/* frame: stacked r0, r1, r2, r3, r12, lr, pc, xpsr. */
__attribute__((used)) void svc_dispatch(uint32_t *frame, uint32_t exc_return) {
  uint16_t insn = *(const uint16_t *)(frame[6] - 2);
  svc_count++;
  svc_number = insn & 0xFF;
  svc_ipsr = get_ipsr();
  svc_exc_return = exc_return;
  svc_xpsr = frame[7];
  switch (svc_number) {
  case 1: /* sum of four arguments */
    frame[0] = frame[0] + frame[1] + frame[2] + frame[3];
    break;
  case 2: /* two results */
    frame[0] = frame[0] * frame[1];
    frame[1] = frame[2] ^ frame[3];
    break;
  case 3: /* give thread mode its privilege back */
    set_control(get_control() & ~1u);
    break;
  case 4: /* report the stacked r12 and lr */
    frame[0] = frame[4];
    frame[1] = frame[5];
    break;
  case 5: /* report where the frame is and the stacked xPSR */
    frame[0] = (uint32_t)frame;
    frame[1] = frame[7];
    break;
  default:
    frame[0] = 0xDEADBEEF;
    break;
  }
}

__attribute__((naked)) void SVC_Handler(void) {
  __asm volatile("tst lr, #4\n\t"
                 "ite eq\n\t"
                 "mrseq r0, msp\n\t"
                 "mrsne r0, psp\n\t"
                 "mov r1, lr\n\t"
                 "b svc_dispatch\n\t");
}

static uint32_t svc_sum4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  register uint32_t r0 __asm("r0") = a;
  register uint32_t r1 __asm("r1") = b;
  register uint32_t r2 __asm("r2") = c;
  register uint32_t r3 __asm("r3") = d;
  __asm volatile("svc #1" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3) : "memory");
  return r0;
}

static void run_on_psp(void (*fn)(void), uint32_t *stack_top) {
  /* Thread mode on PSP: SPSEL=1, call fn, SPSEL=0 again (r4 keeps the old CONTROL). */
  __asm volatile("msr psp, %1\n\t"
                 "mrs r4, control\n\t"
                 "orr r5, r4, #2\n\t"
                 "msr control, r5\n\t"
                 "isb\n\t"
                 "blx %0\n\t"
                 "msr control, r4\n\t"
                 "isb\n\t"
                 :
                 : "r"(fn), "r"(stack_top)
                 : "r0", "r1", "r2", "r3", "r4", "r5", "r12", "lr", "memory", "cc");
}

static uint32_t psp_stack[256] __attribute__((aligned(8)));
static volatile uint32_t psp_sum, psp_exc_return, psp_control, psp_sp;

static void on_psp(void) {
  psp_control = get_control();
  psp_sp = get_psp();
  psp_sum = svc_sum4(10, 20, 30, 40);
  psp_exc_return = svc_exc_return;
}

static volatile uint32_t unpriv_control, unpriv_basepri_read, after_control, after_primask;
static volatile uint32_t after_basepri;

static void unprivileged(void) {
  set_control(get_control() | 1u); /* nPRIV: drop privilege */
  unpriv_control = get_control();
  set_basepri(0x40);                /* ignored when unprivileged */
  unpriv_basepri_read = get_basepri();
  __asm volatile("cpsid i" ::: "memory"); /* ignored when unprivileged */
  __asm volatile("svc #3" ::: "memory");
  after_control = get_control();
  after_primask = get_primask();
  after_basepri = get_basepri();
}

static volatile uint32_t nested_sum, nested_exc_return, nested_ipsr;

static void irq_calls_svc(void) {
  nested_sum = svc_sum4(1, 2, 3, 4);
  nested_exc_return = svc_exc_return;
  nested_ipsr = svc_ipsr;
}

int main(void) {
  uint32_t r0v, r1v;

  check_eq("svc sum of four arguments", svc_sum4(1, 0x100, 0x10000, 0x1000000), 0x01010101);
  check_eq("svc number from the instruction", svc_number, 1);
  check_eq("svc IPSR in handler", svc_ipsr, EXC_SVCALL);
  check_eq("svc EXC_RETURN from thread on MSP", svc_exc_return, EXC_RETURN_THREAD_MSP);
  check("svc stacked xPSR has Thumb bit", (svc_xpsr & (1u << 24)) != 0);
  check_eq("svc stacked xPSR IPSR field is thread", svc_xpsr & 0x1FF, 0);

  {
    register uint32_t a __asm("r0") = 7;
    register uint32_t b __asm("r1") = 6;
    register uint32_t c __asm("r2") = 0xF0F0;
    register uint32_t d __asm("r3") = 0x0FF0;
    __asm volatile("svc #2" : "+r"(a), "+r"(b) : "r"(c), "r"(d) : "memory");
    r0v = a;
    r1v = b;
  }
  check_eq("svc result in stacked r0", r0v, 42);
  check_eq("svc result in stacked r1", r1v, 0xFF00);

  {
    register uint32_t a __asm("r0");
    register uint32_t b __asm("r1");
    __asm volatile("movw r12, #0x1212\n\t"
                   "movt r12, #0x1212\n\t"
                   "movw lr, #0x3c3d\n\t"
                   "movt lr, #0x3c3c\n\t"
                   "svc #4\n\t"
                   : "=r"(a), "=r"(b)
                   :
                   : "r2", "r3", "r12", "lr", "memory");
    r0v = a;
    r1v = b;
  }
  check_eq("svc stacked r12", r0v, 0x12121212);
  check_eq("svc stacked lr", r1v, 0x3c3c3c3d);

  /* SP = 8n+4 at the SVC: the frame is realigned to 8 and xPSR bit 9 records it. */
  {
    uint32_t sp_at_svc, frame_addr, xpsr, sp_after;
    __asm volatile("mov r5, sp\n\t"
                   "bic r4, r5, #7\n\t"
                   "sub r4, r4, #12\n\t"
                   "mov sp, r4\n\t"
                   "svc #5\n\t"
                   "mov r2, sp\n\t"
                   "mov sp, r5\n\t"
                   "mov %0, r4\n\t"
                   "mov %1, r0\n\t"
                   "mov %2, r1\n\t"
                   "mov %3, r2\n\t"
                   : "=r"(sp_at_svc), "=r"(frame_addr), "=r"(xpsr), "=r"(sp_after)
                   :
                   : "r0", "r1", "r2", "r3", "r4", "r5", "r12", "lr", "memory");
    check_eq("svc frame realigned below SP=8n+4", frame_addr, sp_at_svc - 36);
    check("svc stacked xPSR bit 9 set after realignment", (xpsr & (1u << 9)) != 0);
    check_eq("svc SP restored after realigned frame", sp_after, sp_at_svc);
    __asm volatile("mov r5, sp\n\t"
                   "bic r4, r5, #7\n\t"
                   "sub r4, r4, #16\n\t"
                   "mov sp, r4\n\t"
                   "svc #5\n\t"
                   "mov r2, sp\n\t"
                   "mov sp, r5\n\t"
                   "mov %0, r4\n\t"
                   "mov %1, r0\n\t"
                   "mov %2, r1\n\t"
                   "mov %3, r2\n\t"
                   : "=r"(sp_at_svc), "=r"(frame_addr), "=r"(xpsr), "=r"(sp_after)
                   :
                   : "r0", "r1", "r2", "r3", "r4", "r5", "r12", "lr", "memory");
    check_eq("svc frame directly below aligned SP", frame_addr, sp_at_svc - 32);
    check("svc stacked xPSR bit 9 clear when aligned", (xpsr & (1u << 9)) == 0);
    check_eq("svc SP restored after aligned frame", sp_after, sp_at_svc);
  }

  run_on_psp(on_psp, &psp_stack[256]);
  check_eq("svc from PSP thread: CONTROL.SPSEL", psp_control & 2, 2);
  check("svc from PSP thread: running on psp_stack",
        psp_sp > (uint32_t)psp_stack && psp_sp <= (uint32_t)&psp_stack[256]);
  check_eq("svc from PSP thread: result", psp_sum, 100);
  check_eq("svc from PSP thread: EXC_RETURN", psp_exc_return, EXC_RETURN_THREAD_PSP);
  check_eq("svc back on MSP: CONTROL", get_control() & 3, 0);

  run_on_psp(unprivileged, &psp_stack[256]);
  check_eq("unprivileged thread: CONTROL.nPRIV reads 1", unpriv_control & 1, 1);
  check_eq("unprivileged thread: BASEPRI write ignored", unpriv_basepri_read, 0);
  check_eq("svc restores privilege: CONTROL.nPRIV", after_control & 1, 0);
  check_eq("unprivileged CPSID ignored", after_primask, 0);
  check_eq("unprivileged MSR BASEPRI ignored", after_basepri, 0);

  /* SVC (priority 0x40) called from an IRQ handler (priority 0x80) nests. */
  SHPR8(EXC_SVCALL) = 0x40;
  irq_setup(5, 0x80, irq_calls_svc);
  irq_pend(5);
  check_eq("svc from handler: result", nested_sum, 10);
  check_eq("svc from handler: EXC_RETURN", nested_exc_return, EXC_RETURN_HANDLER);
  check_eq("svc from handler: IPSR", nested_ipsr, EXC_SVCALL);
  SHPR8(EXC_SVCALL) = 0;

  check_eq("svc count", svc_count, 8);
  return test_finish();
}
