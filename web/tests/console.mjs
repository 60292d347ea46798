// Browser tests of the console in headless Chromium, against a real `ratecard serve --demo`
// (RATECARD_BIN) serving the built app (RATECARD_DIST). An account token is made with
// `ratecard token create --account acme` first. Each figure the page shows is checked against
// the API's answer for the same question. Screenshots at 1366 and 390 px go to RATECARD_OUT.
// Ends with a `test result:` line, counted by `cargo xtask test`.
import { createRequire } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const dist = process.env.RATECARD_DIST;
const out = process.env.RATECARD_OUT;
const bin = process.env.RATECARD_BIN;
const require = createRequire(path.join(process.env.RATECARD_NPM, 'noop.js'));
const { chromium } = require('playwright-core');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ratecard-console-'));
const db = path.join(dir, 'demo.sqlite');
const admin = 'console-admin-token-5b1e';
const acme = execFileSync(bin, ['token', 'create', '--account', 'acme', '--name', 'console test', '--db', db], { encoding: 'utf8' }).trim();
const port = await new Promise((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const server = spawn(bin, ['serve', '--demo', '--addr', `127.0.0.1:${port}`, '--db', db, '--dist', dist], { env: { ...process.env, RATECARD_TOKEN: admin, RATECARD_WEBHOOK_URL: 'http://127.0.0.1:9/alerts', RATECARD_WEBHOOK_SECRET: 'console-test-webhook-secret' }, stdio: ['ignore', 'ignore', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/api/v1/health`)).ok) break; } catch {}
  if (i > 200) throw new Error('the server did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const api = async (p, token = admin) => {
  const r = await fetch(`${base}${p}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
  return r.json();
};
// The demo's months have costs; March is the last.
const month = '2026-03';
const eur = (s) => `EUR ${Number(s).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
async function page(width = 1366) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const p = await context.newPage();
  // The refusals the scenarios ask for (a wrong token, a price list lacking a product) are no errors.
  p.on('console', (m) => { if (m.type() === 'error' && !/status of (401|403|422)/.test(m.text())) errors.push(m.text()); });
  p.on('pageerror', (e) => errors.push(e.message));
  return p;
}
const text = async (p, id) => (await p.locator(`[data-testid="${id}"]`).first().textContent()).trim();
const expect = (cond, what) => { if (!cond) throw new Error(what); };
const results = [];
async function scenario(name, fn) {
  try { await fn(); results.push([name, null]); console.log(`ok   ${name}`); }
  catch (e) { results.push([name, e.message]); console.log(`FAIL ${name}: ${e.message}`); }
}
async function signIn(p, token, hash = '#/now') {
  await p.goto(`${base}/console/${hash}`);
  await p.fill('[data-testid=token]', token);
  await p.click('[data-testid=sign-in]');
}

await scenario('the server sends the calculator gzipped, the copies the size budget counts', async () => {
  const q = await page();
  const sent = {};
  q.on('response', (r) => { sent[new URL(r.url()).pathname] = r; });
  await q.goto(`${base}/`);
  await q.waitForSelector('[data-testid=total-gross]');
  for (const f of ['web_bg.wasm', 'web.js', 'style.css']) {
    const r = sent[`/${f}`];
    expect(r, `${f} was loaded`);
    const h = await r.allHeaders();
    expect(h['content-encoding'] === 'gzip', `${f}: content-encoding ${h['content-encoding']}`);
    const gz = fs.statSync(path.join(dist, `${f}.gz`)).size;
    expect(Number(h['content-length']) === gz, `${f}: ${h['content-length']} bytes sent, the copy has ${gz}`);
  }
  await q.context().close();
});

let p;
await scenario('a wrong token is refused where it was typed', async () => {
  p = await page();
  await signIn(p, 'rc_00000000_wrong');
  await p.waitForFunction(() => document.querySelector('[data-testid=sign-in-error]').textContent.length > 0);
  expect((await text(p, 'sign-in-error')).includes('wrong bearer token'), await text(p, 'sign-in-error'));
  expect(await p.getAttribute('[data-testid=token]', 'aria-invalid') === 'true', 'the field is marked');
});

await scenario('an account token sees its account now: billed, so far, projected, next invoice', async () => {
  await signIn(p, acme);
  await p.waitForSelector('[data-testid=now-so_far]');
  expect((await text(p, 'account')) === 'acme', 'the account is the token\'s');
  const c = await api('/api/v1/accounts/acme/consumption');
  expect((await text(p, 'now-so_far')) === eur(c.so_far), `so far ${await text(p, 'now-so_far')} vs ${c.so_far}`);
  expect((await text(p, 'now-projected')) === eur(c.projected), 'projected');
  expect((await text(p, 'now-next-gross')) === eur(c.next_invoice.totals.gross), 'next invoice gross');
  await p.screenshot({ path: path.join(out, 'console-now-1366.png'), fullPage: true });
});

await scenario('the cost explorer: the chart and the table agree with the API to the cent', async () => {
  await p.goto(`${base}/console/#/costs?period=${month}&group=tag:project`);
  await p.waitForSelector('[data-testid=groups-total]');
  await p.waitForSelector('[data-testid=daily-chart]');
  const e = await api(`/api/v1/costs?period=${month}&group_by=tag:project&filter=account:acme`, acme);
  expect((await text(p, 'groups-total')) === eur(e.total), `table total ${await text(p, 'groups-total')} vs ${e.total}`);
  for (const g of e.groups) expect((await text(p, `amount-${g.values[0]}`)) === eur(g.amount), `group ${g.values[0]}`);
  const days = await api(`/api/v1/costs?period=${month}&group_by=day,tag:project&filter=account:acme`, acme);
  expect(days.total === e.total, 'the chart\'s days add up to the table\'s total');
  const bars = await p.locator('[data-testid=daily-chart] rect').count();
  expect(bars === days.groups.length, `a bar segment per day and group: ${bars} vs ${days.groups.length}`);
  expect((await p.locator('#daily-chart-title').textContent()).includes('Project'), 'the chart says what it groups');
  await p.screenshot({ path: path.join(out, 'console-costs-1366.png'), fullPage: true });
});

await scenario('drill down: a project, its resources, a resource\'s lines and events; back works', async () => {
  await p.click('[data-testid=drill-web]');
  await p.waitForSelector('[data-testid=crumb-drill]');
  expect((await text(p, 'crumb-drill')) === 'tag:project:web', 'the crumb says where');
  expect(p.url().includes('drill=tag:project:web'), 'the URL holds it');
  await p.click('[data-testid=drill-acme-vm-3]');
  await p.waitForSelector('[data-testid=lines-table]');
  const lines = await p.locator('[data-testid=lines-table] tbody tr').count();
  expect(lines === 2, `two lines (the price change on the 15th): ${lines}`);
  expect((await p.locator('[data-testid=lines-table]').textContent()).includes('started hours x 0.121 EUR'), 'formulas shown');
  await p.click('[data-testid=show-events]');
  await p.waitForSelector('[data-testid=events-total]');
  expect((await text(p, 'events-total')).startsWith('1 '), await text(p, 'events-total'));
  await p.goBack();
  await p.waitForSelector('[data-testid=drill-acme-vm-0]');
  expect(!p.url().includes('resource='), 'back leaves the lines');
});

await scenario('over 3 months the chart is per month and the table sums the range, to the cent', async () => {
  await p.goto(`${base}/console/#/costs?period=${month}&group=service&months=3`);
  await p.waitForFunction(() => document.querySelector('#daily-chart-title')?.textContent.startsWith('Cost per month'));
  const e = await api(`/api/v1/costs?period=2026-01..${month}&group_by=service&filter=account:acme`, acme);
  const byMonth = await api(`/api/v1/costs?period=2026-01..${month}&group_by=month,service&filter=account:acme`, acme);
  await p.waitForFunction((v) => document.querySelector('[data-testid=groups-total]')?.textContent.trim() === v, eur(e.total));
  const bars = await p.locator('[data-testid=daily-chart] rect').count();
  expect(bars === byMonth.groups.length, `a segment per month and service: ${bars} vs ${byMonth.groups.length}`);
  expect(byMonth.total === e.total, 'the months add up to the range');
  await p.screenshot({ path: path.join(out, 'console-months-1366.png'), fullPage: true });
});

await scenario('month over month shows the month before and the difference', async () => {
  await p.goto(`${base}/console/#/costs?period=${month}&group=tag:project&compare=1`);
  await p.waitForSelector('[data-testid=groups-total]');
  const e = await api(`/api/v1/costs?period=${month}&compare=2026-02&group_by=tag:project&filter=account:acme`, acme);
  const table = await p.locator('[data-testid=groups-table]').textContent();
  expect(table.includes(eur(e.compared_total)) && table.includes(eur(e.difference)), `compared ${e.compared_total}, difference ${e.difference}`);
});

await scenario('a pricing view: February under March\'s prices, per product, with the difference; a price list that lacks a product is refused', async () => {
  await p.goto(`${base}/console/#/pricing?period=2026-02&price_list=stratus@2026-03&group=sku`);
  await p.waitForSelector('[data-testid=groups-total]');
  const v = await api(`/api/v1/costs/pricing-view?period=2026-02&group_by=sku&filter=account:acme&price_list=stratus@2026-03`, acme);
  const table = await p.locator('[data-testid=groups-table]').textContent();
  expect((await text(p, 'groups-total')) === eur(v.total), `billed ${await text(p, 'groups-total')} vs ${v.total}`);
  expect(table.includes(eur(v.compared_total)) && table.includes(eur(v.difference)), `other ${v.compared_total}, difference ${v.difference}`);
  expect((await text(p, 'pricing-price-list')) === v.price_list, 'it names the other price list');
  await p.screenshot({ path: path.join(out, 'console-pricing-1366.png'), fullPage: true });
  await p.selectOption('[data-testid=price-list]', 'nimbus');
  await p.waitForSelector('section [role=alert]:has-text("not in this price list")');
  // An uploaded price list: the March version's file, valued throughout.
  await p.selectOption('[data-testid=price-list]', 'stratus@2026-03');
  await p.setInputFiles('[data-testid=upload]', path.join(path.dirname(new URL(import.meta.url).pathname), '../../catalog/stratus-2026-03.json'));
  await p.waitForSelector('[data-testid=uploaded]');
  await p.waitForFunction(() => document.querySelector('[data-testid=pricing-price-list]')?.textContent.includes('(uploaded)'));
  expect((await text(p, 'groups-total')) === eur(v.total), 'billed is unchanged');
});

await scenario('allocation: each target\'s direct and allocated cost with the rule and weight behind it; edited rules previewed', async () => {
  await p.goto(`${base}/console/#/allocation?period=${month}`);
  await p.waitForSelector('[data-testid=allocation-total]');
  const a = await api(`/api/v1/costs/allocation?period=${month}&filter=account:acme`, acme);
  expect((await text(p, 'allocation-total')) === eur(a.total), `total ${await text(p, 'allocation-total')} vs ${a.total}`);
  for (const t of a.targets) expect((await text(p, `target-total-${t.target}`)) === eur(t.total), `target ${t.target}`);
  const shares = await p.locator('[data-testid=allocation] tr.shares li').count();
  expect(shares === a.targets.reduce((n, t) => n + t.shares.length, 0), `every share listed: ${shares}`);
  await p.waitForFunction(() => document.querySelector('[data-testid=rules]').value.includes('versions'));
  await p.screenshot({ path: path.join(out, 'console-allocation-1366.png'), fullPage: true });
  // Spread the monitoring licence by weights instead: the preview changes, the server's rules do not.
  const rules = JSON.parse(await p.inputValue('[data-testid=rules]'));
  const v = rules.versions[rules.versions.length - 1];
  for (const f of v.fixed) f.spread = { method: 'even' };
  v.shared = { method: 'even' };
  await p.fill('[data-testid=rules]', JSON.stringify(rules, null, 2));
  await p.click('[data-testid=preview]');
  await p.waitForSelector('[data-testid=previewing]');
  const r = await fetch(`${base}/api/v1/costs/allocation?period=${month}&filter=account:acme`, { method: 'POST', headers: { Authorization: `Bearer ${acme}` }, body: JSON.stringify(rules) });
  const b = await r.json();
  await p.waitForFunction((want) => document.querySelector('[data-testid=allocation]')?.textContent.includes(want), eur(b.targets[0].total));
  expect((await api(`/api/v1/costs/allocation?period=${month}&filter=account:acme`, acme)).total === a.total, 'the server\'s allocation is unchanged');
});

await scenario('invoices: the list with links between documents, and a download', async () => {
  await p.goto(`${base}/console/#/invoices`);
  await p.waitForSelector('[data-testid=documents]');
  const d = await api('/api/v1/accounts/acme/documents', acme);
  for (const doc of d.documents) expect(await p.locator(`[data-testid="doc-${doc.number}"]`).count() === 1, doc.number);
  const n = d.documents[0].number;
  const [download] = await Promise.all([p.waitForEvent('download'), p.click(`[data-testid="download-${n}-csv"]`)]);
  const file = path.join(out, `${n}.csv`);
  await download.saveAs(file);
  expect(fs.readFileSync(file, 'utf8').length > 50, 'the CSV came with the token');
  // The PDF comes as bytes, the same the API gives for the page's language.
  const [pdf] = await Promise.all([p.waitForEvent('download'), p.click(`[data-testid="download-${n}-pdf"]`)]);
  const pdfFile = path.join(out, `${n}.pdf`);
  await pdf.saveAs(pdfFile);
  const got = fs.readFileSync(pdfFile);
  const want = Buffer.from(await (await fetch(`${base}/api/v1/invoices/${n}?format=pdf`, { headers: { Authorization: `Bearer ${acme}` } })).arrayBuffer());
  expect(got.subarray(0, 8).toString() === '%PDF-1.7', 'a PDF');
  expect(got.equals(want), `the downloaded PDF is the archived file (${got.length} and ${want.length} bytes)`);
  await p.screenshot({ path: path.join(out, 'console-invoices-1366.png'), fullPage: true });
});

await scenario('the calculator\'s quote, priced again and printed by the server as a PDF', async () => {
  const c = await page();
  let posted = null;
  let answer = null;
  await c.context().route('**/api/v1/quotes*', async (route) => {
    posted = route.request();
    const r = await route.fetch();
    answer = { status: r.status(), type: r.headers()['content-type'], body: await r.body() };
    await route.fulfill({ response: r, body: answer.body });
  });
  await c.goto(`${base}/`);
  await c.waitForSelector('[data-testid=quote-mode]');
  await c.check('[data-testid=quote-mode]');
  await c.fill('[data-testid=customer-name]', 'Prospect SA');
  await c.fill('[data-testid=quote-number]', 'Q-2026-0077');
  await c.fill('[data-testid=quote-date]', '2026-01-05');
  await c.fill('[data-testid=quote-valid]', '2026-02-05');
  await c.click('[data-testid=quote-pdf]');
  for (let i = 0; !answer && i < 100; i++) await c.waitForTimeout(100);
  expect(answer, 'the form was posted');
  expect(answer.status === 200 && answer.type === 'application/pdf', `${answer.status} ${answer.type}`);
  expect(answer.body.subarray(0, 8).toString() === '%PDF-1.7', 'a PDF');
  expect(answer.body.toString('latin1').includes('/Title(Quote Q-2026-0077)'), 'the quote\'s number in the PDF\'s title');
  const form = new URLSearchParams(posted.postData());
  const body = JSON.parse(form.get('quote'));
  expect(body.document.kind === 'quote' && body.document.buyer.name === 'Prospect SA', JSON.stringify(body.document));
  expect(body.estimate.items.length > 0, 'the estimate request is sent');
  // The server's figures are the page's: the same request priced by the API as JSON.
  const priced = await (await fetch(`${base}/api/v1/quotes?catalog=${posted.url().match(/catalog=([a-z]+)/)[1]}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: form.get('quote') })).json();
  const shown = await text(c, 'total-gross');
  expect(shown.includes(Number(priced.totals.gross).toLocaleString('en-US', { minimumFractionDigits: 2 })), `page ${shown}, server ${priced.totals.gross}`);
  await c.screenshot({ path: path.join(out, 'calculator-quote-pdf-1366.png') });
  await c.close();
});

await scenario('an account token cannot read another account, nor write', async () => {
  const r = await fetch(`${base}/api/v1/accounts/beispiel/documents`, { headers: { Authorization: `Bearer ${acme}` } });
  expect(r.status === 403, `status ${r.status}`);
  // Nor write: a budget of its own account, or its customer details.
  const w = await fetch(`${base}/api/v1/budgets/acme-x`, { method: 'PUT', headers: { Authorization: `Bearer ${acme}` }, body: '{"id":"acme-x","account":"acme","amount":"1"}' });
  expect(w.status === 403, `write status ${w.status}`);
  const c = await fetch(`${base}/api/v1/accounts/acme/customer`, { method: 'PUT', headers: { Authorization: `Bearer ${acme}` }, body: '{}' });
  expect(c.status === 403, `customer write status ${c.status}`);
});

await scenario('the admin picks an account; French formats numbers the French way', async () => {
  const q = await page();
  await signIn(q, admin, `#/costs?period=${month}`);
  await q.waitForSelector('select[data-testid=account]');
  await q.selectOption('select[data-testid=account]', 'beispiel');
  await q.click('[data-testid=lang]');
  await q.waitForFunction(() => document.querySelector('[data-testid=groups-total]')?.textContent.includes('EUR') && document.querySelector('main').lang === 'fr');
  const e = await api(`/api/v1/costs?period=${month}&group_by=service&filter=account:beispiel`);
  const fr = Number(e.total).toLocaleString('fr-FR', { minimumFractionDigits: 2 }).replace(/\s/g, '\u202f') + ' EUR';
  await q.waitForFunction((v) => document.querySelector('[data-testid=groups-total]').textContent.trim() === v, fr, { timeout: 10000 });
  await q.screenshot({ path: path.join(out, 'console-costs-fr-1366.png'), fullPage: true });
  await q.close();
});

await scenario('the admin makes a budget: its bar, its alert, the webhook delivery and a redelivery; then removes it', async () => {
  const q = await page();
  await signIn(q, admin, '#/budgets');
  await q.waitForSelector('[data-testid=budget-id]');
  await q.selectOption('select[data-testid=account]', 'acme');
  await q.fill('[data-testid=budget-id]', 'acme-test');
  await q.fill('[data-testid=budget-amount]', '100');
  await q.selectOption('[data-testid=budget-basis]', 'projected');
  await q.fill('[data-testid=budget-thresholds]', '50,x');
  await q.click('[data-testid=budget-save]');
  expect((await text(q, 'budget-message')).includes('whole percents'), 'bad thresholds said');
  await q.fill('[data-testid=budget-thresholds]', '50,80,100');
  await q.click('[data-testid=budget-save]');
  await q.waitForSelector('[data-testid=budget-acme-test]');
  expect((await text(q, 'budget-acme-test')).includes('EUR 100.00'), await text(q, 'budget-acme-test'));
  const st = await api('/api/v1/budgets/acme-test/status');
  expect(st.projected && st.thresholds.some((t) => t.crossed), 'the API sees it crossed');
  await q.waitForFunction(() => document.querySelector('[data-testid=alerts]')?.textContent.includes('acme-test'));
  await q.reload();
  await q.waitForSelector('[data-testid=deliveries] li');
  const before = await api('/api/v1/webhooks/deliveries');
  const d = before.deliveries.find((x) => x.event.startsWith('acme-test/'));
  expect(d, 'a delivery of the alert');
  await q.screenshot({ path: path.join(out, 'console-budgets-1366.png'), fullPage: true });
  const [resp] = await Promise.all([
    q.waitForResponse((r) => r.url().endsWith(`/api/v1/webhooks/deliveries/${d.id}/redeliver`)),
    q.click(`[data-testid=redeliver-${d.id}]`),
  ]);
  expect(resp.status() === 202, `redeliver answered ${resp.status()}`);
  q.once('dialog', (dlg) => dlg.accept());
  await q.click('[data-testid=remove-acme-test]');
  await q.waitForFunction(() => !document.querySelector('[data-testid=budget-acme-test]'));
  const gone = await fetch(`${base}/api/v1/budgets/acme-test/status`, { headers: { Authorization: `Bearer ${admin}` } });
  expect(gone.status === 404, `removed: ${gone.status}`);
  await q.close();
});

await scenario('the admin saves edited allocation rules after a preview: the server applies them', async () => {
  const q = await page();
  await signIn(q, admin, `#/allocation?period=${month}`);
  await q.waitForSelector('[data-testid=allocation-total]');
  await q.waitForFunction(() => document.querySelector('[data-testid=rules]').value.includes('versions'));
  const rules = JSON.parse(await q.inputValue('[data-testid=rules]'));
  rules.versions[0].fixed[0].amount = '45.00';
  await q.fill('[data-testid=rules]', JSON.stringify(rules, null, 2));
  await q.click('[data-testid=preview]');
  await q.waitForSelector('[data-testid=previewing]');
  await q.click('[data-testid=save-rules]');
  await q.waitForFunction(() => document.querySelector('[data-testid=rules-message]')?.textContent.includes('Saved'));
  const stored = await api('/api/v1/costs/allocation/rules');
  expect(stored.versions[0].fixed[0].amount === '45.00', `saved: ${JSON.stringify(stored.versions[0].fixed[0])}`);
  const a = await api(`/api/v1/costs/allocation?period=${month}&filter=account:acme`);
  await q.waitForFunction((v) => document.querySelector('[data-testid=allocation-total]')?.textContent.trim() === v, eur(a.total));
  await q.close();
});

await scenario('at 390 px nothing scrolls sideways; budgets and alerts read', async () => {
  const q = await page(390);
  await signIn(q, acme, '#/now');
  await q.waitForSelector('[data-testid=now-so_far]');
  await q.screenshot({ path: path.join(out, 'console-now-390.png'), fullPage: true });
  for (const view of [`costs?period=${month}&group=service`, 'invoices', 'budgets']) {
    await q.goto(`${base}/console/#/${view}`);
    await q.waitForLoadState('networkidle');
    await q.waitForTimeout(300);
    const wide = await q.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(wide <= 0, `${view} scrolls sideways by ${wide} px`);
    await q.screenshot({ path: path.join(out, `console-${view.split('?')[0]}-390.png`), fullPage: true });
  }
  await q.close();
});

await scenario('no console errors', async () => {
  expect(errors.length === 0, errors.join(' | '));
});

await browser.close();
server.kill();
fs.rmSync(dir, { recursive: true, force: true });
const failed = results.filter((r) => r[1]).length;
const passed = results.length - failed;
// The line `cargo xtask test` counts, as it counts cargo's.
console.log(`test result: ${failed ? 'FAILED' : 'ok'}. ${passed} passed; ${failed} failed`);
process.exit(failed ? 1 : 0);
