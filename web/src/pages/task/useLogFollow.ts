// Reads a try's log chunk by chunk with the continuation token, and keeps
// asking every second while the try runs.
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/client';
import { paths } from '../../api/paths';
import { POLL_LOG_MS } from '../../api/polling';
import type { LogChunk } from '../../api/types';
import { EMPTY_LOG, mergeLogChunk, shouldReadMore, type LogState } from '../../lib/logFollow';

interface LogTarget {
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber: number;
}

export function useLogFollow(target: LogTarget, live: boolean): { log: LogState; error: unknown } {
  const { dagId, runId, taskId, tryNumber } = target;
  const targetKey = `${dagId}\u0000${runId}\u0000${taskId}\u0000${tryNumber}`;
  const [log, setLog] = useState<LogState>(EMPTY_LOG);
  const [error, setError] = useState<unknown>(null);
  // What was read so far, for this target; survives the live flag changing,
  // so the last read after a try finishes continues where following stopped.
  const progress = useRef<{ key: string; state: LogState }>({ key: targetKey, state: EMPTY_LOG });

  useEffect(() => {
    if (progress.current.key !== targetKey) {
      progress.current = { key: targetKey, state: EMPTY_LOG };
      setLog(EMPTY_LOG);
      setError(null);
    }
    if (tryNumber < 1) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;

    const read = async () => {
      try {
        const token = progress.current.state.token;
        const chunk = await api.get<LogChunk>(paths.log(dagId, runId, taskId, tryNumber), { token: token ?? undefined }, { signal: controller.signal });
        const merged = mergeLogChunk(progress.current.state, chunk);
        progress.current = { key: targetKey, state: merged };
        setLog(merged);
        setError(null);
        if (shouldReadMore(chunk)) timer = setTimeout(read, 0);
        else if (live) timer = setTimeout(read, POLL_LOG_MS);
      } catch (failure) {
        if (controller.signal.aborted) return;
        setError(failure);
        if (live) timer = setTimeout(read, POLL_LOG_MS * 3);
      }
    };
    timer = setTimeout(read, 0);
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [targetKey, dagId, runId, taskId, tryNumber, live]);

  return { log, error };
}
