// Type-checks the generated declarations (tsc --strict --noEmit); run by `cargo xtask test`
// next to the generated ratecard.d.ts.
import { estimate, rate, invoice, validateCatalog, type Estimate, type EstimateRequest, type Rating, type Document, type CatalogSummary, type RatecardError } from './ratecard';

const request: EstimateRequest = { month: '2026-01', region: 'gra', items: [{ sku: 'b2-15', count: 2, plan: 'monthly', uptime: { percent: '50' } }] };
const result: Estimate = estimate(['{}'], request);
const total: string = result.total;
const breakEven: number | undefined = result.items[0]?.comparison?.break_even_hours;
const rating: Rating = rate('{}', '', '2026-01');
const firstReject: string | undefined = rating.rejects[0]?.reason;
const doc: Document = invoice('{}', '', '2026-01', { kind: 'draft_invoice' });
const gross: string = doc.totals.gross;
const summary: CatalogSummary = validateCatalog('{}');
const products: number = summary.products;
function pathOf(e: unknown): string | undefined { return (e as RatecardError).path; }
// @ts-expect-error: a count is a number, not a string
const wrong: EstimateRequest = { month: '2026-01', items: [{ sku: 'x', count: 'two' }] };
export { total, breakEven, firstReject, gross, products, pathOf, wrong };
