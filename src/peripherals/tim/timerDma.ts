/**
 * The timers' DMA requests on the DMA streams (RM0090 table 42, DMA1, and table 43, DMA2), and
 * their acknowledge: a timer request is an event, not a status level, so the stream's transfer
 * acknowledges it (./timer.ts drops it then, or keeps it up through a DCR/DMAR burst). Requests
 * that share a stream and channel (TIM2_UP/TIM2_CH3 ...) are ORed onto it, and one transfer
 * acknowledges them all.
 */
import type { DmaController } from '../dma/dma.js';
import type { Timer, TimerDmaRequest } from './timer.js';

export interface TimerDmaMapping {
  dma: 'DMA1' | 'DMA2';
  stream: number;
  channel: number;
  timer: string;
  requests: readonly TimerDmaRequest[];
}

const m = (
  dma: 'DMA1' | 'DMA2',
  stream: number,
  channel: number,
  timer: string,
  ...requests: TimerDmaRequest[]
): TimerDmaMapping => ({ dma, stream, channel, timer, requests });

/** RM0090 tables 42 and 43, the timer entries. */
export const TIMER_DMA_REQUESTS: readonly TimerDmaMapping[] = [
  // DMA1 channel 1: TIM7_UP on streams 2 and 4.
  m('DMA1', 2, 1, 'TIM7', 'up'),
  m('DMA1', 4, 1, 'TIM7', 'up'),
  // DMA1 channel 2: TIM4.
  m('DMA1', 0, 2, 'TIM4', 'cc1'),
  m('DMA1', 3, 2, 'TIM4', 'cc2'),
  m('DMA1', 6, 2, 'TIM4', 'up'),
  m('DMA1', 7, 2, 'TIM4', 'cc3'),
  // DMA1 channel 3: TIM2.
  m('DMA1', 1, 3, 'TIM2', 'up', 'cc3'),
  m('DMA1', 5, 3, 'TIM2', 'cc1'),
  m('DMA1', 6, 3, 'TIM2', 'cc2', 'cc4'),
  m('DMA1', 7, 3, 'TIM2', 'up', 'cc4'),
  // DMA1 channel 5: TIM3.
  m('DMA1', 2, 5, 'TIM3', 'cc4', 'up'),
  m('DMA1', 4, 5, 'TIM3', 'cc1', 'trig'),
  m('DMA1', 5, 5, 'TIM3', 'cc2'),
  m('DMA1', 7, 5, 'TIM3', 'cc3'),
  // DMA1 channel 6: TIM5.
  m('DMA1', 0, 6, 'TIM5', 'cc3', 'up'),
  m('DMA1', 1, 6, 'TIM5', 'cc4', 'trig'),
  m('DMA1', 2, 6, 'TIM5', 'cc1'),
  m('DMA1', 3, 6, 'TIM5', 'cc4', 'trig'),
  m('DMA1', 4, 6, 'TIM5', 'cc2'),
  m('DMA1', 6, 6, 'TIM5', 'up'),
  // DMA1 channel 7: TIM6_UP on stream 1.
  m('DMA1', 1, 7, 'TIM6', 'up'),
  // DMA2 channel 0: TIM8_CH1/CH2/CH3 on stream 2, TIM1_CH1/CH2/CH3 on stream 6.
  m('DMA2', 2, 0, 'TIM8', 'cc1', 'cc2', 'cc3'),
  m('DMA2', 6, 0, 'TIM1', 'cc1', 'cc2', 'cc3'),
  // DMA2 channel 6: TIM1.
  m('DMA2', 0, 6, 'TIM1', 'trig'),
  m('DMA2', 1, 6, 'TIM1', 'cc1'),
  m('DMA2', 2, 6, 'TIM1', 'cc2'),
  m('DMA2', 3, 6, 'TIM1', 'cc1'),
  m('DMA2', 4, 6, 'TIM1', 'cc4', 'trig', 'com'),
  m('DMA2', 5, 6, 'TIM1', 'up'),
  m('DMA2', 6, 6, 'TIM1', 'cc3'),
  // DMA2 channel 7: TIM8.
  m('DMA2', 1, 7, 'TIM8', 'up'),
  m('DMA2', 2, 7, 'TIM8', 'cc1'),
  m('DMA2', 3, 7, 'TIM8', 'cc2'),
  m('DMA2', 4, 7, 'TIM8', 'cc3'),
  m('DMA2', 7, 7, 'TIM8', 'cc4', 'trig', 'com'),
];

/** Connects the timers' DMA requests to the streams of tables 42/43. */
export function connectTimerDma(dmas: readonly DmaController[], timers: readonly Timer[]): void {
  for (const map of TIMER_DMA_REQUESTS) {
    const dma = dmas.find((d) => d.name === map.dma);
    const timer = timers.find((t) => t.name === map.timer);
    if (!dma || !timer) continue;
    const line = dma.requestLine(map.stream, map.channel, () => timer.acknowledgeDma(map.requests));
    // The line is the OR of the requests that share it.
    const levels = map.requests.map(() => false);
    map.requests.forEach((request, i) =>
      timer.connectDma(request, (level) => {
        levels[i] = level;
        line.set(levels.some((l) => l));
      }),
    );
  }
}
