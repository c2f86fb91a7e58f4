/**
 * An SVG drawing of the STM32F4Discovery board for the web page: our own stylised drawing after the
 * layout in ST's user manual UM1472 (no ST artwork). Portrait, ST-LINK at the top: the dark PCB,
 * the pin headers P1 and P2 (2x25) along the long edges, the ST-LINK part with its mini-USB CN1,
 * the STM32F407VGT6 (LQFP100) in the middle, the four user LEDs in a diamond around the MEMS
 * accelerometer (LD3 orange top, LD4 green left, LD5 red right, LD6 blue bottom), the blue user
 * button B1 and the black reset button B2, the audio DAC, microphone, audio jack and the micro-USB
 * OTG connector CN5 at the bottom. Lit LEDs glow (a bright lens and a blurred halo); B1 is held
 * while the pointer (or Space/Enter) is down. One unit of the viewBox is 0.1 mm (the board is
 * 66 x 97 mm).
 */
import { STM32F4DISCOVERY } from '../boards/stm32f4discovery.js';

export interface BoardViewOptions {
  /** B1 pressed (true) or released (false): pointer down/up/leave/cancel, and Space/Enter on focus. */
  onButton(pressed: boolean): void;
  /** The black reset button B2 was clicked. */
  onReset(): void;
}

export interface BoardView {
  readonly element: SVGSVGElement;
  /**
   * LED states by silk name ('LD3'...'LD6'): on/off, or a brightness 0..1 (a PWM duty cycle:
   * the glow scales with it); unknown names ignored.
   */
  setLeds(states: Readonly<Record<string, boolean | number>>): void;
  /** Powered (the PWR LED LD2 lit) or not (firmware not running). */
  setPowered(on: boolean): void;
}

const NS = 'http://www.w3.org/2000/svg';
const W = 660; // board width, 0.1 mm
const H = 970; // board height
const PITCH = 25.4; // 2.54 mm header pitch
const SILK = '#e9eee9';
const FONT = "'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif";

/** Lens colours of an LED: lit, unlit (a dim tint of the colour) and the halo. */
const LED_COLOURS: Record<string, { on: string; off: string; halo: string }> = {
  green: { on: '#7dffa0', off: '#3c5a46', halo: '#2bff6a' },
  orange: { on: '#ffc56a', off: '#6a5238', halo: '#ff9a1f' },
  red: { on: '#ff8a80', off: '#6a3a3a', halo: '#ff2a1f' },
  blue: { on: '#9cc8ff', off: '#3a4866', halo: '#2f7bff' },
};

/** Where each user LED sits around the accelerometer (centre MEMS_X, MEMS_Y), by silk name. */
const MEMS_X = 330;
const MEMS_Y = 690;
const LED_PLACES: Record<
  string,
  { x: number; y: number; vertical: boolean; label: [number, number, string] }
> = {
  LD3: { x: MEMS_X, y: MEMS_Y - 62, vertical: false, label: [MEMS_X, MEMS_Y - 86, 'middle'] },
  LD4: { x: MEMS_X - 62, y: MEMS_Y, vertical: true, label: [MEMS_X - 84, MEMS_Y + 5, 'end'] },
  LD5: { x: MEMS_X + 62, y: MEMS_Y, vertical: true, label: [MEMS_X + 84, MEMS_Y + 5, 'start'] },
  LD6: { x: MEMS_X, y: MEMS_Y + 62, vertical: false, label: [MEMS_X, MEMS_Y + 100, 'middle'] },
};

type Attrs = Record<string, string | number>;

let instances = 0;

interface LedParts {
  group: SVGGElement;
  halo: SVGElement;
  lens: SVGElement;
  core: SVGElement;
  colours: { on: string; off: string };
  /** 0 (off) to 1 (fully on). */
  level: number;
}

export function createBoardView(doc: Document, options: BoardViewOptions): BoardView {
  const id = `f4bv${++instances}-`;
  const el = <K extends keyof SVGElementTagNameMap>(
    parent: Element,
    tag: K,
    attrs: Attrs = {},
    text?: string,
  ): SVGElementTagNameMap[K] => {
    const node = doc.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    parent.appendChild(node);
    return node;
  };
  const silk = (
    parent: Element,
    x: number,
    y: number,
    s: string,
    size = 15,
    anchor = 'middle',
    extra: Attrs = {},
  ) =>
    el(
      parent,
      'text',
      { x, y, 'font-size': size, 'text-anchor': anchor, fill: SILK, 'font-weight': 700, ...extra },
      s,
    );
  const rect = (parent: Element, x: number, y: number, w: number, h: number, attrs: Attrs = {}) =>
    el(parent, 'rect', { x, y, width: w, height: h, ...attrs });
  const outline = (parent: Element, x: number, y: number, w: number, h: number, r = 0) =>
    rect(parent, x, y, w, h, { fill: 'none', stroke: SILK, 'stroke-width': 2.5, rx: r });

  const svg = doc.createElementNS(NS, 'svg');
  for (const [k, v] of Object.entries({
    viewBox: `-20 -30 ${W + 40} ${H + 50}`,
    width: '100%',
    role: 'group',
    'aria-label': 'STM32F4Discovery board',
    'font-family': FONT,
    style: 'display:block;max-width:100%;max-height:100%;user-select:none',
  }))
    svg.setAttribute(k, v);

  // Definitions: the LED glow, metal and board gradients, the button caps' highlight.
  const defs = el(svg, 'defs');
  el(
    defs,
    'style',
    {},
    '.f4bv-btn{cursor:pointer;outline:none;touch-action:none;-webkit-tap-highlight-color:transparent}' +
      '.f4bv-btn .f4bv-ring{stroke-opacity:0;transition:stroke-opacity .1s}' +
      '.f4bv-btn:focus-visible .f4bv-ring{stroke-opacity:.95}' +
      '.f4bv-btn:hover .f4bv-face{filter:brightness(1.18)}',
  );
  const glow = el(defs, 'filter', {
    id: `${id}glow`,
    x: '-100%',
    y: '-100%',
    width: '300%',
    height: '300%',
  });
  el(glow, 'feGaussianBlur', { stdDeviation: 11 });
  const gradient = (
    tag: 'linearGradient' | 'radialGradient',
    name: string,
    attrs: Attrs,
    stops: [number, string, number?][],
  ) => {
    const g = el(defs, tag, { id: id + name, ...attrs });
    for (const [o, c, a] of stops)
      el(g, 'stop', { offset: o, 'stop-color': c, 'stop-opacity': a ?? 1 });
  };
  gradient('linearGradient', 'pcb', { x1: 0, y1: 0, x2: 1, y2: 1 }, [
    [0, '#163a40'],
    [1, '#0b2226'],
  ]);
  gradient('linearGradient', 'metal', { x1: 0, y1: 0, x2: 1, y2: 1 }, [
    [0, '#eef0f2'],
    [0.45, '#a9afb5'],
    [1, '#d5d9dd'],
  ]);
  gradient('linearGradient', 'gold', { x1: 0, y1: 0, x2: 1, y2: 1 }, [
    [0, '#f3dc8c'],
    [1, '#a8842f'],
  ]);
  gradient('radialGradient', 'hl', { cx: 0.38, cy: 0.32, r: 0.7 }, [
    [0, '#ffffff', 0.55],
    [0.5, '#ffffff', 0.08],
    [1, '#000000', 0.25],
  ]);
  const url = (name: string) => `url(#${id}${name})`;

  // The PCB, copper traces under the solder mask, and the ST-LINK part's border.
  rect(svg, 0, 0, W, H, { rx: 22, fill: url('pcb'), stroke: '#2c5a60', 'stroke-width': 3 });
  const traces = el(svg, 'g', { fill: 'none', stroke: '#1f4a50', 'stroke-width': 4 });
  traces.setAttribute('stroke-linejoin', 'round');
  const MCU_X = 330;
  const MCU_Y = 455;
  const HEADER_Y = 312.7; // first row of the headers
  for (let j = 0; j < 9; j++) {
    const pinY = MCU_Y - 60 + 15 * j;
    const rowY = HEADER_Y + PITCH * (j + 2);
    const d = j < 3 ? j : j === 3 ? 0 : 8 - j; // fan-out order: no two traces cross
    const x = 235 - 12 * d;
    for (const side of [1, -1]) {
      const m = (v: number) => (side === 1 ? v : W - v);
      el(traces, 'path', {
        d: `M${m(250)} ${pinY}H${m(x)}V${rowY}H${m(62)}`,
      });
    }
  }
  for (const [x1, y1, x2, y2] of [
    [330, 72, 330, 140],
    [MCU_X, 535, MCU_X, 600],
    [270, 535, 270, 610],
    [390, 535, 390, 610],
    [380, 200, 470, 200],
    [365, 165, 560, 120],
  ] as const)
    el(traces, 'path', { d: `M${x1} ${y1}L${x2} ${y2}` });
  el(svg, 'path', {
    d: `M12 262H${W - 12}`,
    stroke: SILK,
    'stroke-width': 2.5,
    'stroke-dasharray': '10 7',
  });
  silk(svg, 24, 250, 'ST-LINK/V2', 15, 'start');
  silk(svg, 330, 342, 'STM32F4DISCOVERY', 24, 'middle', { 'letter-spacing': 1 });

  // Pin headers P1 (left) and P2 (right): black plastic, 2x25 gold square pins.
  for (const [name, x0] of [
    ['P1', 17],
    ['P2', W - 17 - 56],
  ] as const) {
    outline(svg, x0 - 5, 295, 66, 645, 3);
    rect(svg, x0, 300, 56, 635, { fill: '#141517', rx: 3 });
    silk(svg, x0 + 28, 284, name, 18);
    const pins = el(svg, 'g', { fill: url('gold') });
    for (let r = 0; r < 25; r++)
      for (let c = 0; c < 2; c++) {
        const cx = x0 + 15.3 + c * PITCH;
        const cy = HEADER_Y + r * PITCH;
        rect(pins, cx - 6, cy - 6, 12, 12);
      }
  }

  // Small passives (0402/0603) around the chips.
  const passives = el(svg, 'g');
  const passive = (x: number, y: number, vertical = false, cap = true) => {
    const g = el(passives, 'g', {
      transform: `translate(${x} ${y})${vertical ? ' rotate(90)' : ''}`,
    });
    rect(g, -10, -5, 20, 10, { fill: cap ? '#9a7b52' : '#202020' });
    rect(g, -10, -5, 5, 10, { fill: '#c9cdd1' });
    rect(g, 5, -5, 5, 10, { fill: '#c9cdd1' });
  };
  for (const [x, y, v, c] of [
    [240, 390, 1, 1],
    [240, 520, 1, 1],
    [420, 390, 1, 1],
    [420, 520, 1, 0],
    [300, 365, 0, 1],
    [360, 365, 0, 0],
    [300, 548, 0, 1],
    [365, 548, 0, 1],
    [250, 220, 0, 0],
    [410, 140, 0, 1],
    [410, 225, 0, 1],
    [130, 200, 1, 0],
    [155, 200, 1, 1],
    [450, 240, 0, 0],
    [230, 850, 1, 1],
    [420, 850, 1, 0],
    [550, 570, 1, 1],
    [440, 640, 1, 1],
    [220, 640, 1, 0],
  ] as const)
    passive(x, y, v === 1, c === 1);

  // An IC: a black body with leads on all four sides (perSide > 0) or a leadless QFN/LGA.
  const chip = (
    cx: number,
    cy: number,
    size: number,
    perSide: number,
    pitch: number,
    lead = 10,
  ) => {
    const g = el(svg, 'g');
    if (perSide > 0) {
      const leads = el(g, 'g', { fill: url('metal') });
      const span = (perSide - 1) * pitch;
      for (let i = 0; i < perSide; i++) {
        const t = -span / 2 + i * pitch;
        const s = size / 2;
        rect(leads, cx + t - 1.4, cy - s - lead, 2.8, lead);
        rect(leads, cx + t - 1.4, cy + s, 2.8, lead);
        rect(leads, cx - s - lead, cy + t - 1.4, lead, 2.8);
        rect(leads, cx + s, cy + t - 1.4, lead, 2.8);
      }
    }
    rect(g, cx - size / 2, cy - size / 2, size, size, {
      fill: '#1c1d20',
      stroke: '#34363a',
      'stroke-width': 1.5,
      rx: perSide > 0 ? 2 : 3,
    });
    const dot = size * 0.07;
    el(g, 'circle', {
      cx: cx - size / 2 + dot * 2,
      cy: cy - size / 2 + dot * 2,
      r: dot,
      fill: '#3a3c40',
    });
    return g;
  };
  const marking = (x: number, y: number, s: string, size: number, extra: Attrs = {}) =>
    el(
      svg,
      'text',
      { x, y, 'font-size': size, 'text-anchor': 'middle', fill: '#b7bbc0', ...extra },
      s,
    );

  // The STM32F407VGT6, LQFP100 (14 x 14 mm, 25 leads a side at 0.5 mm).
  chip(MCU_X, MCU_Y, 140, 25, 5);
  marking(MCU_X, MCU_Y - 12, 'STM32F407', 19, { 'font-weight': 700 });
  marking(MCU_X, MCU_Y + 10, 'VGT6', 19, { 'font-weight': 700 });
  marking(MCU_X, MCU_Y + 36, 'GH21V 93', 11);
  silk(svg, MCU_X + 92, MCU_Y - 82, 'U4', 13, 'start');
  // Its 8 MHz crystal X2 (HC-49 SMD).
  rect(svg, 120, 586, 110, 46, {
    rx: 20,
    fill: url('metal'),
    stroke: '#7d848a',
    'stroke-width': 1.5,
  });
  rect(svg, 132, 596, 86, 26, { rx: 12, fill: 'none', stroke: '#8d949a', 'stroke-width': 1.2 });
  silk(svg, 175, 654, 'X2', 13);

  // The ST-LINK/V2: mini-USB CN1, its STM32F103 (LQFP48), the COM and PWR LEDs, CN2, SWD CN3.
  chip(330, 180, 70, 12, 5, 8);
  marking(330, 184, 'F103', 11, { 'font-weight': 700 });
  const usb = (x: number, y: number, w: number, h: number, label: string, up: boolean) => {
    rect(svg, x, y, w, h, { rx: 3, fill: url('metal'), stroke: '#6f767c', 'stroke-width': 1.5 });
    rect(svg, x + 8, up ? y + 4 : y + h - 16, w - 16, 12, { rx: 3, fill: '#26282b' });
    rect(svg, x + 18, up ? y + 8 : y + h - 12, w - 36, 4, { fill: '#d8c27a' });
    for (const t of [x - 6, x + w])
      rect(svg, t, up ? y + h - 30 : y + 10, 6, 20, { fill: '#b9bec3' });
    if (label) silk(svg, x + w + 12, y + h - 4, label, 13, 'start');
  };
  usb(291, -22, 78, 94, 'CN1', true);
  outline(svg, 440, 128, 64, 64, 2);
  for (const x of [459, 485])
    for (const y of [147, 173]) rect(svg, x - 5, y - 5, 10, 10, { fill: url('gold') });
  for (const y of [147, 173])
    rect(svg, 448, y - 9, 48, 18, { rx: 3, fill: '#0c0c0d', stroke: '#2d2e30' });
  silk(svg, 472, 118, 'CN2', 13);
  outline(svg, 545, 52, 32, 150, 2);
  for (let i = 0; i < 6; i++) rect(svg, 555, 59 + 23.5 * i, 12, 12, { fill: url('gold') });
  silk(svg, 561, 40, 'SWD', 12);
  silk(svg, 561, 222, 'CN3', 13);

  // A small 0603 LED: pads, a white body and a tinted lens; lit: bright lens, hot core and halo.
  const led = (
    x: number,
    y: number,
    vertical: boolean,
    colours: { on: string; off: string; halo: string },
    testid?: string,
  ): LedParts => {
    const group = el(svg, 'g', testid ? { 'data-testid': testid, 'data-on': 'false' } : {});
    const halo = el(group, 'circle', {
      cx: x,
      cy: y,
      r: 30,
      fill: colours.halo,
      filter: url('glow'),
      opacity: 0,
      'pointer-events': 'none',
    });
    const g = el(group, 'g', { transform: `translate(${x} ${y})${vertical ? ' rotate(90)' : ''}` });
    rect(g, -16, -9, 32, 18, { fill: '#ece7d6', rx: 2 });
    rect(g, -16, -9, 6, 18, { fill: '#c3c8cc' });
    rect(g, 10, -9, 6, 18, { fill: '#c3c8cc' });
    const lens = rect(g, -8, -6.5, 16, 13, { fill: colours.off, rx: 2 });
    const core = rect(g, -5, -3.5, 10, 7, { fill: '#ffffff', rx: 2, opacity: 0 });
    return { group, halo, lens, core, colours, level: 0 };
  };
  const show = (parts: LedParts, on: boolean | number) => {
    // Brightness in 1% steps: a duty cycle that jitters by less does not redraw.
    const level =
      typeof on === 'number' ? Math.round(Math.min(1, Math.max(0, on)) * 100) / 100 : on ? 1 : 0;
    if (parts.level === level) return;
    const was = parts.level;
    parts.level = level;
    if (was > 0 !== level > 0) {
      parts.group.setAttribute('data-on', level > 0 ? 'true' : 'false');
      parts.lens.setAttribute('fill', level > 0 ? parts.colours.on : parts.colours.off);
    }
    parts.group.setAttribute('data-brightness', String(level));
    parts.halo.setAttribute('opacity', String(0.9 * level));
    parts.core.setAttribute('opacity', String(0.85 * level));
  };
  led(150, 80, false, { on: '#ff8a80', off: '#5e4a3a', halo: '#ff2a1f' });
  silk(svg, 180, 86, 'LD1 COM', 13, 'start');
  const pwr = led(150, 140, false, LED_COLOURS.red!, 'power-LD2');
  silk(svg, 180, 146, 'LD2 PWR', 13, 'start');

  // The audio DAC (CS43L22, QFN), the MEMS microphone, the audio jack CN4 and the OTG port CN5.
  chip(500, 580, 50, 0, 0);
  marking(500, 584, '43L22', 9);
  silk(svg, 500, 626, 'U7', 12);
  rect(svg, 146, 866, 50, 32, { rx: 3, fill: url('metal'), stroke: '#7d848a' });
  el(svg, 'circle', { cx: 158, cy: 882, r: 4, fill: '#2b2d30' });
  silk(svg, 171, 922, 'MIC', 12);
  rect(svg, 452, 832, 72, 146, { rx: 4, fill: '#17181a', stroke: '#2f3134', 'stroke-width': 2 });
  el(svg, 'circle', {
    cx: 488,
    cy: 948,
    r: 20,
    fill: '#0a0a0b',
    stroke: '#3a3c40',
    'stroke-width': 3,
  });
  silk(svg, 488, 820, 'CN4', 13);
  usb(292, 918, 76, 60, '', false);
  silk(svg, 330, 900, 'CN5 USB OTG', 12);
  led(245, 930, false, LED_COLOURS.green!);
  led(415, 930, false, LED_COLOURS.red!);
  silk(svg, 245, 956, 'LD7', 11);
  silk(svg, 415, 956, 'LD8', 11);

  // The MEMS accelerometer (LGA, 3 x 3 mm) and the four user LEDs around it.
  chip(MEMS_X, MEMS_Y, 34, 0, 0);
  silk(svg, MEMS_X + 26, MEMS_Y - 22, 'U5', 11, 'start');
  const leds = new Map<string, LedParts>();
  for (const d of STM32F4DISCOVERY.leds) {
    const place = LED_PLACES[d.name];
    const colours = LED_COLOURS[d.color];
    if (!place || !colours) continue;
    const [lx, ly, anchor] = place.label;
    silk(svg, lx, ly, d.name, 16, anchor);
    leds.set(d.name, led(place.x, place.y, place.vertical, colours, `led-${d.name}`));
  }

  // The push buttons: a square switch body with a round cap, focusable, with a focus ring.
  const button = (
    x: number,
    y: number,
    cap: [string, string],
    label: string,
    testid: string,
    aria: string,
  ) => {
    const g = el(svg, 'g', {
      'data-testid': testid,
      'data-pressed': 'false',
      role: 'button',
      tabindex: 0,
      'aria-label': aria,
      class: 'f4bv-btn',
    });
    rect(g, x - 50, y - 40, 100, 80, {
      rx: 12,
      fill: 'none',
      stroke: '#7cc7ff',
      'stroke-width': 5,
      class: 'f4bv-ring',
    });
    for (const dx of [-1, 1])
      for (const dy of [-1, 1])
        rect(g, x + dx * 38 - 6, y + dy * 22 - 5, 12, 10, { fill: '#c3c8cc' });
    rect(g, x - 33, y - 33, 66, 66, {
      rx: 4,
      fill: url('metal'),
      stroke: '#5d6369',
      'stroke-width': 1.5,
    });
    rect(g, x - 25, y - 25, 50, 50, { rx: 3, fill: '#1b1c1e' });
    el(g, 'circle', { cx: x + 1.5, cy: y + 3, r: 20, fill: '#000', opacity: 0.55 });
    const capG = el(g, 'g', { transform: `translate(${x} ${y})`, class: 'f4bv-face' });
    const face = el(capG, 'circle', {
      r: 20,
      fill: cap[0],
      stroke: '#00000066',
      'stroke-width': 1.5,
    });
    const shine = el(capG, 'circle', { r: 20, fill: url('hl') });
    silk(svg, x, y + 66, label, 15);
    let pressedLook = false;
    const look = (down: boolean) => {
      if (pressedLook === down) return;
      pressedLook = down;
      g.setAttribute('data-pressed', down ? 'true' : 'false');
      capG.setAttribute(
        'transform',
        `translate(${x} ${down ? y + 2 : y})${down ? ' scale(0.88)' : ''}`,
      );
      face.setAttribute('fill', cap[down ? 1 : 0]);
      shine.setAttribute('opacity', down ? '0.35' : '1');
    };
    return { g, look };
  };
  const capture = (g: SVGGElement, e: PointerEvent) => {
    try {
      g.setPointerCapture(e.pointerId);
    } catch {
      // A synthetic pointer: the release still comes by pointerup or pointerleave.
    }
  };
  const isPressKey = (e: KeyboardEvent) =>
    e.key === ' ' || e.key === 'Enter' || e.key === 'Spacebar';

  // B1: held while the pointer or the key is down.
  const b1 = button(
    160,
    700,
    ['#2f6fe0', '#173f8f'],
    `${STM32F4DISCOVERY.button.name} USER`,
    'button-B1',
    'User button B1 (hold to press)',
  );
  let b1By: 'pointer' | 'key' | null = null;
  const pressB1 = (by: 'pointer' | 'key' | null) => {
    if ((b1By !== null) === (by !== null)) return;
    b1By = by;
    b1.look(by !== null);
    options.onButton(by !== null);
  };
  b1.g.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    capture(b1.g, e);
    pressB1('pointer');
  });
  for (const type of ['pointerup', 'pointercancel', 'pointerleave', 'lostpointercapture'])
    b1.g.addEventListener(type, () => {
      if (b1By === 'pointer') pressB1(null);
    });
  b1.g.addEventListener('keydown', (e) => {
    if (!isPressKey(e)) return;
    e.preventDefault();
    if (b1By === null) pressB1('key');
  });
  b1.g.addEventListener('keyup', (e) => {
    if (!isPressKey(e)) return;
    e.preventDefault();
    if (b1By === 'key') pressB1(null);
  });
  b1.g.addEventListener('blur', () => {
    if (b1By === 'key') pressB1(null);
  });

  // B2 (reset): pressed look while held, onReset on the click (or on Space/Enter).
  const b2 = button(
    500,
    700,
    ['#1e1f22', '#060607'],
    'B2 RESET',
    'button-reset',
    'Reset button B2',
  );
  b2.g.addEventListener('pointerdown', (e) => {
    if (e.button === 0) b2.look(true);
  });
  for (const type of ['pointerup', 'pointercancel', 'pointerleave'])
    b2.g.addEventListener(type, () => b2.look(false));
  b2.g.addEventListener('click', () => options.onReset());
  b2.g.addEventListener('keydown', (e) => {
    if (!isPressKey(e)) return;
    e.preventDefault();
    b2.look(true);
  });
  b2.g.addEventListener('keyup', (e) => {
    if (!isPressKey(e)) return;
    e.preventDefault();
    b2.look(false);
    options.onReset();
  });
  b2.g.addEventListener('blur', () => b2.look(false));
  for (const b of [b1, b2]) b.g.addEventListener('contextmenu', (e) => e.preventDefault());

  return {
    element: svg,
    setLeds(states) {
      for (const name in states) {
        const parts = leds.get(name);
        const state = states[name];
        if (parts && state !== undefined) show(parts, state);
      }
    },
    setPowered(on) {
      show(pwr, on);
    },
  };
}
