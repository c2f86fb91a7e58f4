// The board view's state hooks without a browser: a minimal fake Document records the elements,
// their attributes and listeners, so the test can count attribute writes and fire events.
import { describe, expect, it } from 'vitest';
import { STM32F4DISCOVERY } from '../boards/stm32f4discovery.js';
import { createBoardView } from './boardView.js';

type Listener = (e: unknown) => void;

class FakeElement {
  readonly attrs = new Map<string, string>();
  readonly children: FakeElement[] = [];
  readonly listeners = new Map<string, Listener[]>();
  textContent = '';
  writes = 0;
  constructor(readonly tag: string) {}
  setAttribute(k: string, v: string) {
    this.attrs.set(k, v);
    this.writes++;
  }
  getAttribute(k: string) {
    return this.attrs.get(k) ?? null;
  }
  appendChild(c: FakeElement) {
    this.children.push(c);
    return c;
  }
  addEventListener(type: string, f: Listener) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), f]);
  }
  setPointerCapture() {}
  fire(type: string, e: object = {}) {
    for (const f of this.listeners.get(type) ?? []) f({ preventDefault() {}, ...e });
  }
  *walk(): Generator<FakeElement> {
    yield this;
    for (const c of this.children) yield* c.walk();
  }
}

function setup() {
  const calls: string[] = [];
  const doc = { createElementNS: (_ns: string, tag: string) => new FakeElement(tag) };
  const view = createBoardView(doc as unknown as Document, {
    onButton: (p) => calls.push(`B1 ${p}`),
    onReset: () => calls.push('reset'),
  });
  const root = view.element as unknown as FakeElement;
  const byTestId = (id: string) => {
    for (const e of root.walk()) if (e.attrs.get('data-testid') === id) return e;
    throw new Error(`no ${id}`);
  };
  const writes = () => [...root.walk()].reduce((n, e) => n + e.writes, 0);
  return { view, calls, byTestId, writes, root };
}

describe('board view', () => {
  it('draws one LED per board LED, off, and setLeds touches only what changed', () => {
    const { view, byTestId, writes } = setup();
    for (const led of STM32F4DISCOVERY.leds)
      expect(byTestId(`led-${led.name}`).attrs.get('data-on')).toBe('false');
    view.setLeds({ LD3: true, LD4: false, LDX: true });
    expect(byTestId('led-LD3').attrs.get('data-on')).toBe('true');
    expect(byTestId('led-LD4').attrs.get('data-on')).toBe('false');
    const before = writes();
    view.setLeds({ LD3: true, LD4: false, LD5: false, LD6: false });
    expect(writes()).toBe(before);
    view.setLeds({ LD3: false });
    expect(byTestId('led-LD3').attrs.get('data-on')).toBe('false');
    expect(writes() - before).toBeLessThanOrEqual(5); // one LED: on, lens, brightness, halo, core
  });

  it('glows by brightness for a PWM duty cycle, and 0 is off', () => {
    const { view, byTestId, writes } = setup();
    view.setLeds({ LD4: 0.4 });
    const ld4 = byTestId('led-LD4');
    expect(ld4.attrs.get('data-on')).toBe('true');
    expect(ld4.attrs.get('data-brightness')).toBe('0.4');
    const before = writes();
    view.setLeds({ LD4: 0.401 }); // under 1%: no redraw
    expect(writes()).toBe(before);
    view.setLeds({ LD4: 0 });
    expect(ld4.attrs.get('data-on')).toBe('false');
    expect(ld4.attrs.get('data-brightness')).toBe('0');
    view.setLeds({ LD4: true });
    expect(ld4.attrs.get('data-brightness')).toBe('1');
  });

  it('lights the PWR LED while powered', () => {
    const { view, byTestId } = setup();
    view.setPowered(true);
    expect(byTestId('power-LD2').attrs.get('data-on')).toBe('true');
    view.setPowered(false);
    expect(byTestId('power-LD2').attrs.get('data-on')).toBe('false');
  });

  it('holds B1 while the pointer or the key is down, and B2 resets', () => {
    const { calls, byTestId } = setup();
    const b1 = byTestId('button-B1');
    expect(b1.attrs.get('role')).toBe('button');
    expect(b1.attrs.get('tabindex')).toBe('0');
    b1.fire('pointerdown', { button: 0, pointerId: 1 });
    expect(b1.attrs.get('data-pressed')).toBe('true');
    b1.fire('pointerup');
    b1.fire('lostpointercapture');
    expect(b1.attrs.get('data-pressed')).toBe('false');
    b1.fire('keydown', { key: ' ' });
    b1.fire('keydown', { key: ' ', repeat: true });
    b1.fire('pointerleave'); // a pointer leaving does not release a key press
    b1.fire('keyup', { key: ' ' });
    byTestId('button-reset').fire('click');
    expect(calls).toEqual(['B1 true', 'B1 false', 'B1 true', 'B1 false', 'reset']);
  });
});
