/**
 * f4emu's platform-neutral public API: what a browser page, a Web Worker or any other host
 * without Node gets from the bundle `npm run bundle:browser` makes (dist/browser/f4emu.js as an
 * ES module, dist/browser/f4emu.iife.js as a classic script defining the global `F4emu`).
 *
 *   const machine = new Machine();
 *   boot(machine, parseImage(bytes, 'demo.elf'));
 *   // several images: boot(machine, [kernel, { image: parseBinary(user, 0x08020000), name }])
 *   new SerialConsole(machine).expect('f4emu board demo on STM32F4Discovery');
 *
 * A page's worker drives the machine with the same Runner as the command line: `new
 * Runner(machine, { host, speed: 'realtime' })` with a host giving `now()`, `setTimer()` and
 * `yield()` (a MessageChannel), `runner.onConsoleOutput` for its terminal, `runner.input()`.
 *
 * Only the layers that run in a browser may be imported here (DESIGN.md: core, bus, clock,
 * peripherals, boards, machine, net, gdb, loader, diagnostics); tsconfig.browser.json compiles
 * them without Node's types and scripts/browser-smoke.mjs boots the demo from the bundle with
 * Node's globals absent.
 */
export { Machine, type MachineOptions } from './machine/machine.js';
export {
  boot,
  combineImages,
  loadImages,
  checkBootable,
  type BootImages,
  type BootOptions,
  type Booted,
  type ImagePart,
} from './machine/firmware.js';
export {
  SerialConsole,
  ExpectError,
  Transcript,
  type ExpectOptions,
} from './machine/serialConsole.js';
export { type SemihostingHost } from './machine/semihosting.js';
export {
  Runner,
  type RunnerHost,
  type RunnerOptions,
  type RunEnd,
  type ScriptStep,
  type DebugEndpoint,
  type Speed,
} from './machine/runner.js';
export { parseImage, parseBinary, parseIntelHex, ImageError } from './loader/image.js';
export type { LoadedImage } from './loader/image.js';
export { parseElf } from './loader/elf.js';
export { GdbServer, type GdbServerOptions } from './gdb/server.js';
export type { StopReason } from './core/cpu.js';
export { STM32F4DISCOVERY, type BoardDescription } from './boards/stm32f4discovery.js';
