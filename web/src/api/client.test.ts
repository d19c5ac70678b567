import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { ApiError, api, buildQuery, describeError, setCsrfToken, setUnauthorizedHandler } from './client';

function answer(status: number, body: unknown, type = 'application/json') {
  return new Response(status === 204 ? null : typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': type } });
}

describe('API client', () => {
  const fetchMock = vi.fn();
  beforeEach(() => {
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
    setCsrfToken('tok-123');
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    setCsrfToken(null);
    setUnauthorizedHandler(null);
  });

  const headersOf = (call: number) => fetchMock.mock.calls[call][1].headers as Record<string, string>;

  test('X-CSRF-Token goes on changes only', async () => {
    fetchMock.mockImplementation(() => Promise.resolve(answer(200, {})));
    await api.get('/api/v2/dags');
    await api.post('/api/v2/dags/x/dagRuns', {});
    await api.patch('/api/v2/dags/x', { is_paused: true });
    fetchMock.mockImplementationOnce(() => Promise.resolve(answer(204, null)));
    await api.delete('/api/v2/variables/k');
    expect(headersOf(0)['X-CSRF-Token']).toBeUndefined();
    expect(headersOf(1)['X-CSRF-Token']).toBe('tok-123');
    expect(headersOf(2)['X-CSRF-Token']).toBe('tok-123');
    expect(headersOf(3)['X-CSRF-Token']).toBe('tok-123');
    expect(fetchMock.mock.calls[1][1].body).toBe('{}');
    expect(headersOf(1)['Content-Type']).toBe('application/json');
  });

  test('no token before sign-in: none is sent', async () => {
    setCsrfToken(null);
    fetchMock.mockResolvedValue(answer(201, {}));
    await api.post('/api/v2/auth/session', { username: 'a', password: 'b' });
    expect(headersOf(0)['X-CSRF-Token']).toBeUndefined();
  });

  test('a string detail becomes the message', async () => {
    fetchMock.mockResolvedValue(answer(403, { detail: 'Forbidden: the Viewer role may not DAG_RUN:create' }));
    const error = (await api.post('/api/v2/dags/x/dagRuns', {}).catch((e) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(403);
    expect(error.message).toBe('Forbidden: the Viewer role may not DAG_RUN:create');
  });

  test('422 entries become "where: what" and field errors', async () => {
    fetchMock.mockResolvedValue(answer(422, { detail: [{ loc: ['body', 'conf', 'epochs'], msg: 'must be at most 100', type: 'maximum' }] }));
    const error = (await api.post('/x', {}).catch((e) => e)) as ApiError;
    expect(error.message).toBe('body.conf.epochs: must be at most 100');
    expect(error.fieldErrors()).toEqual([{ field: 'conf.epochs', message: 'must be at most 100' }]);
  });

  test('a 401 reports the lost session, except from the session endpoint itself', async () => {
    const lost = vi.fn();
    setUnauthorizedHandler(lost);
    fetchMock.mockImplementation(() => Promise.resolve(answer(401, { detail: 'Not authenticated' })));
    await api.get('/api/v2/auth/session').catch(() => undefined);
    expect(lost).not.toHaveBeenCalled();
    await api.get('/api/v2/dags').catch(() => undefined);
    expect(lost).toHaveBeenCalledTimes(1);
  });

  test('text answers and 204', async () => {
    fetchMock.mockResolvedValueOnce(answer(200, 'line 1\n', 'text/plain'));
    expect(await api.get('/log', undefined, { accept: 'text/plain' })).toBe('line 1\n');
    expect(headersOf(0).Accept).toBe('text/plain');
    fetchMock.mockResolvedValueOnce(answer(204, null));
    expect(await api.delete('/api/v2/pools/p')).toBeUndefined();
  });

  test('queries: arrays repeat, empty values are left out', () => {
    expect(buildQuery({ tags: ['a', 'b'], paused: false, dag_id_pattern: '', limit: 50, x: undefined })).toBe('?tags=a&tags=b&paused=false&limit=50');
    expect(buildQuery({})).toBe('');
  });

  test('describeError without a detail', () => {
    expect(describeError(500, null)).toBe('Request failed with status 500');
    expect(describeError(502, 'Bad gateway')).toBe('Bad gateway');
  });
});
