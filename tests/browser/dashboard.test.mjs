// Browser tests of `chokepoint serve` (issue 19): the dashboard runs an uploaded scenario end
// to end (with a parameter changed) and shows its charts and download, and shows a bad
// scenario's problems with their lines and columns in the page. Screenshots as in
// report.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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

test('issue 19: the dashboard runs an uploaded scenario end to end', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.selectOption('#scenario', 'upload');
  await page.fill('#text', fs.readFileSync(path.join(fixtures, 'tiny.toml'), 'utf8'));
  await page.fill('#overrides', 'event.0.approval = 0.9');
  await page.click('#run');
  await page.waitForSelector('#state[data-state="done"]', { timeout: 60000 });
  const list = await charts(page);
  assertEveryChartDrawn(list);
  assert.ok(list.some((c) => c.title === 'JPN dy-oxide: days of cover'), list.map((c) => c.title).join(', '));
  // The override reached the run's scenario file: approval 0.9 instead of the fixture's 0.6.
  const href = await page.getAttribute('#download', 'href');
  const tar = await page.request.get(new URL(href, url).href);
  assert.equal(tar.status(), 200);
  assert.equal(tar.headers()['content-type'], 'application/x-tar');
  const body = await tar.body();
  assert.ok(body.length > 10000, `${body.length} bytes`);
  const manifest = body.toString('latin1');
  assert.ok(manifest.includes('run-0/manifest.json'), 'the archive holds the manifest');
  const scenario = fs.readFileSync(path.join(work, 'runs/0/scenario.toml'), 'utf8');
  assert.match(scenario, /approval = 0\.9/);
  await page.evaluate(() => {
    // The elapsed time changes from run to run; keep the screenshot comparable.
    document.querySelector('#state').textContent = 'done';
  });
  await compareScreenshot(page, 'dashboard');
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
