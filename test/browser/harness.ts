/**
 * Browser tests of the web application (web/): the API app listening on a free port with a real
 * worker, and Debian's Chromium driven by playwright-core. Each signed-in user has a browser
 * context of their own (the development token lives in sessionStorage). Screenshots of every
 * page go to test-artifacts/browser/ (gitignored).
 */
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Browser, BrowserContext, chromium, Locator, Page } from 'playwright-core';
import type { Db } from '../../lib/db';
import { testApp, testDb } from '../support/env';
import { startTestWorker, TestWorker } from '../support/worker';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'browser');

export interface WebHarness {
  db: Db;
  base: string;
  browser: Browser;
  /** Script errors in any page: a test ends by expecting none. */
  pageErrors: string[];
  /** Requests a page made to any other origin (every asset must come from this system): expected none. */
  foreignRequests: string[];
  /** A new browser context signed in as `login` through the login picker. */
  signIn(login: string): Promise<Page>;
  /** The API as `login`, for arranging data the test is not about. */
  apiAs(
    login: string,
    method: string,
    url: string,
    body?: object,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startWebHarness(): Promise<WebHarness> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium fonts-noto-cjk (as .ci/run does), or set CHROMIUM_PATH`,
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  const db = testDb();
  const worker: TestWorker = await startTestWorker(db);
  const { app } = testApp(db, { TEMPORAL_TASK_QUEUE: worker.taskQueue, TEMPORAL_UI_URL: 'http://localhost:8233' });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Root in CI: Chromium's sandbox needs an unprivileged user, so it runs without it (a test browser on test pages).
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
  const contexts: BrowserContext[] = [];
  const tokens = new Map<string, string>();
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];

  return {
    db,
    base,
    browser,
    pageErrors,
    foreignRequests,
    async signIn(login) {
      // The browser's own zone is UTC: the pages must still show deadlines in Shanghai time.
      const context = await browser.newContext({
        locale: 'zh-CN',
        timezoneId: 'UTC',
        viewport: { width: 1280, height: 900 },
      });
      context.setDefaultTimeout(15_000);
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(`${login}: ${err.message}`));
      page.on('request', (req) => {
        const url = req.url();
        if (!url.startsWith(`${base}/`) && !url.startsWith('data:')) foreignRequests.push(url);
      });
      await page.goto(`${base}/web/`);
      await page.getByLabel('用户').selectOption(login);
      await page.getByRole('button', { name: '登录' }).click();
      await page.getByRole('button', { name: '退出' }).waitFor();
      await page.locator('#who').getByText(`（${login}）`).waitFor();
      return page;
    },
    async apiAs(login, method, url, body) {
      if (!tokens.has(login)) {
        const res = await fetch(`${base}/api/dev/tokens`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ login }),
        });
        tokens.set(login, ((await res.json()) as { token: string }).token);
      }
      const res = await fetch(`${base}${url}`, {
        method,
        headers: { authorization: `Bearer ${tokens.get(login)}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: ((await res.json().catch(() => null)) ?? {}) as Record<string, unknown> };
    },
    async close() {
      await Promise.all(contexts.map((c) => c.close().catch(() => {})));
      await browser.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await worker.stop();
      await db.$disconnect();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Opens `hash` and reloads it until `locator` shows, for rows the procedure creates a moment after
 * the action (a worker opens the next task). Bounded: fails after `timeoutMs`.
 */
export async function reloadUntilVisible(
  page: Page,
  hash: string,
  locator: Locator,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  await page.goto(`${new URL(page.url()).origin}/web/${hash}`);
  for (;;) {
    try {
      await page.locator('main:not([aria-busy])').waitFor();
      await locator.waitFor({ timeout: 1_000 });
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await page.reload();
    }
  }
}

/** The inbox row of a case and step, opened and claimed-or-not as it stands. */
export function inboxRow(page: Page, caseNo: string, step: string): Locator {
  return page.locator(`tr[data-step="${step}"]`).filter({ hasText: caseNo });
}

/** Opens the task of a case and step from the inbox, waiting until the procedure has opened it. */
export async function openTask(page: Page, caseNo: string, step: string): Promise<void> {
  const row = inboxRow(page, caseNo, step);
  await reloadUntilVisible(page, `#/inbox?no=${encodeURIComponent(caseNo)}`, row);
  await row.getByRole('link').click();
  await page.getByRole('heading', { name: '作出决定' }).waitFor();
}

/** Chooses a decision in the open task page and submits it; waits for the confirmation. */
export async function decide(page: Page, decision: string, comment?: string): Promise<void> {
  await page.getByRole('radio', { name: decision, exact: true }).check();
  if (comment) await page.getByLabel('意见').fill(comment);
  await page.getByRole('button', { name: '提交决定' }).click();
  await page.getByText(`已提交决定：${decision}`).waitFor();
}
