// Browser tests of `chokepoint report` (issue 19), in Debian's Chromium driven by
// playwright-core. Each report is opened from a file URL with the network cut off: every
// chart must be a non-empty SVG drawing every series it lists, and a screenshot of the page
// is stored in target/browser-artifacts/ and compared loosely with the reference in
// tests/browser/reference/ (same size, few pixels different). CHOKEPOINT_BLESS_SCREENSHOTS=1
// writes the references (and the copies in docs/) instead.
//
// Run by the test suite (crates/chokepoint-cli/tests/cli/issue19_browser.rs), or by hand:
// CHOKEPOINT_BIN=target/debug/chokepoint node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { launch, compareScreenshot, charts, assertEveryChartDrawn } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const bin = path.resolve(root, process.env.CHOKEPOINT_BIN ?? 'target/debug/chokepoint');
const fixtures = path.join(root, 'crates/chokepoint-cli/tests/fixtures');
let browser;
let work;

function chokepoint(args) {
  return execFileSync(bin, args, { cwd: work, encoding: 'utf8' });
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'chokepoint-browser-'));
  for (const f of ['tiny.toml', 'tiny-mc.toml']) {
    fs.copyFileSync(path.join(fixtures, f), path.join(work, f));
  }
  chokepoint(['run', 'tiny.toml', '-q', '--out', 'single']);
  chokepoint(['report', 'single']);
  chokepoint(['run', 'tiny-mc.toml', '--paths', '32', '-q', '--out', 'mc', '--bands', 'all']);
  chokepoint(['report', 'mc']);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/// Opens a report with every request other than the file itself refused, and returns the
/// page and the requests that were tried.
async function open(file) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const tried = [];
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    tried.push(u);
    return route.abort();
  });
  await page.goto(url);
  return { page, context, tried };
}

test('issue 19: a single run report opens from a file URL and draws every chart', async () => {
  const { page, context, tried } = await open(path.join(work, 'single/report.html'));
  const list = await charts(page);
  assertEveryChartDrawn(list);
  const titles = list.map((c) => c.title);
  for (const t of [
    'JPN dy-oxide: shortfall (unmet demand)',
    'JPN dy-oxide: days of cover',
    'JPN dy-oxide: price',
    "Licence applications to date, and pending at each day's end",
    "The scenario's events",
  ]) {
    assert.ok(titles.includes(t), `${t} not in ${titles}`);
  }
  const queue = list.find((c) => c.title.startsWith('Licence applications'));
  assert.deepEqual(queue.series, ['applied', 'approved', 'denied', 'pending']);
  assert.ok(titles.some((t) => t.startsWith('Wait from filing to decision')));
  assert.ok(titles.some((t) => t.endsWith('mean daily shipments')));
  assert.deepEqual(tried, [], 'the report asked the network for something');
  await compareScreenshot(page, 'report-single');
  await context.close();
});

test('issue 19: a Monte Carlo report draws fan bands and stockout odds', async () => {
  const { page, context, tried } = await open(path.join(work, 'mc/report.html'));
  const list = await charts(page);
  assertEveryChartDrawn(list);
  const fan = list.find((c) => c.title === 'JPN dy-oxide: days of cover');
  assert.ok(fan, 'no fan chart for the worst node');
  assert.deepEqual(fan.series, ['P5-P95', 'P25-P75', 'P50']);
  assert.ok(list.some((c) => c.title === 'Probability of a stockout that day'));
  assert.deepEqual(tried, []);
  await compareScreenshot(page, 'report-mc');
  await context.close();
});
