// A bounded load test of `chokepoint serve` on loopback (issue 19): 50 concurrent API run
// requests of a small scenario (tests' tiny.toml, single runs), then status polls, at least
// 500 of them, until every run is done. Fails (exit 1) if any request fails, a run fails or
// not all complete within the time bound. A 503 (queue full) is retried after its
// Retry-After and counted: the queue never drops a run silently.
//
//   cargo build --release -p chokepoint-cli
//   CHOKEPOINT_BIN=target/release/chokepoint node bench/serve-load.mjs [RUNS] [POLLS]
//
// Only 127.0.0.1 is contacted; the server is started and stopped by the script.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const bin = path.resolve(root, process.env.CHOKEPOINT_BIN ?? 'target/release/chokepoint');
const RUNS = Number(process.argv[2] ?? 50);
const POLLS = Number(process.argv[3] ?? 500);
const DEADLINE_MS = 600_000;
const MAX_POLLS = 50_000;
const text = fs.readFileSync(path.join(root, 'crates/chokepoint-cli/tests/fixtures/tiny.toml'), 'utf8');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'chokepoint-load-'));
const server = spawn(bin, ['serve', '--bind', '127.0.0.1:0', '--runs', path.join(work, 'runs'), '--workers', '2', '--queue', '64'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const base = await new Promise((ok, fail) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/chokepoint serve: (http:\/\/127\.0\.0\.1:\d+\/)/);
    if (m) ok(m[1]);
  });
  server.on('exit', (code) => fail(new Error(`serve exited ${code}`)));
});

const started = Date.now();
const quantiles = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
};
const failures = [];
let retries = 0;

async function timed(f) {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
}

// 50 run requests at once.
const submit = [];
const ids = await Promise.all(
  Array.from({ length: RUNS }, async (_, k) => {
    for (;;) {
      const [res, ms] = await timed(() =>
        fetch(`${base}api/runs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text, seed: k + 1 }),
        }),
      );
      submit.push(ms);
      const body = await res.json();
      if (res.status === 503) {
        retries += 1;
        await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
        continue;
      }
      if (res.status !== 202) {
        failures.push(`run ${k}: ${res.status} ${JSON.stringify(body)}`);
        return null;
      }
      return body.id;
    }
  }),
);

// Status polls, round robin, until every run is done and at least POLLS were made.
const poll = [];
const done = new Map();
let k = 0;
while ((done.size < ids.length || poll.length < POLLS) && poll.length < MAX_POLLS && Date.now() - started < DEADLINE_MS) {
  const id = ids[k++ % ids.length];
  if (id === null) continue;
  const [res, ms] = await timed(() => fetch(`${base}api/runs/${id}`));
  poll.push(ms);
  const st = await res.json();
  if (res.status !== 200) failures.push(`status ${id}: ${res.status}`);
  if (st.state === 'failed') failures.push(`run ${id} failed: ${st.error}`);
  if (st.state === 'done' || st.state === 'failed') done.set(id, st.running_s);
}
server.kill('SIGTERM');
fs.rmSync(work, { recursive: true, force: true });

const wall = (Date.now() - started) / 1000;
const fmt = (q) => `n=${q.n} p50=${q.p50.toFixed(1)} ms p95=${q.p95.toFixed(1)} ms max=${q.max.toFixed(1)} ms`;
console.log(`load average: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`runs: ${RUNS} requested, ${done.size} finished, ${retries} 503 retries, wall ${wall.toFixed(1)} s`);
console.log(`POST /api/runs:     ${fmt(quantiles(submit))}`);
console.log(`GET /api/runs/{id}: ${fmt(quantiles(poll))}`);
console.log(`run time (worker):  ${fmt(quantiles([...done.values()].map((s) => s * 1000)))}`);
if (failures.length || done.size !== RUNS) {
  console.log(`FAILED: ${failures.length} failures, ${RUNS - done.size} runs not finished`);
  for (const f of failures.slice(0, 10)) console.log(`  ${f}`);
  process.exit(1);
}
console.log('ok: no failures, every run completed');
