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

await scenario('overseas and outside-EU territories: 8.5 % in Guadeloupe, no VAT in Guyane or the Canary Islands', async () => {
  await page.selectOption('[data-testid=country]', 'GP');
  await page.waitForFunction(() => document.body.textContent.includes('VAT 8.5 %'));
  const amount = (s) => Number(s.replace(/[^\d.,-]/g, '').replace(/,/g, ''));
  const net = amount(await text(page, 'total-net'));
  // VAT on the sum of the line nets, half up: 8.5 % of the net.
  expect(Math.round(net * 8.5) === Math.round(amount(await text(page, 'total-vat')) * 100), `8.5 % of ${net}`);
  await page.selectOption('[data-testid=country]', 'GF');
  await page.waitForFunction(() => document.querySelector('[data-testid=vat-mention]')?.textContent.includes('article 294'));
  await page.selectOption('[data-testid=country]', 'IC');
  await page.waitForFunction(() => document.querySelector('[data-testid=vat-mention]')?.textContent.includes('Out of scope'));
  await page.selectOption('[data-testid=country]', 'DE');
});

await scenario('switching currency shows the stamped ECB rate', async () => {
  await page.selectOption('[data-testid=currency]', 'USD');
  const rate = await text(page, 'fx-rate');
  expect(/1 EUR = [\d.]+ USD/.test(rate) && rate.includes('2026-01-30'), `rate: ${rate}`);
  expect((await text(page, 'total-gross')).startsWith('USD '), 'total in USD');
});

await scenario('a share link opened in a fresh page gives the same total', async () => {
  // The link is written once typing pauses.
  await page.waitForFunction(() => decodeURIComponent(document.querySelector('[data-testid=share-link]').value).includes('"currency":"USD"'));
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

// The trusted calculator: each step a new user takes, on a fresh page.
const money = (s) => Number(s.replace(/[^\d.,-]/g, '').replace(/,/g, ''));
async function fresh(width = 1366) {
  const p = await context.newPage();
  await p.setViewportSize({ width, height: 900 });
  p.on('pageerror', (e) => consoleErrors.push(`fresh: ${e.message}`));
  await p.goto(base);
  await p.waitForSelector('[data-testid=total-gross]', { timeout: 20000 });
  while (await p.locator('[data-testid$="-remove"]').count()) await p.locator('[data-testid$="-remove"]').first().click();
  return p;
}

for (const width of [1366, 390]) await scenario(`a line discount lands on its own product, for a line of count 2 too (${width} px)`, async () => {
  const p = await fresh(width);
  await p.click('[data-testid=add-volume]'); // line 0: 100 GB
  await p.click('[data-testid=add-instance]'); // line 1
  await p.check('[data-testid=quote-mode]');
  await p.fill('[data-testid=quote-number]', 'Q-2026-0007');
  await p.fill('[data-testid=quote-date]', '2026-01-31');
  await p.fill('[data-testid=quote-valid]', '2026-02-28');
  const instance = await text(p, 'item-1-cost');
  await p.fill('[data-testid=item-0-discount]', '100');
  await p.waitForFunction(() => document.querySelector('[data-testid=item-0-cost]').textContent.includes('0.00'));
  expect((await text(p, 'item-1-cost')) === instance, `the instance keeps its price: ${await text(p, 'item-1-cost')} vs ${instance}`);
  expect((await text(p, 'total-net')) === instance, `net ${await text(p, 'total-net')} is the instance alone ${instance}`);
  // Count 2 at 50 % off: two lines, each halved and rounded on its own, so the line costs
  // what one resource did, to a cent per line.
  await p.fill('[data-testid=item-0-discount]', '');
  await p.fill('[data-testid=item-1-count]', '2');
  await p.fill('[data-testid=item-1-discount]', '50');
  await p.fill('[data-testid=item-1-label]', 'Web servers for Acme');
  const halved = money(await text(p, 'item-1-cost'));
  expect(Math.abs(halved - money(instance)) <= 0.02, `count 2 at 50 %: ${halved} vs ${instance}`);
  const sum = money(await text(p, 'item-0-cost')) + halved;
  expect(Math.round(sum * 100) === Math.round(money(await text(p, 'total-net')) * 100), 'the lines add up to the net total');
  // The printed quote: its lines add up to its net total, and it carries the number.
  await p.emulateMedia({ media: 'print' });
  expect(await p.locator('[data-testid=print-doc]').isVisible(), 'the document is printed');
  expect(!(await p.locator('[data-testid=quote-mode]').isVisible()), 'no form controls on paper');
  const lines = (await p.locator('[data-testid=print-line-amount]').allTextContents()).map(money);
  const net = money(await text(p, 'print-net'));
  expect(Math.round(lines.reduce((a, b) => a + b, 0) * 100) === Math.round(net * 100), `printed lines ${lines} add up to ${net}`);
  expect((await text(p, 'print-title')).includes('Q-2026-0007'), 'the quote number is the title');
  const labels = await p.locator('[data-testid=print-line-label]').allTextContents();
  expect(labels.length === 2 && labels.every((t) => t === 'Web servers for Acme'), `each of the instance's two lines carries its description: ${labels}`);
  await p.emulateMedia({ media: 'screen' });
  await p.close();
});

for (const width of [1366, 390]) await scenario(`a link's country the page does not offer is said at its field, and the quote printed in French and USD adds up (${width} px)`, async () => {
  const p = await fresh(width);
  await p.click('[data-testid=add-instance]');
  await p.fill('[data-testid=item-0-count]', '4');
  await p.click('[data-testid=lang]');
  await p.selectOption('[data-testid=currency]', 'USD');
  await p.check('[data-testid=quote-mode]');
  await p.fill('[data-testid=quote-number]', 'Q-2026-0007');
  await p.fill('[data-testid=quote-date]', '2026-01-31');
  await p.fill('[data-testid=quote-valid]', '2026-02-28');
  await p.fill('[data-testid=item-0-discount]', '10');
  await p.emulateMedia({ media: 'print' });
  // Each printed line: its list amount (quantity x unit price) less the discount is its amount.
  const rows = await p.locator('[data-testid=print-lines] tr').allTextContents();
  expect(rows.length === 5, `four lines and a header: ${rows.length}`);
  const fr = (t) => Number(t.replace(/[^\d,-]/g, '').replace(',', '.'));
  const cells = await p.locator('[data-testid=print-lines] tr:nth-child(2) td').allTextContents();
  expect(cells[2].includes('heures') && cells[3].includes('USD / heure'), `French units: ${cells}`);
  expect(cells[0].includes('Instance généraliste'), `French description: ${cells[0]}`);
  const list = Math.round(fr(cells[2]) * fr(cells[3]) * 100) / 100;
  expect(Math.abs(list + fr(cells[4]) - fr(cells[5])) < 0.005, `list ${list} less discount ${cells[4]} is ${cells[5]}`);
  await p.emulateMedia({ media: 'screen' });
  // The share link with a country the page does not offer: said at the field, totals kept.
  await p.waitForFunction(() => decodeURIComponent(document.querySelector('[data-testid=share-link]').value).includes('"currency":"USD"'));
  const json = decodeURIComponent((await p.inputValue('[data-testid=share-link]')).split('#s=')[1]);
  const bad = json.replace('"country":"FR"', '"country":"UK"');
  expect(bad !== json, 'the link holds the country');
  const q = await context.newPage();
  await q.setViewportSize({ width, height: 900 });
  await q.goto(`${base}#s=${encodeURIComponent(bad)}`);
  await q.waitForSelector('[data-testid="customer.country-error"]');
  expect((await text(q, 'customer.country-error')).includes('UK'), await text(q, 'customer.country-error'));
  expect((await q.getAttribute('[data-testid=country]', 'aria-invalid')) === 'true', 'the field is marked');
  expect(money(await text(q, 'total-gross')) > 0, `the totals stay: ${await text(q, 'total-gross')}`);
  await q.screenshot({ path: `${out}/country-error-${width}.png` });
  await q.close();
  await p.close();
});

for (const width of [1366, 390]) await scenario(`quote mode never blanks the totals; its missing fields are marked (${width} px)`, async () => {
  const p = await fresh(width);
  await p.click('[data-testid=add-instance]');
  const before = await text(p, 'total-gross');
  await p.check('[data-testid=quote-mode]');
  expect((await text(p, 'total-gross')) === before, 'the total stays');
  expect((await text(p, 'quote.number-error')).includes('needs a number'), 'the number is asked for');
  expect((await p.getAttribute('[data-testid=quote-number]', 'aria-invalid')) === 'true', 'aria-invalid on the field');
  await p.fill('[data-testid=quote-discount]', '150');
  expect((await text(p, 'quote.discount-error')).includes('0 to 100'), 'a discount over 100 % is said');
  expect((await text(p, 'total-gross')) === before, 'the total still stays');
  await p.close();
});

for (const width of [1366, 390]) await scenario(`every amount in the chosen currency (${width} px)`, async () => {
  const p = await fresh(width);
  await p.click('[data-testid=add-instance]');
  await p.click('[data-testid=add-volume]');
  await p.selectOption('[data-testid=currency]', 'USD');
  await p.waitForFunction(() => document.querySelector('[data-testid=total-gross]').textContent.startsWith('USD'));
  const shown = [
    await text(p, 'item-0-cost'), await text(p, 'item-1-cost'),
    ...(await p.locator('[data-testid=breakdown-amount]').allTextContents()),
    ...(await p.locator('[data-testid=compare-0] td').allInnerTexts()).slice(1, 3).map((c) => c.replace(/^[^:]*: /, '')),
  ];
  expect(shown.every((s) => s.trim().startsWith('USD')), `all in USD: ${shown.join(' | ')}`);
  expect(shown[4] === shown[0], `the plan the line is on shows the line's amount: ${shown[4]} vs ${shown[0]}`);
  const items = money(shown[0]) + money(shown[1]);
  expect(Math.round(items * 100) === Math.round(money(await text(p, 'total-net')) * 100), 'the lines add up to the net total');
  await p.close();
});

for (const width of [1366, 390]) await scenario(`numbers read the way each language writes them (${width} px)`, async () => {
  const p = await fresh(width);
  await p.click('[data-testid=add-volume]');
  await p.fill('[data-testid=item-0-gb]', '1,000');
  const en = await text(p, 'item-0-cost');
  await p.fill('[data-testid=item-0-gb]', '1,5');
  expect((await text(p, 'item-0-gb-error')).includes('1,000.5'), 'an ambiguous number is an error');
  await p.click('[data-testid=lang]');
  await p.fill('[data-testid=item-0-gb]', '1 000');
  const fr = await text(p, 'item-0-cost');
  expect(money(en) === money(fr.replace(/\u202f/g, '').replace(',', '.')), `1,000 (EN) ${en} = 1 000 (FR) ${fr}`);
  await p.fill('[data-testid=item-0-count]', '4294967296');
  expect((await text(p, 'item-0-count-error')).startsWith('trop grand'), 'too large, in French');
  await p.close();
});

await scenario('removing a line with a description asks first; a bare line goes at once', async () => {
  const p = await fresh(1366);
  await p.click('[data-testid=add-instance]');
  await p.click('[data-testid=add-volume]');
  await p.fill('[data-testid=item-0-label]', 'Web servers for Acme');
  const asked = [];
  p.once('dialog', (d) => { asked.push(d.message()); d.dismiss(); });
  await p.click('[data-testid=item-0-remove]');
  expect(asked.length === 1 && asked[0].startsWith('Remove this line'), `asked: ${asked}`);
  expect((await p.inputValue('[data-testid=item-0-label]')) === 'Web servers for Acme', 'kept when refused');
  p.once('dialog', (d) => d.accept());
  await p.click('[data-testid=item-0-remove]');
  await p.waitForFunction(() => document.querySelectorAll('[data-testid$="-remove"]').length === 1);
  await p.click('[data-testid=item-0-remove]'); // the volume, bare: no question
  await p.waitForFunction(() => document.querySelectorAll('[data-testid$="-remove"]').length === 0);
  await p.close();
});

for (const width of [1366, 390]) await scenario(`the keyboard focus follows add, duplicate and remove (${width} px)`, async () => {
  const p = await fresh(width);
  await p.click('[data-testid=add-instance]');
  await p.waitForFunction(() => document.activeElement?.dataset.testid === 'item-0-sku');
  await p.click('[data-testid=item-0-duplicate]');
  await p.waitForFunction(() => document.activeElement?.dataset.testid === 'item-1-sku');
  await p.click('[data-testid=item-0-remove]');
  await p.waitForFunction(() => document.activeElement?.dataset.testid === 'item-0-sku');
  await p.click('[data-testid=item-0-remove]');
  await p.waitForFunction(() => document.activeElement?.dataset.testid === 'add-instance');
  // A hidden input (the quote's body, posted for its PDF) is no control.
  const unlabelled = await p.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((e) => !e.closest('label') && !e.getAttribute('aria-label')).map((e) => e.dataset.testid || e.outerHTML.slice(0, 60)));
  expect(unlabelled.length === 0, `unlabelled controls: ${unlabelled}`);
  await p.close();
});

await scenario('at 390 px: no sideways scroll and the total in view', async () => {
  const p = await fresh(390);
  await p.click('[data-testid=add-instance]');
  await p.click('[data-testid=add-object]');
  const r = await p.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
    total: document.querySelector('[data-testid=total-gross]').getBoundingClientRect().bottom,
  }));
  expect(r.scroll <= r.width, `page ${r.scroll} px wide in ${r.width}`);
  expect(r.total <= 900, `the total is at ${r.total} px, out of view`);
  await p.screenshot({ path: path.join(out, 'calculator-390.png') });
  await p.close();
});

await scenario('a CSV from a spreadsheet, picked as a file, feeds the calculator', async () => {
  const p = await fresh();
  p.on('dialog', (d) => d.accept()); // "replace the unsaved setup?"
  const csv = 'sku,count,uptime,gb,label,group\nb2-15,2,50,,web,production\nclassic-volume,1,,250,data,staging\n';
  await p.setInputFiles('[data-testid=import-file]', { name: 'setup.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await p.waitForSelector('[data-testid=item-1-row]');
  expect((await p.inputValue('[data-testid=item-0-label]')) === 'web', 'the label is read');
  expect((await text(p, 'total-net')) === 'EUR 92.91', `net ${await text(p, 'total-net')}`);
  expect((await text(p, 'group-production')) === 'EUR 82.58', `production ${await text(p, 'group-production')}`);
  await p.setInputFiles('[data-testid=import-file]', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('sku,colour\nb2-15,red\n') });
  expect((await text(p, 'import-error')).includes('unknown column `colour`'), 'a bad file says why');
  // JSON that is no setup (a quote's body, say) is refused; it once read as an empty setup.
  await p.setInputFiles('[data-testid=import-file]', { name: 'quote.json', mimeType: 'application/json', buffer: Buffer.from('{"estimate":{"items":[]},"document":{}}') });
  await p.waitForFunction(() => document.querySelector('[data-testid=import-error]')?.textContent.includes('not a setup'));
  expect((await p.locator('[data-testid$="-row"]').count()) === 2, 'the lines stay');
  await p.close();
});

await scenario('a damaged share link says so; switching price list asks first', async () => {
  const p = await context.newPage();
  await p.goto(`${base}#s=%7B%22items%22%3A%5B`);
  await p.waitForSelector('[data-testid=link-error]', { timeout: 20000 });
  expect((await text(p, 'link-error')).includes('could not be read'), 'the damaged link is said');
  p.once('dialog', (d) => d.dismiss());
  await p.selectOption('[data-testid=catalog]', 'nimbus');
  expect((await p.locator('[data-testid$="-row"]').count()) === 2, 'dismissed: the lines stay');
  expect((await p.inputValue('[data-testid=catalog]')) === 'stratus', 'and the price list too');
  await p.close();
});

await scenario('a product list narrowed by a filter still shows the line\'s product', async () => {
  const p = await fresh();
  await p.click('[data-testid=add-instance]');
  await p.selectOption('[data-testid=item-0-sku]', 'b2-15');
  // The S1 family leaves b2-15 (the line's) and s1-8-legacy: the list is rebuilt in place.
  await p.selectOption('[data-testid=family]', 'S1');
  await p.waitForFunction(() => document.querySelectorAll('[data-testid=item-0-sku] option').length === 2, null, { timeout: 5000 });
  await p.waitForTimeout(50);
  expect((await p.inputValue('[data-testid=item-0-sku]')) === 'b2-15', `shown: ${await p.inputValue('[data-testid=item-0-sku]')}`);
  await p.close();
});

await scenario('a support plan is a share of the month\'s spend', async () => {
  const p = await fresh();
  await p.click('[data-testid=add-instance]');
  const before = money(await text(p, 'total-net'));
  await p.click('[data-testid=add-support]');
  await p.waitForSelector('[data-testid=item-1-cost]');
  const support = money(await text(p, 'item-1-cost'));
  // The first instance costs far less than 290 a month: the 29.00 minimum applies.
  expect(support === 29, `support ${support}`);
  expect(Math.round((before + support) * 100) === Math.round(money(await text(p, 'total-net')) * 100), 'the total includes it');
  await p.close();
});

for (const width of [1366, 390]) await scenario(`a savings plan: offered at the commitment the usage uses, over its term, every way to pay side by side (${width} px)`, async () => {
  const p = await fresh(width);
  await p.click('[data-testid=add-instance]'); // b2-7, 0.0581 an hour
  await p.fill('[data-testid=item-0-count]', '4');
  await p.click('[data-testid=add-commitment]');
  // 4 x 0.0581 less 20 % = 0.18592 an hour, offered rounded down: used in full every hour.
  await p.waitForFunction(() => document.querySelector('[data-testid=item-1-commitment]')?.value === '0.185');
  expect((await text(p, 'term-upfront')) === 'EUR 0.00', `no upfront: ${await text(p, 'term-upfront')}`);
  await p.selectOption('[data-testid=item-1-upfront]', 'all');
  // All upfront: 0.185 x 8,760 hours of the year from January 2026 = 1,620.60.
  await p.waitForFunction(() => document.querySelector('[data-testid=term-upfront]')?.textContent === 'EUR 1,620.60');
  // This month pays the upfront: the total does not say "per month".
  expect((await p.locator('.per').first().textContent()).includes('this month, upfront included'), 'the month with the upfront says so');
  // The month then costs what the plan leaves on demand: 4 x 744 h x 0.0581 less what 0.185 an
  // hour covers, 0.00496 / 0.04648 of an instance-hour each hour, at 0.0581.
  const monthly = money(await text(p, 'term-monthly'));
  expect(monthly > 0 && monthly < 1, `each month ${monthly}`);
  await p.waitForSelector('[data-testid=option-7]');
  expect((await text(p, 'option-0')).startsWith('On demand'), await text(p, 'option-0'));
  expect((await text(p, 'option-1')).startsWith('Monthly plans'), await text(p, 'option-1'));
  expect((await text(p, 'option-4')).startsWith('savings-1y: EUR 0.185 per hour, All upfront'), await text(p, 'option-4'));
  expect((await text(p, 'option-4')).includes('80 % of the commitment used'), await text(p, 'option-4'));
  expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');
  await p.click('[data-testid=lang]');
  await p.waitForFunction(() => document.querySelector('[data-testid=ways-to-pay] h2')?.textContent === 'Façons de payer');
  expect((await text(p, 'option-4')).includes('Tout d’avance'), await text(p, 'option-4'));
  await p.screenshot({ path: path.join(out, `savings-plan-${width}.png`), fullPage: width === 1366 });
  await p.close();
});

for (const width of [1366, 390]) await scenario(`a function and a volume billed per second with IOPS and throughput (${width} px)`, async () => {
  const p = await fresh(width);
  p.on('dialog', (d) => d.accept());
  await p.selectOption('[data-testid=catalog]', 'nimbus');
  // The region shown is the setup's, once the list holds the new price list's regions.
  await p.waitForFunction(() => document.querySelector('[data-testid=region]')?.value === 'fr-par', null, { timeout: 5000 });
  await p.click('[data-testid=add-other]');
  await p.selectOption('[data-testid=item-0-sku]', 'functions-compute');
  // A function's month replaces the pre-multiplied count: 3,000,000 invocations of 1 s at 512 MB.
  expect(await p.locator('[data-testid=item-0-requests]').isHidden(), 'no raw count for a function');
  await p.fill('[data-testid=item-0-invocations]', '3,000,000');
  await p.fill('[data-testid=item-0-duration]', '1000');
  await p.fill('[data-testid=item-0-memory]', '512');
  // 1,100,000 GB-s past the free 400,000 at 0.00001, and 2,000,000 requests past the free million.
  await p.waitForFunction(() => document.querySelector('[data-testid=item-0-cost]')?.textContent.trim() === 'EUR 11.30');
  await p.click('[data-testid=add-volume]');
  await p.selectOption('[data-testid=item-1-sku]', 'block-gp');
  expect((await text(p, 'item-1-row')).includes('IOPS (3,000 included)'), 'the IOPS field names its baseline');
  await p.fill('[data-testid=item-1-gb]', '500');
  await p.fill('[data-testid=item-1-dim-1]', '6000');
  await p.fill('[data-testid=item-1-dim-2]', '250');
  // 40.77 for the GB, 15.29 for 3,000 IOPS above the baseline, 5.10 for 125 MB/s above it.
  await p.waitForFunction(() => document.querySelector('[data-testid=item-1-cost]')?.textContent.trim() === 'EUR 61.16');
  await p.fill('[data-testid=item-0-memory]', '-5');
  await p.waitForSelector('[data-testid=item-0-memory_mb-error]');
  expect((await p.getAttribute('[data-testid=item-0-memory]', 'aria-invalid')) === 'true', 'the field in error is marked');
  await p.fill('[data-testid=item-0-memory]', '512');
  expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');
  await p.screenshot({ path: path.join(out, `function-and-volume-${width}.png`), fullPage: width === 1366 });
  await p.close();
});

await scenario('saved estimates: save, overwrite and open ask first, remove', async () => {
  const p = await fresh();
  await p.click('[data-testid=add-instance]');
  const one = await text(p, 'total-gross');
  await p.fill('[data-testid=save-name]', 'web tier');
  await p.click('[data-testid=save]');
  expect((await text(p, 'keep-notice')).includes('web tier'), 'saved, and said');
  await p.click('[data-testid=add-volume]');
  let asked = '';
  p.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await p.click('[data-testid=save]');
  expect(asked.includes('Replace the saved estimate'), `overwrite asks: ${asked}`);
  p.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await p.click('[data-testid="open-web tier"]');
  expect(asked.includes('not saved'), `open over unsaved work asks: ${asked}`);
  await p.waitForFunction((v) => document.querySelector('[data-testid=total-gross]').textContent === v, one);
  p.once('dialog', (d) => d.accept());
  await p.click('[data-testid="forget-web tier"]');
  expect((await p.locator('[data-testid="open-web tier"]').count()) === 0, 'removed');
  await p.close();
});

await scenario('a save the browser refuses is said; saved estimates this version cannot read are kept aside', async () => {
  const p = await fresh();
  const other = JSON.stringify({ other: { items: 5 } });
  await p.evaluate((t) => localStorage.setItem('ratecard.saved', t), other);
  await p.click('[data-testid=add-instance]');
  await p.fill('[data-testid=save-name]', 'mine');
  await p.click('[data-testid=save]');
  const stored = await p.evaluate(() => JSON.parse(localStorage.getItem('ratecard.saved')));
  expect(Object.keys(stored).join() === 'mine', `saved: ${Object.keys(stored)}`);
  expect((await p.evaluate(() => localStorage.getItem('ratecard.saved.unreadable'))) === other, 'the unreadable list is kept aside');
  // Storage full: the save is said to have failed, and Open still asks before replacing.
  await p.evaluate(() => { Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); }; });
  await p.click('[data-testid=add-volume]');
  await p.fill('[data-testid=save-name]', 'second');
  await p.click('[data-testid=save]');
  const said = await text(p, 'keep-notice');
  expect(said.startsWith('Not saved') && said.includes('storage may be full'), `said: ${said}`);
  expect((await p.getAttribute('[data-testid=keep-notice]', 'role')) === 'alert', 'said as an error');
  let asked = '';
  p.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await p.click('[data-testid="open-mine"]');
  expect(asked.includes('not saved'), `open asks: ${asked}`);
  await p.close();
  const q = await fresh();
  await q.evaluate(() => { localStorage.removeItem('ratecard.saved'); localStorage.removeItem('ratecard.saved.unreadable'); });
  await q.close();
});

await scenario('a share link pasted into an open tab is read, after asking', async () => {
  const a = await fresh();
  await a.click('[data-testid=add-volume]');
  const total = await text(a, 'total-gross');
  await a.waitForFunction(() => location.hash.length > 10 && decodeURIComponent(location.hash).includes('classic-volume'));
  const link = await a.evaluate(() => location.hash);
  await a.close();
  const p = await fresh();
  await p.click('[data-testid=add-instance]');
  const own = await text(p, 'total-gross');
  let asked = '';
  p.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await p.evaluate((h) => { location.hash = h; }, link);
  await p.waitForFunction(() => !decodeURIComponent(location.hash).includes('classic-volume'));
  expect(asked.includes('Open the setup of this link'), `asked: ${asked}`);
  expect((await text(p, 'total-gross')) === own, 'dismissed: the page keeps its work');
  p.once('dialog', (d) => d.accept());
  await p.evaluate((h) => { location.hash = h; }, link);
  await p.waitForFunction((v) => document.querySelector('[data-testid=total-gross]').textContent === v, total);
  expect((await p.locator('[data-testid$="-row"]').count()) === 1, 'the link\'s one line');
  await p.close();
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
