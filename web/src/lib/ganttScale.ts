// The Gantt chart's time axis: the span the bars cover and round tick steps.
import { parseDate } from './format';

export interface TimedItem {
  queued_when: string | null;
  start_date: string | null;
  end_date: string | null;
}

export interface TimeSpan {
  start: number;
  end: number;
}

/** From the first queue or start to the last end (now, for what runs). */
export function timeSpan(items: TimedItem[], now: number): TimeSpan | null {
  let start = Infinity;
  let end = -Infinity;
  for (const item of items) {
    const began = parseDate(item.queued_when)?.getTime() ?? parseDate(item.start_date)?.getTime();
    if (began === undefined) continue;
    start = Math.min(start, began);
    end = Math.max(end, parseDate(item.end_date)?.getTime() ?? (item.start_date ? now : began));
  }
  if (!Number.isFinite(start)) return null;
  // A span of zero would divide by zero; give instant tasks a sliver.
  return { start, end: Math.max(end, start + 1000) };
}

const STEPS_SECONDS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** A round step giving about `target` ticks over spanMs. */
export function tickStep(spanMs: number, target = 6): number {
  const ideal = spanMs / 1000 / target;
  const step = STEPS_SECONDS.find((candidate) => candidate >= ideal) ?? Math.ceil(ideal / 86400) * 86400;
  return step * 1000;
}

/** Offsets (ms from the span's start) of the ticks. */
export function ticks(span: TimeSpan, target = 6): number[] {
  const step = tickStep(span.end - span.start, target);
  const result: number[] = [];
  for (let offset = 0; offset <= span.end - span.start; offset += step) result.push(offset);
  return result;
}

/** Where a moment falls on the axis, in percent. */
export function percentOf(span: TimeSpan, time: number): number {
  return ((time - span.start) / (span.end - span.start)) * 100;
}
