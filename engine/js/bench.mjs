// The 200-line estimate through the engine's JS API (wasm, release profile) under Node, for the
// wasm/native ratio in BENCHMARKS.md. Prints one JSON line: {"median_ms":..,"runs":..}.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
const require = createRequire(import.meta.url);
const api = require(path.resolve(process.argv[2], 'ratecard.js'));
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const read = (p) => fs.readFileSync(path.join(root, p), 'utf8');
const catalogs = [read('catalog/stratus-2026-01.json'), read('catalog/stratus-2026-03.json')];
const request = JSON.parse(read('tests/bench/estimate-200.json'));
for (let i = 0; i < 5; i++) api.estimate(catalogs, request); // warm-up: V8 tiers up
const times = [];
for (let i = 0; i < 30; i++) {
  const t = process.hrtime.bigint();
  api.estimate(catalogs, request);
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[15], runs: times.length }));
