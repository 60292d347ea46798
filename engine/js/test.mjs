// Tests the engine's JavaScript API (built with --features wasm, wasm-bindgen --target nodejs)
// against the native engine's outputs recorded in the conformance cases. Run by `cargo xtask test`:
//   node engine/js/test.mjs <dir with ratecard.js>
// Ends with "js-api: N passed, N failed".
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const api = require(path.resolve(process.argv[2], 'ratecard.js'));
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const read = (p) => fs.readFileSync(path.join(root, p), 'utf8');
const stratus = read('catalog/stratus-2026-01.json');
const kase = (name) => JSON.parse(read(`tests/cases/${name}.json`));
// Canonical JSON: keys sorted at every depth, as the engine's canonical form.
const canon = (v) => Array.isArray(v) ? `[${v.map(canon).join(',')}]`
  : v && typeof v === 'object' ? `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`
  : JSON.stringify(v);

let passed = 0, failed = 0;
function check(name, fn) {
  try { fn(); passed++; console.log(`ok   ${name}`); }
  catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
}
const expect = (c, what) => { if (!c) throw new Error(what); };

check('estimate() gives the native result, byte for byte', () => {
  const c = kase('estimate/full-setup-compare-plans');
  const got = api.estimate(stratus, c.request);
  expect(canon(got) === canon(c.expected), 'the estimate differs from the native one');
  expect(got.total === '121.36', `total ${got.total}`);
});
check('rate() takes JSON Lines and gives the native lines', () => {
  const c = kase('time/seed-guide-instance-and-volume');
  const jsonl = c.events.map((e) => JSON.stringify(e)).join('\n');
  const got = api.rate(stratus, jsonl, '2026-01');
  expect(canon(got) === canon(c.expected.rating), 'the rating differs from the native one');
});
check('invoice() builds the document with VAT', () => {
  const c = kase('document/final-invoice');
  const got = api.invoice([stratus], JSON.stringify(c.events), c.period, c.document);
  expect(canon(got) === canon(c.expected), 'the document differs from the native one');
  expect(got.totals.gross === '28.36', `gross ${got.totals.gross}`);
});
check('validateCatalog() accepts a catalog and names its products', () => {
  const s = api.validateCatalog(stratus);
  expect(s.id === 'stratus' && s.version === '2026-01' && s.products === 16, JSON.stringify(s));
});
check('errors are thrown as Error with the engine message and path', () => {
  const bad = JSON.parse(stratus);
  bad.products[1].prices.gra.unit_prise = '0.1';
  try { api.validateCatalog(JSON.stringify(bad)); throw new Error('no error thrown'); }
  catch (e) {
    expect(e instanceof Error, 'not an Error');
    expect(e.message.startsWith('catalog stratus@2026-01: products[1].prices.gra.unit_prise: unknown field `unit_prise`'), e.message);
    expect(e.path === 'products[1].prices.gra.unit_prise', `path ${e.path}`);
  }
  try { api.estimate(stratus, { month: '2026-01', region: 'gra', items: [{ sku: 'b9-99' }] }); throw new Error('no error thrown'); }
  catch (e) { expect(e.path === 'items[0].sku' && e.message.includes('unknown sku `b9-99`'), `${e.path}: ${e.message}`); }
});
console.log(`js-api: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
