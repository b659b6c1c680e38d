// Browser tests of `chokepoint serve` (issue 19): the dashboard shows an uploaded scenario's
// key parameters as fields, runs it end to end with one field changed (the change reaches the
// run's scenario file and its manifest's digest; a progress bar shows the paths done) and shows
// its charts and download; a bad field value comes back beside its field with the scenario's
// line; a bad scenario's problems show with their lines and columns. Screenshots as in
// report.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, compareScreenshot, charts, assertEveryChartDrawn } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const bin = path.resolve(root, process.env.CHOKEPOINT_BIN ?? 'target/debug/chokepoint');
const fixtures = path.join(root, 'crates/chokepoint-cli/tests/fixtures');
let browser;
let server;
let url;
let work;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'chokepoint-serve-'));
  server = spawn(bin, ['serve', '--bind', '127.0.0.1:0', '--runs', path.join(work, 'runs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise((ok, fail) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/chokepoint serve: (http:\S+)/);
      if (m) ok(m[1]);
    });
    server.on('exit', (code) => fail(new Error(`serve exited ${code}`)));
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
});

test('issue 19: the dashboard runs an uploaded scenario end to end with a field changed', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.selectOption('#scenario', 'upload');
  const tiny = fs.readFileSync(path.join(fixtures, 'tiny.toml'), 'utf8');
  await page.fill('#text', tiny);
  await page.click('#show-parameters');
  // The fields of tiny.toml: the event's approval odds, lead time (a distribution) and cap,
  // and the United States' approval odds, each with its line.
  const approval = page.locator('input[data-key="event.0.approval"]');
  assert.equal(await approval.inputValue(), '0.6');
  assert.equal(await page.inputValue('input[data-key="event.0.lead-time-days"]'), '{ uniform = [10, 30] }');
  assert.match(await page.textContent('tr[data-key="event.0.lead-time-days"]'), /uniform distribution/);
  assert.match(await page.textContent('tr[data-key="event.0.destination.USA.approval"]'), /line 119/);
  await compareScreenshot(page, 'dashboard-form');
  await approval.fill('0.9');
  await page.fill('#paths', '8');
  await page.click('#run');
  // The progress bar is on the run page from the start (empty while it waits) to the end.
  await page.waitForSelector('#progress');
  await page.waitForSelector('#state[data-state="done"]', { timeout: 60000 });
  const bar = page.locator('#progress');
  assert.equal(await bar.evaluate((e) => e.tagName), 'PROGRESS');
  assert.equal(await bar.getAttribute('max'), '8');
  assert.equal(await bar.getAttribute('value'), '8');
  assert.match(await page.textContent('#progress-text'), /8 of 8 paths/);
  const list = await charts(page);
  assertEveryChartDrawn(list);
  assert.ok(list.some((c) => c.title === 'Licence applications pending, to USA'), list.map((c) => c.title).join(', '));
  // The field reached the run: approval 0.9 on the fixture's line, every other line as
  // uploaded, and the run's manifest names that file by its digest.
  const scenario = fs.readFileSync(path.join(work, 'runs/0/scenario.toml'), 'utf8');
  assert.deepEqual(
    scenario.split('\n').map((l, i) => [i + 1, l]).filter(([i, l]) => l !== tiny.split('\n')[i - 1]),
    [[116, 'approval = 0.9']],
  );
  const href = await page.getAttribute('#download', 'href');
  const tar = await page.request.get(new URL(href, url).href);
  assert.equal(tar.status(), 200);
  assert.equal(tar.headers()['content-type'], 'application/x-tar');
  const body = (await tar.body()).toString('latin1');
  assert.ok(body.includes('run-0/manifest.json'), 'the archive holds the manifest');
  const digest = crypto.createHash('sha256').update(scenario).digest('hex');
  assert.ok(body.includes(digest), "the manifest names the edited scenario's digest");
  await page.evaluate(() => {
    // The elapsed time changes from run to run; keep the screenshot comparable.
    document.querySelector('#state').textContent = 'done';
  });
  await compareScreenshot(page, 'dashboard');
  await context.close();
});

test('issue 19: a bad field value shows its error beside the field', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.selectOption('#scenario', 'upload');
  await page.fill('#text', fs.readFileSync(path.join(fixtures, 'tiny.toml'), 'utf8'));
  await page.click('#show-parameters');
  await page.fill('input[data-key="event.0.approval"]', '1.5');
  await page.click('#run');
  await page.waitForSelector('#errors');
  const beside = await page.textContent('#param-event-0-approval-errors');
  assert.equal(beside, 'line 116:12: `approval` must be between 0 and 1, found 1.5');
  assert.equal(await page.getAttribute('input[data-key="event.0.approval"]', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('input[data-key="event.0.approval"]'), '1.5');
  assert.equal(await page.textContent('#param-event-0-lead-time-days-errors'), '');
  await context.close();
});

test("issue 19: the dashboard shows a bad scenario's problems with their lines", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.selectOption('#scenario', 'upload');
  await page.fill('#text', fs.readFileSync(path.join(fixtures, 'bad.toml'), 'utf8'));
  await page.click('#run');
  await page.waitForSelector('#errors');
  const text = await page.textContent('#errors');
  assert.match(text, /the scenario is not valid \(\d+ problems\)/);
  assert.match(text, /scenario\.toml:8:1: unknown key `colour` in \[scenario\]/);
  assert.match(text, /scenario\.toml:37:10: unknown region `GER`/);
  // The form keeps what was typed, to correct it.
  assert.match(await page.inputValue('#text'), /colour = "blue"/);
  await context.close();
});
