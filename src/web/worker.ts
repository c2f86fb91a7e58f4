/**
 * The board's Web Worker: a BoardSession (session.ts) driven by the page's messages. The guest
 * runs here at full speed while the page's thread only draws; between slices the Runner yields
 * through a MessageChannel (a timer would be clamped to 4 ms), so commands, input and timers
 * are served at every slice boundary.
 */
import type { RunnerHost } from '../machine/runner.js';
import type { PageCommand, WorkerEvent } from './protocol.js';
import { BoardSession } from './session.js';

const scope = self as unknown as {
  postMessage(message: WorkerEvent, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<PageCommand>) => void) | null;
};

const channel = new MessageChannel();
const yielded: (() => void)[] = [];
channel.port1.onmessage = () => yielded.shift()?.();

const host: RunnerHost = {
  now: () => performance.now(),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  yield: () =>
    new Promise<void>((resolve) => {
      yielded.push(resolve);
      channel.port2.postMessage(0);
    }),
};

const session = new BoardSession(host, (event, transfer) => scope.postMessage(event, transfer));
scope.onmessage = (event) => session.handle(event.data);
scope.postMessage({ type: 'ready' });
