// The one place the browser talks to the API: it adds the CSRF token to
// changes, turns error bodies into readable messages and reports a lost
// session so the app can send the user to the login page.

export type QueryValue = string | number | boolean | null | undefined | (string | number)[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  /** The media type wanted; JSON unless told otherwise. */
  accept?: string;
  signal?: AbortSignal;
}

/** An answer that was not a success, with the server's explanation. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: unknown;

  constructor(status: number, detail: unknown, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
  }

  /** The 422 entries for one field of the body, e.g. fieldErrors('conf'). */
  fieldErrors(): { field: string; message: string }[] {
    if (!Array.isArray(this.detail)) return [];
    return this.detail.map((entry: { loc?: unknown[]; msg?: string }) => {
      const loc = Array.isArray(entry.loc) ? entry.loc.filter((part) => part !== 'body') : [];
      return { field: loc.join('.'), message: entry.msg ?? '' };
    });
  }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** Kept in memory only: it comes with the session and goes with it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

export function isUnsafeMethod(method: string): boolean {
  return UNSAFE_METHODS.has(method.toUpperCase());
}

/** Builds a query string; arrays repeat their key as the API expects. */
export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((item) => params.append(key, String(item)));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The human text of an error body: {"detail": string | [{loc, msg}]}. */
export function describeError(status: number, body: unknown): string {
  const detail = body && typeof body === 'object' ? (body as { detail?: unknown }).detail : undefined;
  if (typeof detail === 'string' && detail) return detail;
  if (Array.isArray(detail) && detail.length > 0) {
    return detail
      .map((entry: { loc?: unknown[]; msg?: string }) => {
        const where = Array.isArray(entry.loc) ? entry.loc.join('.') : '';
        return where ? `${where}: ${entry.msg ?? 'invalid'}` : (entry.msg ?? 'invalid');
      })
      .join('; ');
  }
  if (detail && typeof detail === 'object') return JSON.stringify(detail);
  if (typeof body === 'string' && body.trim()) return body.trim();
  return `Request failed with status ${status}`;
}

/** Encodes one path segment; run ids hold ':' and '+' that must survive. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (isUnsafeMethod(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  const response = await fetch(path + buildQuery(options.query), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
    signal: options.signal,
  });

  if (!response.ok) {
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: keep the text, describeError shows it as it is.
    }
    const error = new ApiError(response.status, (body as { detail?: unknown } | null)?.detail ?? body, describeError(response.status, body));
    if (response.status === 401 && onUnauthorized && !path.endsWith('/auth/session')) onUnauthorized();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('Content-Type') ?? '';
  if (type.includes('application/json')) return (await response.json()) as T;
  return (await response.text()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, extra?: Omit<RequestOptions, 'query' | 'method'>) =>
    apiRequest<T>(path, { ...extra, query }),
  post: <T>(path: string, body?: unknown, query?: Query) => apiRequest<T>(path, { method: 'POST', body, query }),
  patch: <T>(path: string, body?: unknown, query?: Query) => apiRequest<T>(path, { method: 'PATCH', body, query }),
  delete: <T = void>(path: string) => apiRequest<T>(path, { method: 'DELETE' }),
};
