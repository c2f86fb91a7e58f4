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
