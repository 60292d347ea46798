// Browser tests of the calculator in real headless Chromium (Debian's), driven by playwright-core.
// Run by `cargo xtask test` with RATECARD_DIST (the built app), RATECARD_OUT (where results go)
// and RATECARD_NPM (where playwright-core is installed). It serves the app itself on a loopback
// port, writes what the page showed to observed.json and the exported JSON to export.json (xtask
// checks both against the native engine), and ends with "browser: N passed, N failed".
import { createRequire } from 'node:module';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const dist = process.env.RATECARD_DIST;
const out = process.env.RATECARD_OUT;
const require = createRequire(path.join(process.env.RATECARD_NPM, 'noop.js'));
const { chromium } = require('playwright-core');

const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const server = http.createServer((req, res) => {
  const name = decodeURIComponent(req.url.split(/[?#]/)[0]);
  const file = path.join(dist, name === '/' ? 'index.html' : name);
  if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404); res.end('not found'); return; }
  res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
  res.end(fs.readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ acceptDownloads: true });
const consoleErrors = [];
async function open(url) {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${url}: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`${url}: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('[data-testid=total-gross]', { timeout: 20000 });
  return page;
}
const text = async (page, id) => (await page.locator(`[data-testid="${id}"]`).first().textContent()).trim();
const expect = (cond, what) => { if (!cond) throw new Error(what); };

const results = [];
const observed = {};
async function scenario(name, fn) {
  try { await fn(); results.push([name, null]); console.log(`ok   ${name}`); }
  catch (e) { results.push([name, e.message]); console.log(`FAIL ${name}: ${e.message}`); }
}

let page;
await scenario('load the page, add an instance and a volume, set uptime, read the total', async () => {
  const t0 = Date.now();
  page = await open(base);
  observed.first_total_ms = Date.now() - t0;
  observed.first_total_perf_ms = await page.evaluate(() => performance.now());
  while (await page.locator('[data-testid$="-remove"]').count()) await page.locator('[data-testid$="-remove"]').first().click();
  await page.click('[data-testid=add-instance]');
  await page.click('[data-testid=add-volume]');
  await page.fill('[data-testid=item-0-uptime]', '50');
  await page.fill('[data-testid=item-1-gb]', '250');
  const gross = await text(page, 'total-gross');
  expect(/^EUR \d/.test(gross), `total reads ${gross}`);
  observed.scenario_total = { gross, net: await text(page, 'total-net') };
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-json]')]);
  await download.saveAs(path.join(out, 'export.json'));
  const exported = JSON.parse(fs.readFileSync(path.join(out, 'export.json'), 'utf8'));
  expect(exported.setup.items.length === 2 && exported.setup.items[0].uptime === '50', 'the export holds the setup');
  expect(exported.estimate && exported.request, 'the export holds the engine request and result');
});

await scenario('an EU business with a VAT number gets the reverse charge', async () => {
  await page.selectOption('[data-testid=country]', 'DE');
  await page.check('[data-testid=business]');
  await page.fill('[data-testid=vat-number]', 'DE136695976');
  const mention = await text(page, 'vat-mention');
  expect(mention.includes('Reverse charge, Article 196'), `mention: ${mention}`);
  expect((await text(page, 'total-vat')) === 'EUR 0.00', 'no VAT');
  expect(await page.locator('[data-testid=plan-cross]').count() === 1, 'the chart marks where the plans cross');
  await page.fill('[data-testid=vat-number]', 'DE136695978');
  await page.waitForSelector('[data-testid="customer.vat_number-error"], [data-testid=warning]');
  await page.fill('[data-testid=vat-number]', 'DE136695976');
});

await scenario('switching currency shows the stamped ECB rate', async () => {
  await page.selectOption('[data-testid=currency]', 'USD');
  const rate = await text(page, 'fx-rate');
  expect(/1 EUR = [\d.]+ USD/.test(rate) && rate.includes('2026-01-30'), `rate: ${rate}`);
  expect((await text(page, 'total-gross')).startsWith('USD '), 'total in USD');
});

await scenario('a share link opened in a fresh page gives the same total', async () => {
  const link = await page.inputValue('[data-testid=share-link]');
  const before = await text(page, 'total-gross');
  const other = await open(link);
  expect((await text(other, 'total-gross')) === before, `fresh page ${await text(other, 'total-gross')} vs ${before}`);
  await other.close();
});

await scenario('French labels and amounts', async () => {
  await page.selectOption('[data-testid=currency]', 'EUR');
  await page.click('[data-testid=lang]');
  const gross = await text(page, 'total-gross');
  expect(/^\d[\d\u202f]*,\d\d EUR$/.test(gross), `French amount: ${gross}`);
  await page.click('[data-testid=lang]');
});

await scenario('bad input shows an inline error, never a blank page', async () => {
  await page.fill('[data-testid=item-0-count]', '-3');
  expect((await text(page, 'item-0-count-error')) === 'must be at least 1', 'negative count');
  await page.fill('[data-testid=item-0-count]', '1');
  await page.fill('[data-testid=item-1-gb]', 'lots');
  expect((await text(page, 'item-1-gb-error')).includes('is not a number'), 'text in a number field');
  await page.fill('[data-testid=item-1-gb]', '250');
  const bad = { catalog: 'stratus', month: '2026-01', region: 'gra', items: [{ sku: 'b9-99' }] };
  const other = await context.newPage();
  other.on('pageerror', (e) => consoleErrors.push(`shared link: ${e.message}`));
  await other.goto(`${base}#s=${encodeURIComponent(JSON.stringify(bad))}`);
  await other.waitForSelector('[data-testid=item-0-sku-error]', { timeout: 20000 });
  expect((await text(other, 'item-0-sku-error')).includes('unknown product `b9-99`'), 'unknown sku in a shared link');
  await other.close();
});

await scenario('a 30-digit number in any numeric field is an inline error, never a dead page', async () => {
  await page.click('[data-testid=add-object]'); // item 2: GB stored and egress
  await page.fill('[data-testid=item-2-gb]', '100');
  await page.fill('[data-testid=item-2-egress]', '50');
  await page.check('[data-testid=quote-mode]'); // line and quote discounts appear
  await page.fill('[data-testid=quote-number]', 'Q-2026-0041');
  await page.fill('[data-testid=quote-date]', '2026-01-31'); // a day the sample rates cover
  await page.fill('[data-testid=quote-valid]', '2026-02-28');
  const fields = [
    ['item-0-count', 'item-0-count-error'],
    ['item-0-uptime', 'item-0-uptime-error'],
    ['item-1-gb', 'item-1-gb-error'],
    ['item-2-gb', 'item-2-gb-error'],
    ['item-2-egress', 'item-2-egress_gb-error'],
    ['item-0-discount', 'item-0-discount-error'],
    ['quote-discount', 'quote.discount-error'],
  ];
  for (const currency of ['EUR', 'JPY']) {
    await page.selectOption('[data-testid=currency]', currency);
    for (const [input, error] of fields) {
      // 30 digits (past any decimal) and 28 (a decimal, past the engine's bounds).
      for (const value of ['9'.repeat(30), '9'.repeat(28)]) {
        const before = await page.inputValue(`[data-testid="${input}"]`);
        await page.fill(`[data-testid="${input}"]`, value);
        try { await page.waitForSelector(`[data-testid="${error}"]`, { timeout: 5000 }); }
        catch { throw new Error(`${currency} ${input} = ${value}: no inline error ${error}`); }
        const shown = await text(page, error);
        expect(shown.length > 0, `${input} = ${value}: no message`);
        expect(consoleErrors.length === 0, `${input} = ${value}: ${consoleErrors.join(' | ')}`);
        await page.fill(`[data-testid="${input}"]`, before);
        // The value put back, the page computes again: it is alive.
        try { await page.waitForSelector('[data-testid=total-gross]', { timeout: 5000 }); }
        catch {
          const alerts = await page.locator('[role=alert]').allTextContents();
          throw new Error(`${currency} ${input} put back to '${before}': no total; shown: ${alerts.join(' | ')}`);
        }
      }
    }
  }
  await page.selectOption('[data-testid=currency]', 'EUR');
  await page.uncheck('[data-testid=quote-mode]');
  await page.click('[data-testid=item-2-remove]');
  expect(/^EUR \d/.test(await text(page, 'total-gross')), 'the page computes again');
});

await scenario('quote mode numbers the quote and applies its discount', async () => {
  await page.check('[data-testid=quote-mode]');
  await page.fill('[data-testid=customer-name]', 'Acme SARL');
  await page.fill('[data-testid=quote-number]', 'Q-2026-0042');
  await page.fill('[data-testid=quote-date]', '2026-01-05');
  await page.fill('[data-testid=quote-valid]', '2026-02-28');
  const before = await text(page, 'total-net');
  await page.fill('[data-testid=quote-discount]', '10');
  expect((await text(page, 'quote-head')).includes('Q-2026-0042'), 'quote number shown');
  expect((await text(page, 'total-net')) !== before, 'the discount changes the total');
  await page.uncheck('[data-testid=quote-mode]');
});

await scenario('no console errors', async () => {
  expect(consoleErrors.length === 0, consoleErrors.join(' | '));
});

await browser.close();
server.close();
const failed = results.filter((r) => r[1]).length;
const passed = results.length - failed;
fs.writeFileSync(path.join(out, 'observed.json'), JSON.stringify(observed, null, 2));
fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify({ passed, failed, first_total_ms: observed.first_total_ms }, null, 2));
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
