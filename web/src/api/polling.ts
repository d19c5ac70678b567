// How often views re-ask the server. Every GET is re-validated with its ETag,
// so an unchanged answer costs a 304 and no re-render.
export const POLL_ACTIVE_MS = 2500;
export const POLL_IDLE_MS = 10000;
export const POLL_LOG_MS = 1000;

export function pollInterval(active: boolean): number {
  return active ? POLL_ACTIVE_MS : POLL_IDLE_MS;
}
