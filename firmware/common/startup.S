/*
 * Vector table for the project's test firmware. Reset enters newlib's rdimon crt0 (_start).
 * Every exception a test does not override ends the program through semihosting with exit
 * status 128 + exception number, so a fault terminates the same way under f4emu and QEMU
 * instead of hanging one of them.
 */
    .syntax unified
    .cpu cortex-m4
    .thumb

    .section .vectors, "a"
    .align 2
    .global __vectors
__vectors:
    .word __stack
    .word _start
    .word NMI_Handler
    .word HardFault_Handler
    .word MemManage_Handler
    .word BusFault_Handler
    .word UsageFault_Handler
    .word 0, 0, 0, 0
    .word SVC_Handler
    .word DebugMon_Handler
    .word 0
    .word PendSV_Handler
    .word SysTick_Handler
    .rept 82
    .word Default_IRQHandler
    .endr

    .text
    .thumb_func
    .weak Default_Handler
    .type Default_Handler, %function
Default_Handler:
    mrs r0, ipsr
    adds r0, r0, #128
    bl _exit
    b .
    .size Default_Handler, . - Default_Handler

/*
 * newlib's crt0 calls a weak _stack_init right after taking the stack from SYS_HEAPINFO. QEMU's
 * mps2-an386 answers with a stack at 0x22000000, outside the STM32F407's SRAM; this one puts the
 * stack at the top of the 128 KB SRAM on both emulators, lets the heap grow up to it, and grants
 * access to the FPU (CPACR CP10/CP11) so hard-float builds run.
 */
    .global _stack_init
    .thumb_func
    .type _stack_init, %function
_stack_init:
    ldr r0, =0xE000ED88
    ldr r1, [r0]
    orr r1, r1, #(0xF << 20)
    str r1, [r0]
    dsb
    isb
    ldr r0, =__stack
    mov sp, r0
    ldr r0, =__heap_limit
    ldr r1, =0xcafedead
    str r1, [r0]
    bx lr
    .ltorg
    .size _stack_init, . - _stack_init

    .macro weak_alias name
    .weak \name
    .thumb_set \name, Default_Handler
    .endm

    weak_alias NMI_Handler
    weak_alias HardFault_Handler
    weak_alias MemManage_Handler
    weak_alias BusFault_Handler
    weak_alias UsageFault_Handler
    weak_alias SVC_Handler
    weak_alias DebugMon_Handler
    weak_alias PendSV_Handler
    weak_alias SysTick_Handler
    weak_alias Default_IRQHandler
