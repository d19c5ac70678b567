// The web UI in a real headless Chromium against a real `updraft
// standalone` running the example DAGs: sign in, trigger, watch the grid,
// show times in another zone, read logs, see the failing example, clear it,
// and be refused as a Viewer.
// Each view is kept as a screenshot under e2e/.artifacts/screenshots.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { byTestId, launch, shot } from './browser';
import { eventually, startServer, type Server } from './server';

interface Run {
  dag_run_id: string;
  state: string;
}
interface TI {
  state: string | null;
  try_number: number;
}

// A file that does not parse: the DAG list shows an import error for it.
const brokenDag = `dag_id: broken
tasks:
  a:
    depends_on: [nowhere]
    command: [echo, a]
`;

let server: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  server = await startServer({ extraDags: { 'broken.yaml': brokenDag } });
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function signIn(p: Page, username: string, password: string) {
  await p.goto(server.url + '/dags');
  await p.waitForURL(/\/login/);
  await p.fill(byTestId('login-username'), username);
  await p.fill(byTestId('login-password'), password);
  await p.click(byTestId('login-submit'));
  await p.waitForSelector(byTestId('user-menu'));
}

async function latestRun(dagId: string): Promise<Run> {
  return eventually(`a run of ${dagId}`, async () => {
    const res = await server.api<{ dag_runs: Run[] }>('GET', `/api/v2/dags/${dagId}/dagRuns?order_by=-id&limit=1`);
    return res.body.dag_runs[0];
  });
}

async function taskInstance(dagId: string, runId: string, taskId: string): Promise<TI> {
  const res = await server.api<TI>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}`);
  return res.body;
}

describe('as an admin', () => {
  test('signing in: a wrong password is refused, the right one shows the user and role', async () => {
    await page.goto(server.url + '/');
    await page.waitForURL(/\/login/);
    await shot(page, '01-login');
    await page.fill(byTestId('login-username'), 'admin');
    await page.fill(byTestId('login-password'), 'not the password');
    await page.click(byTestId('login-submit'));
    await expect.poll(() => page.textContent(byTestId('login-error'))).toMatch(/Invalid username or password/);

    await page.fill(byTestId('login-password'), server.adminPassword);
    await page.click(byTestId('login-submit'));
    const menu = await page.waitForSelector(byTestId('user-menu'));
    expect(await menu.textContent()).toMatch(/admin/);
    expect(await menu.textContent()).toMatch(/Admin/);
  });

  test('the DAG list shows the examples and the import error of the broken file', async () => {
    await page.goto(server.url + '/dags');
    await page.waitForSelector(byTestId('dag-row-fan_out'));
    for (const id of ['daily_catchup', 'flaky_retry', 'kubernetes_sample', 'ml_pipeline']) {
      await page.waitForSelector(byTestId(`dag-row-${id}`));
    }
    const banner = await page.waitForSelector(byTestId('import-errors-banner'));
    expect(await banner.textContent()).toMatch(/1/);
    await shot(page, '02-dag-list');
    await banner.click();
    const dialog = await page.waitForSelector(byTestId('import-errors-dialog'));
    const text = await dialog.textContent();
    expect(text).toContain('broken.yaml');
    expect(text).toContain('nowhere');
    await shot(page, '03-import-errors');
    await page.keyboard.press('Escape');

    // Search narrows the list.
    await page.fill(byTestId('dag-search'), 'fan');
    await expect.poll(() => page.locator('[data-testid^="dag-row-"]').count()).toBe(1);
    await page.fill(byTestId('dag-search'), '');
    await expect.poll(() => page.locator('[data-testid^="dag-row-"]').count()).toBe(5);
  });

  test('trigger fan_out and watch it succeed in the grid, graph and Gantt chart', async () => {
    await page.goto(server.url + '/dags/fan_out');
    await page.click(byTestId('trigger-button'));
    await page.waitForSelector(byTestId('trigger-form'));
    await shot(page, '04-trigger-form');
    await page.click(byTestId('trigger-submit'));

    const run = await latestRun('fan_out');
    await page.goto(server.url + '/dags/fan_out');
    await page.waitForSelector(byTestId('grid'));
    // The page updates by itself: no reload from here on.
    await page.waitForSelector(`${byTestId(`grid-run-${run.dag_run_id}`)}[data-state="success"]`, { timeout: 60_000 });
    for (const task of ['start', 'shard_0', 'shard_7', 'join']) {
      const cell = page.locator(byTestId(`grid-cell-${run.dag_run_id}-${task}`));
      await expect.poll(() => cell.getAttribute('data-state')).toBe('success');
    }
    await shot(page, '05-grid');

    await page.click(byTestId('tab-graph'));
    await page.waitForSelector(`${byTestId('graph-node-join')}[data-state="success"]`);
    expect(await page.locator('[data-testid^="graph-node-"]').count()).toBe(10);
    await shot(page, '06-graph');

    await page.click(byTestId('tab-gantt'));
    await page.waitForSelector(`${byTestId('gantt-bar-join')}[data-state="success"]`);
    await shot(page, '07-gantt');

    await page.click(byTestId('tab-code'));
    const code = await page.waitForSelector(byTestId('code-view'));
    expect(await code.textContent()).toContain('dag_id: fan_out');
    await shot(page, '08-code');

    await page.click(byTestId('tab-details'));
    await shot(page, '09-details');
  });

  test('times follow the time zone chosen in the topbar, and the choice survives a reload', async () => {
    const run = await latestRun('fan_out');
    // The run's join task: a run page's own URL ends in the run id, whose
    // dot the server takes for a file's extension on a reload.
    await page.goto(`${server.url}/dags/fan_out/runs/${encodeURIComponent(run.dag_run_id)}/tasks/join`);
    const select = page.locator(byTestId('timezone-select'));
    const zoneName = page.locator(byTestId('timezone-name'));
    // A time the panel shows (when join started): its text against its dateTime attribute.
    const time = page.locator(`${byTestId('ti-details')} time`).first();
    await time.waitFor();
    const iso = (await time.getAttribute('datetime'))!;
    const utcPlus = (minutes: number) =>
      new Date(Date.parse(iso) + minutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');
    expect(await select.inputValue()).toBe('UTC');
    expect(await zoneName.textContent()).toBe('UTC');
    expect(await time.textContent()).toBe(utcPlus(0));

    await select.selectOption('Asia/Kolkata');
    await expect.poll(() => time.textContent()).toBe(utcPlus(5 * 60 + 30));
    expect(await zoneName.textContent()).toBe('GMT+5:30');
    await shot(page, '19-time-zone');

    await page.reload();
    await time.waitFor();
    expect(await select.inputValue()).toBe('Asia/Kolkata');
    expect(await time.getAttribute('datetime')).toBe(iso);
    expect(await time.textContent()).toBe(utcPlus(5 * 60 + 30));

    // The Gantt chart's start says the zone too.
    await page.goto(`${server.url}/dags/fan_out`);
    await page.click(byTestId('tab-gantt'));
    await expect.poll(() => page.textContent(byTestId('gantt-started'))).toMatch(/^Started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\+5:30$/);

    // Back to UTC for the tests that follow.
    await select.selectOption('UTC');
    await expect.poll(() => page.textContent(byTestId('gantt-started'))).toMatch(/ UTC$/);
    expect(await page.evaluate(() => localStorage.getItem('updraft-timezone'))).toBe('UTC');
  });

  test('trigger ml_pipeline from its params form and read a task log, XCom and rendered command', async () => {
    await page.goto(server.url + '/dags/ml_pipeline');
    await page.click(byTestId('trigger-button'));
    await page.waitForSelector(byTestId('trigger-form'));
    const epochs = page.locator(byTestId('param-epochs'));
    expect(await epochs.inputValue()).toBe('3');
    // Out of the param's range: the form says so and sends nothing.
    await epochs.fill('1000');
    await page.click(byTestId('trigger-submit'));
    await page.waitForSelector(byTestId('trigger-error'));
    await epochs.fill('2');
    await page.click(byTestId('trigger-submit'));
    await eventually('the manual run', async () => {
      const res = await server.api<{ dag_runs: (Run & { conf: Record<string, unknown> })[] }>(
        'GET',
        '/api/v2/dags/ml_pipeline/dagRuns?run_type=manual',
      );
      return res.body.dag_runs.find((r) => r.conf.epochs === 2);
    });
    const runs = await server.api<{ dag_runs: (Run & { conf: Record<string, unknown> })[] }>(
      'GET',
      '/api/v2/dags/ml_pipeline/dagRuns?run_type=manual',
    );
    const run = runs.body.dag_runs.find((r) => r.conf.epochs === 2)!;
    await eventually('train to succeed', async () =>
      (await taskInstance('ml_pipeline', run.dag_run_id, 'train')).state === 'success' ? true : undefined,
    );

    await page.goto(`${server.url}/dags/ml_pipeline/runs/${encodeURIComponent(run.dag_run_id)}/tasks/train`);
    const state = page.locator(byTestId('ti-state'));
    await expect.poll(() => state.getAttribute('data-state')).toBe('success');
    await expect.poll(() => page.textContent(byTestId('log-view'))).toContain('epoch 2/2');
    await shot(page, '10-task-log');
    expect(await page.locator(byTestId('log-download')).count()).toBe(1);

    await page.goto(`${server.url}/dags/ml_pipeline/runs/${encodeURIComponent(run.dag_run_id)}/tasks/prepare`);
    await page.getByRole('tab', { name: /XCom/i }).click();
    await expect.poll(() => page.textContent(byTestId('xcom-table'))).toContain('dataset.csv');
    await shot(page, '11-xcom');
    await page.getByRole('tab', { name: /Rendered/i }).click();
    await expect.poll(() => page.textContent(byTestId('rendered-fields'))).toContain('seq 1 1000');
    await page.getByRole('tab', { name: /Attempts|Tries/i }).click();
    await page.waitForSelector(byTestId('tries-table'));
  });

  test('the failing example shows red; clearing it runs it again', async () => {
    const run = await latestRun('kubernetes_sample');
    // It fails after its retry (10 s apart).
    await eventually(
      'failing-task to fail',
      async () => ((await taskInstance('kubernetes_sample', run.dag_run_id, 'failing-task')).state === 'failed' ? true : undefined),
      90_000,
    );
    await page.goto(server.url + '/dags/kubernetes_sample');
    const cell = page.locator(byTestId(`grid-cell-${run.dag_run_id}-failing-task`));
    await expect.poll(() => cell.getAttribute('data-state')).toBe('failed');
    expect(await cell.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 0, 0)');
    const passing = page.locator(byTestId(`grid-cell-${run.dag_run_id}-passing-task`));
    await expect.poll(() => passing.getAttribute('data-state')).toBe('success');
    await shot(page, '12-failed-in-red');

    const before = await taskInstance('kubernetes_sample', run.dag_run_id, 'failing-task');
    await page.goto(`${server.url}/dags/kubernetes_sample/runs/${encodeURIComponent(run.dag_run_id)}/tasks/failing-task`);
    await expect.poll(() => page.textContent(byTestId('log-view'))).toMatch(/Python/);
    await page.click(byTestId('action-clear'));
    await page.waitForSelector(byTestId('clear-dialog'));
    const preview = page.locator(`${byTestId('clear-preview')} [data-task-id]`);
    await expect.poll(() => preview.evaluateAll((els) => els.map((e) => e.getAttribute('data-task-id')))).toEqual([
      'failing-task',
    ]);
    await shot(page, '13-clear-preview');
    await page.click(byTestId('clear-confirm'));

    // It runs again: a new try, which the page follows.
    await eventually('a new try of failing-task', async () => {
      const ti = await taskInstance('kubernetes_sample', run.dag_run_id, 'failing-task');
      return ti.try_number > before.try_number ? ti : undefined;
    });
    await expect
      .poll(() => page.locator(byTestId('ti-state')).getAttribute('data-state'), { timeout: 60_000 })
      .not.toBe('failed');
  });

  test('admin pages', async () => {
    await server.api('POST', '/api/v2/variables', { key: 'warehouse_password', value: 'hunter2-hunter2' });
    await page.goto(server.url + '/variables');
    const row = await page.waitForSelector(byTestId('variable-row-warehouse_password'));
    expect(await row.textContent()).not.toContain('hunter2-hunter2');
    await shot(page, '14-variables');
    await page.goto(server.url + '/connections');
    await page.waitForSelector(byTestId('connections-table'));
    await page.goto(server.url + '/pools');
    await expect.poll(() => page.textContent(byTestId('pools-table'))).toContain('default_pool');
    await shot(page, '15-pools');
    await page.goto(server.url + '/users');
    await page.waitForSelector(byTestId('user-row-admin'));
    await shot(page, '16-users');
  });

  test('dark mode', async () => {
    await page.goto(server.url + '/dags/fan_out');
    await page.waitForSelector(byTestId('grid'));
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    await page.click(byTestId('theme-toggle'));
    await expect.poll(bg).not.toBe(light);
    await shot(page, '17-dark-grid');
    await page.click(byTestId('theme-toggle'));
    await expect.poll(bg).toBe(light);
  });
});

describe('as a viewer', () => {
  let viewer: Page;

  beforeAll(async () => {
    const created = await server.api('POST', '/api/v2/users', {
      username: 'vera',
      password: 'only-looking-here',
      role: 'Viewer',
    });
    expect(created.status).toBe(201);
    viewer = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    viewer.setDefaultTimeout(30_000);
    await signIn(viewer, 'vera', 'only-looking-here');
  });

  test('actions are not offered, and the server refuses them anyway', async () => {
    expect(await viewer.textContent(byTestId('user-menu'))).toMatch(/Viewer/);
    // No admin pages in the menu.
    expect(await viewer.locator('a[href="/variables"]').count()).toBe(0);

    await viewer.goto(server.url + '/dags/fan_out');
    await viewer.waitForSelector(byTestId('grid'));
    const trigger = viewer.locator(byTestId('trigger-button'));
    expect((await trigger.count()) === 0 || (await trigger.isDisabled())).toBe(true);
    expect(await viewer.locator(byTestId('pause-toggle')).isDisabled()).toBe(true);

    const run = await latestRun('fan_out');
    await viewer.goto(`${server.url}/dags/fan_out/runs/${encodeURIComponent(run.dag_run_id)}/tasks/join`);
    await viewer.waitForSelector(byTestId('ti-state'));
    expect(await viewer.locator(byTestId('action-clear')).isDisabled()).toBe(true);
    await shot(viewer, '18-viewer-refused');

    // The page's own session, CSRF token and all, cannot trigger a run.
    const answer = await viewer.evaluate(async () => {
      const session = await (await fetch('/api/v2/auth/session')).json();
      const res = await fetch('/api/v2/dags/fan_out/dagRuns', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token },
        body: '{}',
      });
      return { status: res.status, body: await res.text() };
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('Viewer');
  });

  test('signing out ends the session', async () => {
    await viewer.click(byTestId('user-menu'));
    await viewer.click(byTestId('logout'));
    await viewer.waitForURL(/\/login/);
    const status = await viewer.evaluate(async () => (await fetch('/api/v2/auth/session')).status);
    expect(status).toBe(401);
  });
});
