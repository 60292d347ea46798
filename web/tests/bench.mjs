// Calculator timings in headless Chromium, for BENCHMARKS.md (run by `cargo xtask bench`):
// - navigation to the first total rendered (median of 10 fresh loads of the sample setup);
// - recomputing a 200-line setup after one edit, until the new total is on screen (median of 10).
// Prints one JSON line.
import { createRequire } from 'node:module';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const dist = process.env.RATECARD_DIST;
const require = createRequire(path.join(process.env.RATECARD_NPM, 'noop.js'));
const { chromium } = require('playwright-core');
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const server = http.createServer((req, res) => {
  const name = decodeURIComponent(req.url.split(/[?#]/)[0]);
  const file = path.join(dist, name === '/' ? 'index.html' : name);
  if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
  res.end(fs.readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const firsts = [];
for (let i = 0; i < 10; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base);
  await page.waitForSelector('[data-testid=total-gross]');
  firsts.push(await page.evaluate(() => performance.now()));
  await context.close();
}

const request = JSON.parse(fs.readFileSync(path.join(process.env.RATECARD_ROOT, 'tests/bench/estimate-200.json'), 'utf8'));
const setupOf = (n) => ({
  catalog: 'stratus', month: request.month, region: request.region,
  items: request.items.slice(0, n).map((it, id) => ({
    id, sku: it.sku, count: String(it.count ?? 1), plan: it.plan ?? 'hourly',
    uptime_unit: 'percent', uptime: it.uptime?.percent ?? '100', gb: it.gb ?? '', egress_gb: it.egress_gb ?? '',
  })),
});
// Typing: one keystroke in a line's count, from the input event to the next frame drawn after
// the new total is on the page (20 keystrokes per size; median and worst).
const typing = {};
for (const n of [10, 50, 200]) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}#s=${encodeURIComponent(JSON.stringify(setupOf(n)))}`);
  await page.waitForSelector('[data-testid=total-gross]', { timeout: 60000 });
  await page.waitForSelector(`[data-testid=item-${n - 1}-count]`);
  const times = [];
  for (let i = 0; i < 20; i++) {
    times.push(await page.evaluate(async (k) => {
      const total = () => document.querySelector('[data-testid=total-gross]').textContent;
      const before = total();
      const input = document.querySelector('[data-testid=item-0-count]');
      const t0 = performance.now();
      input.value = String(2 + (k % 2));
      input.dispatchEvent(new Event('input', { bubbles: true }));
      while (total() === before) await new Promise((r) => setTimeout(r, 0));
      await new Promise((r) => requestAnimationFrame(() => r()));
      return performance.now() - t0;
    }, i));
  }
  times.sort((a, b) => a - b);
  typing[n] = { median: median(times), worst: times[times.length - 1] };
  await context.close();
}
await browser.close();
server.close();
console.log(JSON.stringify({ first_total_median_ms: median(firsts), typing, loads: firsts.length }));
