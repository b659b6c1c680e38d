// What the browser tests share: Debian's Chromium started headless with no background
// networking, and a loose screenshot comparison done in the browser itself (two PNGs drawn on
// canvases), so that no image library is needed.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
export const artifacts = path.join(root, 'target/browser-artifacts');
const references = path.join(here, 'reference');
const bless = process.env.CHOKEPOINT_BLESS_SCREENSHOTS === '1';

/// Screenshots to copy into docs/ when blessing: artefact name → docs file.
const docs = { 'report-mc': 'report.png', dashboard: 'dashboard.png', 'dashboard-form': 'dashboard-form.png' };

/// Share of pixels that may differ (by more than 48 in a channel) from the reference: fonts
/// and anti-aliasing move a few, a missing chart or a changed layout moves many.
const MAX_DIFFERENT = 0.02;

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--font-render-hinting=none',
    ],
  });
}

/// Takes a full-page screenshot as target/browser-artifacts/NAME.png and compares it with
/// tests/browser/reference/NAME.png: the same size, and at most MAX_DIFFERENT of the pixels
/// different.
export async function compareScreenshot(page, name) {
  fs.mkdirSync(artifacts, { recursive: true });
  const shot = path.join(artifacts, `${name}.png`);
  const png = await page.screenshot({ path: shot, fullPage: true });
  const reference = path.join(references, `${name}.png`);
  if (bless) {
    fs.mkdirSync(references, { recursive: true });
    fs.copyFileSync(shot, reference);
    if (docs[name]) fs.copyFileSync(shot, path.join(root, 'docs', docs[name]));
    return;
  }
  assert.ok(fs.existsSync(reference), `no reference ${reference}: run with CHOKEPOINT_BLESS_SCREENSHOTS=1`);
  const ref = fs.readFileSync(reference);
  const cmp = await page.context().newPage();
  const result = await cmp.evaluate(
    async ([a, b]) => {
      const load = (b64) =>
        new Promise((ok, fail) => {
          const img = new Image();
          img.onload = () => ok(img);
          img.onerror = fail;
          img.src = `data:image/png;base64,${b64}`;
        });
      const [x, y] = await Promise.all([load(a), load(b)]);
      if (x.width !== y.width || x.height !== y.height) {
        return { size: [x.width, x.height, y.width, y.height] };
      }
      const pixels = (img) => {
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        return g.getImageData(0, 0, img.width, img.height).data;
      };
      const [p, q] = [pixels(x), pixels(y)];
      let different = 0;
      for (let i = 0; i < p.length; i += 4) {
        if (
          Math.abs(p[i] - q[i]) > 48 ||
          Math.abs(p[i + 1] - q[i + 1]) > 48 ||
          Math.abs(p[i + 2] - q[i + 2]) > 48
        ) {
          different += 1;
        }
      }
      return { ratio: different / (p.length / 4) };
    },
    [png.toString('base64'), ref.toString('base64')],
  );
  await cmp.close();
  assert.ok(!result.size, `${name}: size ${result.size} differs from the reference`);
  assert.ok(
    result.ratio <= MAX_DIFFERENT,
    `${name}: ${(100 * result.ratio).toFixed(2)}% of pixels differ from the reference (at most ${100 * MAX_DIFFERENT}%)`,
  );
}

/// Per chart: its title, the series it promises and, per series, the drawn size of the
/// elements that carry its name (below the root element).
export async function charts(page) {
  return page.$$eval('svg.chart', (svgs) =>
    svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      const series = (svg.getAttribute('data-series') || '').split('|').filter(Boolean);
      const drawn = {};
      for (const name of series) {
        const els = [...svg.querySelectorAll('[data-series]')].filter(
          (e) => e.getAttribute('data-series') === name,
        );
        drawn[name] = els.reduce((area, e) => {
          const b = e.getBBox();
          return area + Math.max(b.width, 1) * Math.max(b.height, 0) + b.width;
        }, 0);
      }
      return {
        title: svg.getAttribute('aria-label'),
        width: box.width,
        height: box.height,
        series,
        drawn,
      };
    }),
  );
}

export function assertEveryChartDrawn(list) {
  assert.ok(list.length > 0, 'no chart');
  for (const c of list) {
    assert.ok(c.width > 100 && c.height > 50, `${c.title}: ${c.width}x${c.height}`);
    assert.ok(c.series.length > 0, `${c.title}: no series`);
    for (const s of c.series) {
      assert.ok(c.drawn[s] > 0, `${c.title}: series ${s} not drawn`);
    }
  }
}

