// Starts a real `updraft standalone` (the binary `make build` writes to
// bin/updraft) on a free port, with its own data directory and a copy of
// the example DAGs, and stops it when the tests are done.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');

export interface Server {
  url: string;
  dataDir: string;
  dagsDir: string;
  adminPassword: string;
  /** A bearer token of the admin, for checks made beside the browser. */
  token: string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
  output(): string;
}

export interface StartOptions {
  /** Extra DAG files to put beside the examples, by file name. */
  extraDags?: Record<string, string>;
  /** Start with no example DAGs, only extraDags. */
  noExamples?: boolean;
}

export async function startServer(opts: StartOptions = {}): Promise<Server> {
  const root = mkdtempSync(join(tmpdir(), 'updraft-ui-e2e-'));
  const dataDir = join(root, 'data');
  const dagsDir = join(root, 'dags');
  if (opts.noExamples) {
    cpSync(join(repo, 'examples/dags'), dagsDir, { recursive: true, filter: (src) => !src.endsWith('.yaml') });
  } else {
    cpSync(join(repo, 'examples/dags'), dagsDir, { recursive: true });
  }
  for (const [name, text] of Object.entries(opts.extraDags ?? {})) {
    writeFileSync(join(dagsDir, name), text);
  }
  const bin = process.env.UPDRAFT_BIN ?? join(repo, 'bin/updraft');
  const child: ChildProcess = spawn(
    bin,
    ['standalone', '--data-dir', dataDir, '--dags-folder', dagsDir, '--api-address', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((done) => child.on('exit', () => done()));

  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`updraft did not print its UI address in 30 s:\n${output}`)), 30_000);
    const look = () => {
      const m = /ui:\s+(http:\/\/\S+?)\/?\s/.exec(output);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    child.stderr?.on('data', look);
    child.stdout?.on('data', look);
    child.on('exit', (code) => fail(new Error(`updraft exited with ${code}:\n${output}`)));
  });
  const adminPassword = readFileSync(join(dataDir, 'standalone_admin_password.txt'), 'utf8').trim();

  const api = async <T>(method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const login = await api<{ access_token: string }>('POST', '/auth/token', { username: 'admin', password: adminPassword });
  if (login.status !== 201) throw new Error(`admin login: ${login.status} ${JSON.stringify(login.body)}`);
  const token = login.body.access_token;

  return {
    url,
    dataDir,
    dagsDir,
    adminPassword,
    token,
    api: (method, path, body) => api(method, path, body, token),
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls check until it returns a value other than undefined. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
