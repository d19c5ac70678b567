// Following a try's log: each answer holds what follows the continuation
// token; merging appends it, and says whether anything new arrived so the
// view re-renders only then.
import type { LogChunk, LogLine } from '../api/types';

export interface LogState {
  lines: LogLine[];
  /** Where the next request continues from; null before the first answer. */
  token: string | null;
  /** Requests answered so far (0: the log was never loaded). */
  loads: number;
}

export const EMPTY_LOG: LogState = { lines: [], token: null, loads: 0 };

/**
 * Adds an answer to what was read. Returns the same object when the answer
 * adds nothing and the token did not move, so React skips the update.
 */
export function mergeLogChunk(state: LogState, chunk: LogChunk): LogState {
  const token = chunk.continuation_token ?? state.token;
  if (chunk.content.length === 0 && token === state.token && state.loads > 0) return state;
  return {
    lines: chunk.content.length ? state.lines.concat(chunk.content) : state.lines,
    token,
    loads: state.loads + 1,
  };
}

/** Whether to ask again at once: a chunk came, so more may be waiting. */
export function shouldReadMore(chunk: LogChunk): boolean {
  return chunk.content.length > 0 && chunk.continuation_token !== null;
}

/** The whole log as text, for saving to a file. */
export function logAsText(lines: LogLine[]): string {
  return lines.map((line) => (line.timestamp ? `[${line.timestamp}] ${line.event}` : line.event)).join('\n') + (lines.length ? '\n' : '');
}

/** The file name a downloaded log gets. */
export function logFileName(dagId: string, runId: string, taskId: string, tryNumber: number): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9_.-]+/g, '_');
  return `${safe(dagId)}__${safe(runId)}__${safe(taskId)}__try${tryNumber}.log`;
}
