// Render times of the two views that grow with volume, in headless
// Chromium against a real server: the DAG list with 1,000 DAGs, and the
// grid of a DAG with 500 tasks over 100 runs. It prints figures; it asserts
// only that the views show what they should (`make bench-ui`).
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { byTestId, launch, shot } from './browser';
import { eventually, startServer, type Server } from './server';

const DAGS = 1000;
const TASKS = 500;
const RUNS = 100;
const REPEAT = 7;

function wideDag(): string {
  // Empty tasks succeed without a process: the runs finish in seconds.
  const lines = ['dag_id: wide', 'schedule: null', 'start_date: 2026-01-01', 'max_active_runs: 100', 'tasks:'];
  for (let i = 0; i < TASKS; i++) {
    const dep = i === 0 ? '' : `depends_on: [t${String(Math.floor((i - 1) / 2)).padStart(3, '0')}]`;
    lines.push(`  t${String(i).padStart(3, '0')}: {${dep}}`);
  }
  return lines.join('\n') + '\n';
}

function manyDags(): Record<string, string> {
  const files: Record<string, string> = { 'wide.yaml': wideDag() };
  for (let i = 0; i < DAGS - 1; i++) {
    const id = `dag_${String(i).padStart(4, '0')}`;
    files[`${id}.yaml`] = `dag_id: ${id}\nschedule: "0 ${i % 24} * * *"\nstart_date: 2026-01-01\ncatchup: false\ntags: [team${i % 10}]\nowner: team${i % 10}\ntasks:\n  a: {}\n  b: {depends_on: [a]}\n`;
  }
  return files;
}

let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = await startServer({ noExamples: true, extraDags: manyDags() });
  await eventually(
    `${DAGS} DAGs parsed`,
    async () => {
      const res = await server.api<{ total_entries: number }>('GET', '/api/v2/dags?limit=1');
      return res.body.total_entries === DAGS ? true : undefined;
    },
    120_000,
  );
  await server.api('PATCH', '/api/v2/dags/wide', { is_paused: false });
  for (let i = 0; i < RUNS; i++) {
    const res = await server.api('POST', '/api/v2/dags/wide/dagRuns', {
      dag_run_id: `run_${String(i).padStart(3, '0')}`,
      logical_date: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    });
    expect(res.status).toBe(200);
  }
  await eventually(
    `${RUNS} runs of ${TASKS} tasks to finish`,
    async () => {
      const res = await server.api<{ total_entries: number }>('GET', '/api/v2/dags/wide/dagRuns?state=success&limit=1');
      return res.body.total_entries === RUNS ? true : undefined;
    },
    600_000,
  );
  browser = await launch();
  page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 } })).newPage();
  await page.goto(server.url + '/login');
  await page.fill(byTestId('login-username'), 'admin');
  await page.fill(byTestId('login-password'), server.adminPassword);
  await page.click(byTestId('login-submit'));
  await page.waitForSelector(byTestId('user-menu'));
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Milliseconds from navigation to the selector showing, REPEAT times. */
async function measure(url: string, ready: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    await page.goto('about:blank');
    const start = Date.now();
    await page.goto(url);
    await page.waitForSelector(ready, { timeout: 60_000 });
    times.push(Date.now() - start);
  }
  return times.sort((a, b) => a - b);
}

function report(what: string, times: number[]) {
  const median = times[Math.floor(times.length / 2)];
  console.log(`${what}: median ${median} ms, min ${times[0]} ms, max ${times[times.length - 1]} ms (${times.length} loads)`);
}

test(
  'DAG list of 1,000 DAGs',
  async () => {
    const times = await measure(server.url + '/dags', byTestId('dag-row-dag_0000'));
    report(`DAG list, ${DAGS} DAGs (first page)`, times);
    const rows = await page.locator('[data-testid^="dag-row-"]').count();
    expect(rows).toBeGreaterThan(0);
    await shot(page, 'bench-dag-list');
  },
  300_000,
);

test(
  'grid of 100 runs x 500 tasks',
  async () => {
    const last = `run_${String(RUNS - 1).padStart(3, '0')}`;
    const url = `${server.url}/dags/wide?limit=${RUNS}`;
    const times = await measure(url, `${byTestId(`grid-cell-${last}-t000`)}[data-state="success"]`);
    report(`grid, ${RUNS} runs x ${TASKS} tasks`, times);
    // Only what is in view is drawn: some runs and rows, not 50,000 cells.
    const runs = await page.locator('[data-testid^="grid-run-"]').count();
    const cells = await page.locator('[data-testid^="grid-cell-"]').count();
    console.log(`grid, in the DOM: ${runs} run headers, ${cells} cells`);
    expect(runs).toBeGreaterThan(0);
    await shot(page, 'bench-grid');
    // Scrolled to the last task, the rows there are drawn.
    const start = Date.now();
    await page.$eval(byTestId('grid'), (el) => (el.scrollTop = el.scrollHeight));
    await page.waitForSelector(`${byTestId(`grid-cell-${last}-t499`)}[data-state="success"]`);
    console.log(`grid, scroll to the last task: ${Date.now() - start} ms`);
  },
  300_000,
);
