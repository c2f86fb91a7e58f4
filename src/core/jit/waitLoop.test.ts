/**
 * Wait loops that poll a device register (waitLoop.ts): a loop on a stable register (a timer's
 * SR, a USART's SR, GPIO IDR) is fast-forwarded to the alarm or host event that changes it,
 * and lands exactly where the interpreter, spinning, lands; a loop that reads a register
 * computed from the time (a timer's CNT) is fast-forwarded no further than the register's next
 * change; and a skipped loop stops at instruction budgets and alarms exactly. Each program runs on the interpreter and on the
 * translator in lockstep (test/helpers/lockstep.ts).
 */
import { describe, expect, it } from 'vitest';
import { Asm, CONFIGS, mov32, Pair, type Setup } from '../../../test/helpers/lockstep.js';
import { B_SELF, BX_LR, machineWithVectors } from '../../../test/helpers/machine.js';
import { Machine } from '../../machine/machine.js';
import { socBlock } from '../../machine/soc/stm32f407Map.js';
import { Peripheral } from '../../peripherals/peripheral.js';
import { RegisterBlock } from '../../peripherals/registers.js';
import { COND, t16 as br16 } from '../encode/branch.js';
import { t16 as dp16 } from '../encode/dataProcessing.js';
import { t16 as ls16 } from '../encode/loadStore.js';

const RCC_APB1ENR = 0x40023840;
const TIM6 = 0x40001000;
const TIM_SR = 0x10;
const TIM_CNT = 0x24;
const USART2 = 0x40004400;

/** Three rounds of `while (!(reg & (1 << bit)));`, each followed by `after` (r6 counts them). */
function pollThreeTimes(base: number, offset: number, bit: number, after: number[]): Asm {
  const a = new Asm();
  a.emit(...mov32(5, base), dp16.movImm(6, 0), dp16.movImm(7, 0));
  a.label('wait');
  a.emit(ls16.ldrImm(2, 5, offset), dp16.lslImm(2, 2, 31 - bit)); // the bit into N
  a.branch('wait', (o) => br16.bCond(COND.pl, o));
  a.emit(...after, dp16.addImm8(6, 1), dp16.cmpImm(6, 3));
  a.branch('wait', (o) => br16.bCond(COND.ne, o));
  a.emit(B_SELF);
  return a;
}

/** Runs `setup` both ways under every setting; returns the fast-forwarded counts. */
function runBothWays(setup: () => Setup, instructions: number): number[] {
  const skipped: number[] = [];
  for (const options of CONFIGS) {
    const p = new Pair(setup(), options);
    p.both((m) => m.run(instructions), 'run');
    expect(p.ref.cpu.r[6]).toBe(3);
    p.expectSameMemory();
    // Blocks of 3 and more hold the whole loop; the default threshold leaves it interpreted.
    if (options.hotEntries !== undefined && (options.maxBlockInsns ?? 64) >= 3) {
      skipped.push(p.stats.fastForwarded);
    }
  }
  return skipped;
}

function startTim6(m: Machine, arr: number): void {
  m.bus.write32(RCC_APB1ENR, 1 << 4); // TIM6EN
  m.bus.write32(TIM6 + 0x2c, arr); // ARR
  m.bus.write32(TIM6 + 0x14, 1); // EGR.UG (sets UIF)
  m.bus.write32(TIM6 + TIM_SR, 0);
  m.bus.write32(TIM6, 1); // CR1.CEN
}

describe('wait loops on device registers', () => {
  it('a loop polling TIM6 SR.UIF is fast-forwarded to each update event, exactly', () => {
    const skipped = runBothWays(
      () => ({
        code: pollThreeTimes(TIM6, TIM_SR, 0, [ls16.strImm(7, 5, TIM_SR)]).link(), // SR = 0
        prepare: (m) => startTim6(m, 4999), // an update event every 5000 cycles
      }),
      200000,
    );
    expect(skipped.length).toBeGreaterThan(0);
    for (const n of skipped) expect(n).toBeGreaterThan(1000);
  });

  it('a loop polling USART2 SR.TC after each byte is fast-forwarded, exactly', () => {
    const skipped = runBothWays(
      () => ({
        // Each round sends a byte (DR = r6) and waits for TC (the SR read then the DR write
        // clear it, as on the chip).
        code: pollThreeTimes(USART2, 0, 6, [ls16.strImm(6, 5, 4)]).link(),
        prepare: (m) => {
          m.bus.write32(RCC_APB1ENR, 1 << 17); // USART2EN
          m.bus.write32(USART2 + 0x08, 0x683); // BRR: 9600 baud at 16 MHz
          m.bus.write32(USART2 + 0x0c, (1 << 13) | (1 << 3)); // CR1: UE, TE
          m.bus.write32(USART2 + 0x04, 0x41); // the first byte
        },
      }),
      300000,
    );
    expect(skipped.length).toBeGreaterThan(0);
    for (const n of skipped) expect(n).toBeGreaterThan(1000);
  });

  it('loops polling the user button (GPIOA IDR) are fast-forwarded until the host presses it', () => {
    const a = new Asm();
    a.emit(...mov32(5, 0x40020000), dp16.movImm(6, 0));
    for (const [label, cond] of [
      ['press', COND.pl],
      ['release', COND.mi],
    ] as const) {
      a.label(label);
      a.emit(ls16.ldrImm(2, 5, 0x10), dp16.lslImm(2, 2, 31)); // IDR bit 0 (PA0) into N
      a.branch(label, (o) => br16.bCond(cond, o));
      a.emit(dp16.addImm8(6, 1));
    }
    a.emit(B_SELF);
    const code = a.link();
    for (const options of CONFIGS) {
      const p = new Pair(
        { code, prepare: (m) => m.bus.write32(0x40023830, 1) }, // RCC_AHB1ENR.GPIOAEN
        options,
      );
      p.both((m) => m.run(50000), 'waiting for the press');
      p.both((m) => m.board.setButton(true));
      p.both((m) => m.run(50000), 'waiting for the release');
      expect(p.ref.cpu.r[6]).toBe(1);
      p.both((m) => m.board.setButton(false));
      p.both((m) => m.run(50000), 'released');
      expect(p.ref.cpu.r[6]).toBe(2);
      if (options.hotEntries !== undefined && (options.maxBlockInsns ?? 64) >= 3) {
        expect(p.stats.fastForwarded).toBeGreaterThan(50000);
      }
    }
  });

  it('a loop that also reads TIM6 CNT is fast-forwarded within each tick of the counter', () => {
    // while (flag == 0) (void)TIM6->CNT; the flag (at r4) set by each SysTick. CNT reads the
    // same until the counter's next tick: stopped, for ever; with PSC = 999, for 1000 cycles
    // (skips of about 250 iterations of 4 instructions); counting every cycle, never.
    const program = () => {
      const a = new Asm();
      a.emit(...mov32(5, TIM6), ...mov32(4, 0x20001000), dp16.movImm(6, 0), dp16.movImm(7, 0));
      a.label('wait');
      a.emit(ls16.ldrImm(2, 5, TIM_CNT), ls16.ldrImm(3, 4, 0), dp16.cmpImm(3, 0));
      a.branch('wait', (o) => br16.bCond(COND.eq, o));
      a.emit(ls16.strImm(7, 4, 0), dp16.addImm8(6, 1), dp16.cmpImm(6, 3));
      a.branch('wait', (o) => br16.bCond(COND.ne, o));
      a.emit(B_SELF);
      return a;
    };
    const skippedWith = (psc: number | null) =>
      runBothWays(
        () => ({
          code: program().link(),
          handlers: { 15: [dp16.movImm(3, 1), ls16.strImm(3, 4, 0), BX_LR] },
          prepare: (m) => {
            m.bus.write32(RCC_APB1ENR, 1 << 4);
            if (psc !== null) {
              m.bus.write32(TIM6 + 0x28, psc); // PSC
              m.bus.write32(TIM6 + 0x2c, 0xffff); // ARR
              m.bus.write32(TIM6 + 0x14, 1); // EGR.UG: PSC in force
              m.bus.write32(TIM6, 1); // CR1.CEN
            }
            m.bus.write32(0xe000e014, 4999); // SYST_RVR: a tick every 5000 cycles
            m.bus.write32(0xe000e018, 0);
            m.bus.write32(0xe000e010, 7);
          },
        }),
        200000,
      );
    const stopped = skippedWith(null);
    const slow = skippedWith(999);
    const everyCycle = skippedWith(0);
    expect(stopped.some((n) => n > 5000)).toBe(true);
    for (let k = 0; k < stopped.length; k++) {
      // Each tick costs real iterations: fewer skipped than stopped, still most of them.
      if (stopped[k] === 0) {
        expect(slow[k]).toBe(0); // blocks of 3: the loop of 4 is no one block
      } else {
        expect(slow[k]).toBeGreaterThan(stopped[k]! * 0.9);
        expect(slow[k]).toBeLessThan(stopped[k]!);
      }
      expect(everyCycle[k]).toBe(0);
    }
  });

  it('a loop polling TIM2 CNT until it reaches a value lands exactly where spinning does', () => {
    // Three rounds of while (TIM2->CNT < r4); r4 += 37, the counter ticking every 300 cycles.
    const a = new Asm();
    a.emit(...mov32(5, 0x40000000), dp16.movImm(4, 40), dp16.movImm(6, 0));
    a.label('wait');
    a.emit(ls16.ldrImm(2, 5, TIM_CNT), dp16.cmp(2, 4));
    a.branch('wait', (o) => br16.bCond(COND.cc, o));
    a.emit(dp16.addImm8(4, 37), dp16.addImm8(6, 1), dp16.cmpImm(6, 3));
    a.branch('wait', (o) => br16.bCond(COND.ne, o));
    a.emit(B_SELF);
    const skipped = runBothWays(
      () => ({
        code: a.link(),
        prepare: (m) => {
          m.bus.write32(RCC_APB1ENR, 1); // TIM2EN
          m.bus.write32(0x40000028, 299); // PSC
          m.bus.write32(0x4000002c, 0xffffffff); // ARR
          m.bus.write32(0x40000014, 1); // EGR.UG
          m.bus.write32(0x40000000, 1); // CR1.CEN
        },
      }),
      200000,
    );
    expect(skipped.length).toBeGreaterThan(0);
    for (const n of skipped) expect(n).toBeGreaterThan(10000);
  });

  it("a loop polling SysTick's COUNTFLAG is fast-forwarded to each reload, exactly", () => {
    // while (!(SysTick->CTRL & COUNTFLAG)); three times: the read that sees it clears it.
    const skipped = runBothWays(
      () => ({
        code: pollThreeTimes(0xe000e010, 0, 16, []).link(),
        prepare: (m) => {
          m.bus.write32(0xe000e014, 2999); // SYST_RVR
          m.bus.write32(0xe000e018, 0);
          m.bus.write32(0xe000e010, 5); // ENABLE, processor clock, no interrupt
        },
      }),
      100000,
    );
    expect(skipped.length).toBeGreaterThan(0);
    for (const n of skipped) expect(n).toBeGreaterThan(1000);
  });
});

describe('SysTick COUNTFLAG read by a loop that goes on while it is set', () => {
  it('CSR is stable but for a read that cleared COUNTFLAG; CVR never is', () => {
    const m = machineWithVectors([B_SELF]);
    m.bus.write32(0xe000e014, 99); // SYST_RVR
    m.bus.write32(0xe000e010, 5); // ENABLE, processor clock
    expect(m.bus.read32(0xe000e010)).toBe(5);
    expect(m.scb.readIsStable(0x10)).toBe(true);
    m.run(200); // past a wrap
    expect(m.bus.read32(0xe000e010)).toBe(0x10005);
    expect(m.scb.readIsStable(0x10)).toBe(false);
    expect(m.bus.read32(0xe000e010)).toBe(5);
    expect(m.scb.readIsStable(0x10)).toBe(true);
    expect(m.scb.readIsStable(0x14)).toBe(true); // RVR
    expect(m.scb.readIsStable(0x18)).toBe(false); // CVR
  });

  it('a loop that goes on while COUNTFLAG is set lands where spinning does', () => {
    // while (SysTick->CTRL & COUNTFLAG) r6++; with the counter wrapping about once per
    // iteration, most reads see the flag set by the alarm before them and clear it.
    for (const reload of [3, 4, 5, 6, 7, 9]) {
      const a = new Asm();
      a.emit(...mov32(5, 0xe000e010), dp16.movImm(6, 0));
      a.label('wait');
      a.emit(ls16.ldrImm(2, 5, 0), dp16.lslImm(2, 2, 15), dp16.addImm8(6, 1));
      a.branch('wait', (o) => br16.bCond(COND.mi, o));
      a.emit(B_SELF);
      const code = a.link();
      for (const options of CONFIGS) {
        const p = new Pair(
          {
            code,
            prepare: (m) => {
              m.bus.write32(0xe000e014, reload); // SYST_RVR
              m.bus.write32(0xe000e018, 0);
              m.bus.write32(0xe000e010, 5); // ENABLE, processor clock
            },
          },
          options,
        );
        for (let k = 0; k < 40; k++) p.both((m) => m.run(997), `reload ${reload}, run ${k}`);
      }
    }
  });
});

describe('wait loops end exactly where the interpreter stops', () => {
  it('at instruction budgets and alarms that fall anywhere in an iteration', () => {
    // while (flag == 0) { r3 = 0; } on a RAM flag nothing sets, and on TIM6 SR with the timer
    // stopped: the loop only ends at the batch's limits. The `movs` first makes the block's
    // entry need room on the clock; SysTick ends batches at odd cycles (its handler does
    // nothing).
    for (const [base, offset] of [
      [0x20001000, 0],
      [TIM6, TIM_SR],
    ] as const) {
      const a = new Asm();
      a.emit(...mov32(5, base), dp16.movImm(2, 0));
      a.label('wait');
      a.emit(dp16.movImm(3, 0), ls16.ldrImm(2, 5, offset), dp16.cmpImm(2, 0));
      a.branch('wait', (o) => br16.bCond(COND.eq, o));
      a.emit(B_SELF);
      const code = a.link();
      for (const reload of [97, 250, 1001]) {
        const p = new Pair(
          {
            code,
            prepare: (m) => {
              m.bus.write32(RCC_APB1ENR, 1 << 4);
              m.bus.write32(0xe000e014, reload); // SYST_RVR
              m.bus.write32(0xe000e018, 0);
              m.bus.write32(0xe000e010, 7); // ENABLE, processor clock, TICKINT (nop; bx lr)
            },
          },
          { hotEntries: 1 },
        );
        for (const budget of [1000, 1001, 1002, 1003, 517, 4099]) {
          p.both((m) => m.run(budget), `${base.toString(16)}: reload ${reload}, run ${budget}`);
        }
        expect(p.stats.fastForwarded).toBeGreaterThan(0);
      }
    }
  });
});

describe('MmioDevice.readIsStable', () => {
  it('holds for declared registers that neither clear on read nor compute their value', () => {
    const regs = new RegisterBlock('X', () => {});
    regs.define({ name: 'PLAIN', offset: 0, fields: [{ name: 'F', bits: 0, access: 'rc_w0' }] });
    regs.define({ name: 'CLEARS', offset: 4, fields: [{ name: 'F', bits: 0, access: 'rc_r' }] });
    regs.define({ name: 'COMPUTED', offset: 8, onRead: () => 1 });
    regs.define({ name: 'NOTED', offset: 12, onRead: (v) => v, readIdempotent: true });
    expect(regs.readIsStable(0)).toBe(true);
    expect(regs.readIsStable(2)).toBe(true); // a half-word of it
    expect(regs.readIsStable(4)).toBe(false);
    expect(regs.readIsStable(8)).toBe(false);
    expect(regs.readIsStable(12)).toBe(true);
    expect(regs.readIsStable(16)).toBe(false); // nothing there: each access is logged
  });

  it("holds for GPIO IDR until an alternate function (a timer's output) drives a pin", () => {
    const m = new Machine({ warn: () => {}, jit: false });
    m.bus.write32(0x40023830, 1); // RCC_AHB1ENR.GPIOAEN
    const gpioa = m.peripherals.get('GPIOA')!;
    expect(gpioa.readIsStable!(0x10, 4)).toBe(true);
    m.bus.write32(0x40020020, 1 << 4); // AFRL: PA1 to AF1 (TIM2_CH2)
    m.bus.write32(0x40020000, m.bus.read32(0x40020000) | (2 << 2)); // MODER: PA1 alternate
    expect(gpioa.readIsStable!(0x10, 4)).toBe(false);
    expect(gpioa.readIsStable!(0x14, 4)).toBe(true); // ODR
  });

  it('a peripheral that reads its own way is never stable', () => {
    const ctx = {} as ConstructorParameters<typeof Peripheral>[1];
    class Plain extends Peripheral {}
    class Own extends Peripheral {
      override read(): number {
        return 7;
      }
    }
    const plain = new Plain(socBlock('TIM6'), { ...ctx, warn: () => {} });
    const own = new Own(socBlock('TIM7'), { ...ctx, warn: () => {} });
    for (const p of [plain, own]) p.regs.define({ name: 'R', offset: 0 });
    expect(plain.readIsStable(0, 4)).toBe(true);
    expect(own.readIsStable(0, 4)).toBe(false);
  });
});
