//! `ratecard`: the engine natively, from the command line.
//!
//! ```text
//! ratecard estimate REQUEST.json [--catalog FILE]...
//! ratecard invoice --catalog FILE... --events FILE --customer FILE --period YYYY-MM
//!                  [--seller FILE] [--fx FILE] [--issue-date YYYY-MM-DD]
//!                  [--format json|table|csv] [--rejects FILE]
//! ratecard catalog validate FILE...
//! ratecard serve [--addr HOST:PORT] [--db PATH|postgres://...] [--catalog FILE]... [--dist DIR] [--demo]
//! ratecard close --period YYYY-MM [--db PATH|postgres://...] [--workers N] [--issue-date D] [--catalog FILE]...
//! ratecard accounting --year YYYY [--format fec|csv|json] [--map FILE] [--out DIR] [--db ...]
//! ratecard audit verify [--db PATH|postgres://...] [--expect SEQ:HASH]
//! ratecard audit head [--db PATH|postgres://...]
//! ratecard token create (--account ID | --admin) [--name TEXT] [--db ...]
//! ratecard token list [--db ...]
//! ratecard token revoke ID [--db ...]
//! ```
//! Exit codes: 0 success; 1 an error (printed on stderr); 3 `invoice` made a draft but some
//! events were rejected (each printed on stderr, and written to `--rejects`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ratecard::document::{self, DocumentKind, DocumentRequest, Fx};
use ratecard::fx::FxRates;
use ratecard::party::{Customer, Seller};
use ratecard::vat::VatTable;
use ratecard::{Catalog, EstimateRequest, Period, PriceBook, canonical, export};
use ratecard_server::{api, demo, ledger};

#[derive(Parser)]
#[command(
    name = "ratecard",
    version,
    about = "The ratecard engine: estimates and invoices from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prices an estimate request and prints the estimate's canonical JSON: the same bytes the
    /// calculator computes in wasm. REQUEST is an estimate request, or a file exported by the
    /// calculator (its `request` is used, with its `catalog` when no --catalog is given).
    Estimate {
        request: PathBuf,
        /// Catalog versions (JSON files) of one price list; a name of a sample catalog
        /// (`stratus`, `nimbus`) also works.
        #[arg(long = "catalog")]
        catalogs: Vec<String>,
        /// Prints every way to pay for the request's usage instead: on demand, monthly plans,
        /// and each savings plan with each upfront option (monthly, upfront, first 12 months,
        /// over the term, break-even utilisation).
        #[arg(long)]
        options: bool,
    },
    /// Makes a draft invoice from usage events (JSON or JSON Lines), offline.
    Invoice {
        #[arg(long = "catalog", required = true)]
        catalogs: Vec<String>,
        #[arg(long)]
        events: PathBuf,
        /// The customer (JSON: name, country, kind, vat_number, address).
        #[arg(long)]
        customer: PathBuf,
        /// The billing period: YYYY-MM.
        #[arg(long)]
        period: String,
        /// The seller (JSON); the sample seller when absent.
        #[arg(long)]
        seller: Option<PathBuf>,
        /// ECB rates (daily XML or history CSV); the sample rates when absent.
        #[arg(long)]
        fx: Option<PathBuf>,
        /// The currency of the invoice (the catalog's when absent).
        #[arg(long)]
        currency: Option<String>,
        /// YYYY-MM-DD; the day after the period when absent.
        #[arg(long = "issue-date")]
        issue_date: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// The language of a PDF: fr or en.
        #[arg(long, default_value = "fr")]
        lang: String,
        /// Write the output to this file instead of printing it (a PDF must go to a file).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the rejected events here, one JSON object per line.
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// A stored document (an invoice, credit note or supplementary invoice) from the ledger:
    /// JSON, CSV, UBL, CII, or its PDF. A final document's PDF and CII are the files archived
    /// when it was issued (a Factur-X PDF in the seller's language); --lang other than that
    /// language makes a copy now.
    Document {
        /// Its number (`INV-2026-000001`).
        number: String,
        #[arg(long, value_enum, default_value_t = DocumentFormat::Json)]
        format: DocumentFormat,
        /// The language of the PDF: fr or en; the archived file's when absent.
        #[arg(long)]
        lang: Option<String>,
        /// Write the output to this file (a PDF must go to a file).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
    },
    /// Catalog commands.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Serves the calculator and the JSON API, with the ledger in SQLite or PostgreSQL.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// The ledger, created and migrated when needed: a SQLite file (a path, or
        /// `sqlite:PATH`), or a PostgreSQL database (`postgres://user@host:port/db`, or
        /// `host=... dbname=...`; its audit key from RATECARD_AUDIT_KEY_FILE).
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
        /// The price list events are invoiced with (files, or `stratus` / `nimbus`).
        #[arg(long = "catalog", default_values_t = vec!["stratus".to_string()])]
        catalogs: Vec<String>,
        /// The built calculator; `dist` when it exists.
        #[arg(long)]
        dist: Option<PathBuf>,
        /// Seed an empty ledger with demo customers, a month of events and one final invoice.
        #[arg(long)]
        demo: bool,
    },
    /// The monthly close: invoices every account of a period (events before its end, no final
    /// invoice yet), with progress. Several workers, in this process and in others on the same
    /// ledger, share the accounts; run again after an interruption, it finishes the period.
    Close {
        /// The period, YYYY-MM.
        #[arg(long)]
        period: String,
        /// The ledger, as `serve --db` takes it.
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
        /// Worker threads.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        workers: u16,
        /// The invoices' issue date (YYYY-MM-DD); by default the day after the period.
        #[arg(long)]
        issue_date: Option<String>,
        /// The price list, as `serve` takes it.
        #[arg(long = "catalog", default_values_t = vec!["stratus".to_string()])]
        catalogs: Vec<String>,
    },
    /// The FinOps Foundation's FOCUS 1.2 cost and usage rows of a period's final documents
    /// (invoices, credit notes, supplementary invoices), as CSV on stdout.
    Focus {
        /// The period, YYYY-MM.
        #[arg(long)]
        period: String,
        /// With FOCUS 1.3's Allocated* columns: the usage of shared resources split over the
        /// targets by the ledger's allocation rules (the shipped ones when none were saved).
        #[arg(long)]
        allocate: bool,
        /// csv (printed), or parquet (typed columns; written with --out).
        #[arg(long, value_enum, default_value = "csv")]
        format: FocusFormat,
        /// Writes the export to this file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The ledger, as `serve --db` takes it.
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
    },
    /// The sales journal of a year's final documents in double entry: the French FEC
    /// (tab-separated, the 18 columns of article A47 A-1 LPF), CSV, or JSON; printed, or written
    /// under its conventional name (`SIRENFECYYYYMMDD.txt`) with --out.
    Accounting {
        /// The fiscal year: documents issued (numbered) in it.
        #[arg(long)]
        year: i32,
        #[arg(long, value_enum, default_value_t = AccountingFormat::Fec)]
        format: AccountingFormat,
        /// The account map (JSON); `catalog/accounting/default.json` when absent.
        #[arg(long)]
        map: Option<PathBuf>,
        /// A directory to write the file into, under its conventional name.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
        /// The price list the documents were priced with (for product families).
        #[arg(long = "catalog", default_values_t = vec!["stratus".to_string()])]
        catalogs: Vec<String>,
    },
    /// Audit log commands.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// API tokens, kept hashed in the ledger: an admin token, or an account's token that reads
    /// that account's data only (what its console uses).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Makes a token and prints it, once: only its hash is kept.
    Create {
        /// The account whose data the token reads (and nothing else).
        #[arg(long, conflicts_with = "admin", required_unless_present = "admin")]
        account: Option<String>,
        /// A token that may call every endpoint, writes included.
        #[arg(long)]
        admin: bool,
        /// What the token is for, shown by `token list`.
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
    },
    /// Lists the tokens: id, scope, name, created, revoked (never a secret).
    List {
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
    },
    /// Revokes a token by its id (the 8 hex digits after `rc_`): refused from then on.
    Revoke {
        id: String,
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verifies the ledger, read-only: the keyed chain of the audit log, its head, and the
    /// documents, events and customers its entries cover. Exits 1 on any problem.
    Verify {
        /// A SQLite file or a PostgreSQL database, as `serve --db` takes it.
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
        /// An anchored head (`SEQ:HASH`, from `audit head`) the chain must still contain.
        #[arg(long)]
        expect: Option<String>,
    },
    /// Prints the chain's head (`SEQ:HASH`): record it outside the ledger to anchor the chain.
    Head {
        #[arg(long, default_value = "ratecard.sqlite")]
        db: String,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Checks catalog files; prints each one's id, version and products, or its first error.
    Validate { files: Vec<PathBuf> },
}

#[derive(Clone, Copy, ValueEnum)]
enum AccountingFormat {
    Fec,
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Table,
    Csv,
    /// The draft as a PDF (with --out).
    Pdf,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FocusFormat {
    Csv,
    Parquet,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DocumentFormat {
    Json,
    Csv,
    Ubl,
    Cii,
    /// The PDF (a Factur-X for a final document).
    Pdf,
}

/// A document as canonical JSON, or as CSV.
fn json_or_csv(doc: &ratecard::document::Document, csv: bool) -> Result<Vec<u8>, String> {
    if csv {
        export::csv(doc)
            .map(String::into_bytes)
            .map_err(|e| e.to_string())
    } else {
        canonical::to_string_pretty(doc)
            .map(String::into_bytes)
            .map_err(|e| e.to_string())
    }
}

/// Output that is printed, or written to `out` (bytes such as a PDF must be written).
fn emit(bytes: Vec<u8>, binary: bool, out: Option<&Path>) -> Result<String, String> {
    match out {
        Some(p) => {
            std::fs::write(p, &bytes).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok(format!("wrote {} ({} bytes)", p.display(), bytes.len()))
        }
        None if binary => {
            Err("a PDF or a Parquet file is written to a file: give --out FILE".into())
        }
        None => String::from_utf8(bytes).map_err(|e| e.to_string()),
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A price book from files, or from the name of a sample catalog.
fn book(catalogs: &[String]) -> Result<PriceBook, String> {
    let mut versions = Vec::new();
    for c in catalogs {
        match ratecard::samples::CATALOGS
            .iter()
            .find(|(name, _)| name == c)
        {
            Some((_, texts)) => {
                for t in *texts {
                    versions.push(Catalog::from_json(t).map_err(|e| e.to_string())?);
                }
            }
            None => versions
                .push(Catalog::from_json(&read(Path::new(c))?).map_err(|e| format!("{c}: {e}"))?),
        }
    }
    PriceBook::new(versions).map_err(|e| e.to_string())
}

fn estimate(request: &Path, catalogs: &[String], options: bool) -> Result<String, String> {
    let value: serde_json::Value =
        serde_json::from_str(&read(request)?).map_err(|e| format!("{}: {e}", request.display()))?;
    // A calculator export carries the request and the catalog's name.
    let (req, named) = match value.get("request") {
        Some(r) => (
            r.clone(),
            value
                .get("catalog")
                .and_then(|c| c.as_str())
                .map(String::from),
        ),
        None => (value, None),
    };
    let req: EstimateRequest = serde_json::from_value(req)
        .map_err(|e| format!("{}: estimate request: {e}", request.display()))?;
    let catalogs = match (catalogs.is_empty(), named) {
        (false, _) => catalogs.to_vec(),
        (true, Some(n)) => vec![n],
        (true, None) => return Err("give --catalog (a file, or a sample: stratus, nimbus)".into()),
    };
    let book = book(&catalogs)?;
    if options {
        let options =
            ratecard::estimate::payment_options(&book, &req).map_err(|e| e.to_string())?;
        return canonical::to_string(&serde_json::json!({ "options": options }))
            .map_err(|e| e.to_string());
    }
    let result = ratecard::estimate(&book, &req).map_err(|e| e.to_string())?;
    canonical::to_string(&result).map_err(|e| e.to_string())
}

#[allow(clippy::too_many_arguments)]
fn invoice(
    catalogs: &[String],
    events: &Path,
    customer: &Path,
    period: &str,
    seller: Option<&Path>,
    fx: Option<&Path>,
    currency: Option<String>,
    issue_date: Option<&str>,
    format: Format,
    lang: &str,
    out: Option<&Path>,
    rejects_to: Option<&Path>,
) -> Result<(String, usize), String> {
    let lang = ratecard_server::pdf::Lang::parse(lang).map_err(|e| format!("--lang: {e}"))?;
    let book = book(catalogs)?;
    let period = Period::parse(period).map_err(|e| e.to_string())?;
    let rating = ratecard::rate_events(&book, period, &read(events)?).map_err(|e| e.to_string())?;
    for r in &rating.rejects {
        eprintln!("rejected: {r}");
    }
    if let Some(p) = rejects_to {
        let lines: String = rating
            .rejects
            .iter()
            .map(|r| serde_json::to_string(r).unwrap_or_default() + "\n")
            .collect();
        std::fs::write(p, lines).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let buyer: Customer = serde_json::from_str(&read(customer)?)
        .map_err(|e| format!("{}: {e}", customer.display()))?;
    let seller: Seller = match seller {
        Some(p) => serde_json::from_str(&read(p)?).map_err(|e| format!("{}: {e}", p.display()))?,
        None => ratecard::samples::seller(),
    };
    let rates = match fx {
        Some(p) => {
            let text = read(p)?;
            let source = format!("ECB euro reference rates ({})", p.display());
            if text.trim_start().starts_with('<') {
                FxRates::from_ecb_xml(&text, &source)
            } else {
                FxRates::from_ecb_csv(&text, &source)
            }
        }
        None => FxRates::sample(),
    }
    .map_err(|e| e.to_string())?;
    let issue_date = match issue_date {
        Some(d) => ratecard::time::parse_date(d).map_err(|e| format!("--issue-date: {e}"))?,
        None => ratecard_server::billing::default_issue_date(&period),
    };
    let request = DocumentRequest {
        currency,
        ..DocumentRequest::new(DocumentKind::DraftInvoice, issue_date, seller, buyer)
    };
    let doc = document::build(
        &request,
        &rating,
        &book,
        &VatTable::builtin(),
        Fx::Rates(&rates),
    )
    .map_err(|e| e.to_string())?;
    let (bytes, binary) = match format {
        Format::Json => (json_or_csv(&doc, false)?, false),
        Format::Csv => (json_or_csv(&doc, true)?, false),
        Format::Table => (table(&doc).into_bytes(), false),
        Format::Pdf => (ratecard_server::pdf::pdf(&doc, lang)?, true),
    };
    Ok((emit(bytes, binary, out)?, rating.rejects.len()))
}

fn table(doc: &ratecard::document::Document) -> String {
    let mut out = format!(
        "{} for {} ({}), {}\n\n",
        doc.kind.name(),
        doc.buyer.name,
        doc.buyer.country,
        doc.supply_period.label()
    );
    for l in &doc.lines {
        out.push_str(&format!(
            "{:>3}  {:<18} {:<24} {:<58} {:>12}\n",
            l.id,
            l.sku,
            l.resource.as_deref().unwrap_or("-"),
            l.formula,
            l.amount
        ));
    }
    out.push_str(&format!("\n{:>118} {}\n", doc.totals.net, "net"));
    for v in &doc.vat {
        out.push_str(&format!(
            "{:>118} VAT {} % ({:?})\n",
            v.tax, v.rate, v.category
        ));
    }
    out.push_str(&format!(
        "{:>118} gross {}\n",
        doc.totals.gross, doc.currency
    ));
    for m in &doc.mentions {
        out.push_str(&format!("{m}\n"));
    }
    out
}

fn validate(files: &[PathBuf]) -> Result<String, String> {
    let mut out = String::new();
    let mut bad = Vec::new();
    for f in files {
        match read(f).and_then(|t| Catalog::from_json(&t).map_err(|e| e.to_string())) {
            Ok(c) => out.push_str(&format!(
                "ok  {}: {} ({} products, {}, hours per month {:?})\n",
                f.display(),
                c.reference(),
                c.products.len(),
                c.currency,
                c.hours_per_month
            )),
            Err(e) => bad.push(format!("{}: {e}", f.display())),
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        Err(format!("{out}{}", bad.join("\n")))
    }
}

/// The bearer token: `RATECARD_TOKEN`, or the first line of the file `RATECARD_TOKEN_FILE`
/// names. Never a command-line flag, which every user of the machine sees in `ps`.
fn token_from_env() -> Result<Option<String>, String> {
    if let Ok(t) = std::env::var("RATECARD_TOKEN") {
        return Ok(Some(t.trim().to_string()).filter(|t| !t.is_empty()));
    }
    match std::env::var_os("RATECARD_TOKEN_FILE") {
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("RATECARD_TOKEN_FILE {}: {e}", Path::new(&p).display()))?;
            Ok(text
                .lines()
                .next()
                .map(|l| l.trim().to_string())
                .filter(|t| !t.is_empty()))
        }
        None => Ok(None),
    }
}

fn serve(
    addr: &str,
    db: &str,
    catalogs: &[String],
    dist: Option<PathBuf>,
    demo_data: bool,
) -> Result<(String, usize), String> {
    use std::io::IsTerminal;
    // Colours only for a person at a terminal; plain lines for a log file or a collector.
    tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let token = token_from_env()?;
    let book = book(catalogs)?;
    let location = ledger::Location::parse(db);
    let ledger = location.open()?;
    let mut all = std::collections::BTreeMap::new();
    for (name, _) in ratecard::samples::CATALOGS {
        all.insert(name.to_string(), self::book(&[name.to_string()])?);
    }
    all.insert(book.id().to_string(), book.clone());
    let dist =
        dist.or_else(|| Some(PathBuf::from("dist")).filter(|d| d.join("index.html").exists()));
    let state = api::AppState {
        ledger: ledger.clone(),
        book: book.clone(),
        catalogs: all,
        token,
        seller: ratecard::samples::seller(),
        vat: VatTable::builtin(),
        fx: FxRates::sample().map_err(|e| e.to_string())?,
        dist: dist.clone(),
        work: Default::default(),
        webhook: ratecard_server::alerting::Webhook::from_env()?,
        rating_key: Default::default(),
    };
    let mut demo_invoice = None;
    if demo_data && demo::seed(ledger.as_ref(), &book)? {
        let period = Period::parse("2026-01").map_err(|e| e.to_string())?;
        let issue = chrono::NaiveDate::from_ymd_opt(2026, 2, 1).ok_or("date")?;
        let doc = ratecard_server::billing::finalize_period(&state, "acme", &period, issue, None)
            .map_err(|e| e.to_string())?;
        demo_invoice = doc.documents.first().and_then(|d| d.number.clone());
    }
    // The files of documents a stopped process stored without archiving, made before serving.
    match ratecard_server::billing::archive_missing(state.ledger.as_ref()) {
        Ok(a) => {
            if a.done > 0 {
                println!(
                    "archived the files of {} document(s) left without them",
                    a.done
                );
            }
            for (n, why) in &a.failed {
                eprintln!("archiving {n}: {why}");
            }
        }
        Err(e) => eprintln!("archiving: {}", e.message()),
    }
    let has_token = state.token.is_some();
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!("ratecard is listening on http://{local}/");
        match &dist {
            Some(d) => {
                println!("  calculator:  http://{local}/  (from {})", d.display());
                if d.join("console/index.html").exists() {
                    println!("  console:     http://{local}/console/  (sign in with the token, or one from `ratecard token create --account ID`)");
                }
            }
            None => println!("  calculator:  not served (no dist/; run `cargo xtask build-web`)"),
        }
        println!("  API:         http://{local}/api/v1/health   description: http://{local}/api/openapi.json");
        println!("  ledger:      {}", location.describe());
        if let Some(n) = demo_invoice {
            println!("  demo invoice: curl -H \"Authorization: Bearer $RATECARD_TOKEN\" http://{local}/api/v1/invoices/{n}?format=ubl");
        }
        if !has_token {
            println!("  no RATECARD_TOKEN: write endpoints answer 503 until one is set");
        }
        let state = std::sync::Arc::new(state);
        if let Some(w) = &state.webhook {
            println!("  alerts:      posted to {w:?}, signed (Ratecard-Signature)");
        }
        tokio::spawn(ratecard_server::alerting::run(state.clone()));
        let shutdown = async {
            let ctrl_c = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            #[cfg(unix)]
            let term = async {
                if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    s.recv().await;
                }
            };
            #[cfg(not(unix))]
            let term = std::future::pending::<()>();
            tokio::select! { _ = ctrl_c => {}, _ = term => {} }
            println!("shutting down: finishing the requests in flight");
        };
        ratecard_server::serve::run(listener, api::router_with(state), ratecard_server::serve::Limits::from_env(), shutdown)
            .await
            .map_err(|e| e.to_string())
    })?;
    Ok((String::new(), 0))
}

fn focus(
    period: &str,
    allocate: bool,
    format: FocusFormat,
    out: Option<&Path>,
    db: &str,
) -> Result<String, String> {
    let period =
        ratecard_server::billing::period_of(period).map_err(|e| e.message().to_string())?;
    let ledger = existing_ledger(db)?;
    let rules = match allocate {
        true => Some(
            ratecard_server::billing::allocation_rules(ledger.as_ref())
                .map_err(|e| e.message().to_string())?,
        ),
        false => None,
    };
    let table = ratecard_server::billing::focus(ledger.as_ref(), &period, rules.as_ref())
        .map_err(|e| e.message().to_string())?;
    match format {
        FocusFormat::Csv => emit(table.to_csv().into_bytes(), false, out),
        FocusFormat::Parquet => emit(ratecard_server::focus_file::parquet(&table)?, true, out),
    }
}

/// The ledger at `db`, which must exist: a command that reads or closes a ledger never makes
/// an empty one (a mistyped `--db` closed nothing and said so with exit 0).
fn existing_ledger(db: &str) -> Result<std::sync::Arc<dyn ledger::Store>, String> {
    let location = ledger::Location::parse(db);
    if let ledger::Location::Sqlite(p) = &location
        && !p.exists()
    {
        return Err(format!("{}: no ledger there", p.display()));
    }
    location.open()
}

/// A stored document from the ledger, in `format`.
fn document_of(
    number: &str,
    format: DocumentFormat,
    lang: Option<&str>,
    out: Option<&Path>,
    db: &str,
) -> Result<String, String> {
    let ledger = existing_ledger(db)?;
    let doc = ledger
        .document(number)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no document `{number}`"))?
        .document;
    let lang = lang
        .map(ratecard_server::pdf::Lang::parse)
        .transpose()
        .map_err(|e| format!("--lang: {e}"))?;
    let archived = || {
        ratecard_server::billing::archived(ledger.as_ref(), &doc)
            .map_err(|e| e.message().to_string())
    };
    let (bytes, binary) = match format {
        DocumentFormat::Json => (json_or_csv(&doc, false)?, false),
        DocumentFormat::Csv => (json_or_csv(&doc, true)?, false),
        DocumentFormat::Ubl => (
            export::ubl(&doc).map_err(|e| e.to_string())?.into_bytes(),
            false,
        ),
        DocumentFormat::Cii => (archived()?.xml.into_bytes(), false),
        DocumentFormat::Pdf => match lang {
            Some(l) if l != ratecard_server::billing::archive_lang(&doc) => {
                (ratecard_server::pdf::pdf(&doc, l)?, true)
            }
            _ => (archived()?.pdf, true),
        },
    };
    emit(bytes, binary, out)
}

fn accounting(
    year: i32,
    format: AccountingFormat,
    map: Option<&Path>,
    out: Option<&Path>,
    db: &str,
    catalogs: &[String],
) -> Result<(String, usize), String> {
    if !(1970..=9999).contains(&year) {
        return Err(format!("--year {year}: 1970 to 9999"));
    }
    let map_text = match map {
        Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => ratecard::samples::ACCOUNT_MAP.to_string(),
    };
    let map = ratecard::accounting::AccountMap::from_json(&map_text).map_err(|e| e.to_string())?;
    let ledger = existing_ledger(db)?;
    let entries = ratecard_server::billing::journal(ledger.as_ref(), &book(catalogs)?, year, &map)
        .map_err(|e| e.message().to_string())?;
    let closing = chrono::NaiveDate::from_ymd_opt(year, 12, 31).ok_or("no such year")?;
    let siren = ratecard::samples::seller()
        .siren
        .unwrap_or_else(|| "000000000".into());
    let (text, name) = match format {
        AccountingFormat::Fec => (
            ratecard::accounting::fec(&entries, &map).map_err(|e| e.to_string())?,
            ratecard::accounting::fec_file_name(&siren, closing),
        ),
        AccountingFormat::Csv => (
            ratecard::accounting::csv(&entries),
            format!("journal-{year}.csv"),
        ),
        AccountingFormat::Json => (
            canonical::to_string(&entries).map_err(|e| e.to_string())?,
            format!("journal-{year}.json"),
        ),
    };
    match out {
        None => Ok((text, 0)),
        Some(dir) => {
            let path = dir.join(&name);
            std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((format!("{}: {} entries", path.display(), entries.len()), 0))
        }
    }
}

fn close(
    period: &str,
    db: &str,
    workers: usize,
    issue_date: Option<&str>,
    catalogs: &[String],
) -> Result<(String, usize), String> {
    let period =
        ratecard_server::billing::period_of(period).map_err(|e| e.message().to_string())?;
    let issue = match issue_date {
        Some(d) => ratecard::time::parse_date(d)?,
        None => ratecard_server::billing::default_issue_date(&period),
    };
    let book = book(catalogs)?;
    let state = api::AppState {
        ledger: existing_ledger(db)?,
        book: book.clone(),
        catalogs: Default::default(),
        token: None,
        seller: ratecard::samples::seller(),
        vat: VatTable::builtin(),
        fx: FxRates::sample().map_err(|e| e.to_string())?,
        dist: None,
        work: Default::default(),
        webhook: None,
        rating_key: Default::default(),
    };
    let show = |p: &ratecard_server::close::Progress| eprintln!("{}", p.line());
    let r = ratecard_server::close::close(&state, &period, issue, workers, &show)?;
    let numbers: Vec<&String> = r.made.values().collect();
    let mut text = format!(
        "closed {}: {} invoices made, {} already made, {} failed",
        period.label(),
        r.made.len(),
        r.found.len(),
        r.failed.len()
    );
    if let (Some(first), Some(last)) = (numbers.iter().min(), numbers.iter().max()) {
        text.push_str(&format!(" (made {first} to {last})"));
    }
    if r.failed.is_empty() && r.unarchived.is_empty() {
        return Ok((text, 0));
    }
    for (account, why) in &r.failed {
        text.push_str(&format!("\n  {account}: {why}"));
    }
    for (number, why) in &r.unarchived {
        text.push_str(&format!(
            "\n  {number} is final, but its files were not made: {why}"
        ));
    }
    Err(text)
}

/// The audit report of a ledger, read-only: a SQLite file opened read-only, or a PostgreSQL
/// ledger read in one snapshot without migrating anything.
fn audit_report(
    db: &str,
    expect: Option<(i64, &str)>,
) -> Result<ratecard_server::audit::AuditReport, String> {
    use ratecard_server::audit::AuditKey;
    match ledger::Location::parse(db) {
        ledger::Location::Sqlite(path) => {
            if !path.exists() {
                return Err(format!("{}: no such ledger", path.display()));
            }
            let conn = ratecard_server::audit::open_read_only(&path)?;
            let (key, _) = AuditKey::for_ledger(&path, false)?;
            ratecard_server::ledger::sqlite::verify_file(&conn, &key, expect)
                .map_err(|e| e.to_string())
        }
        ledger::Location::Postgres(url) => {
            let (key, _) = AuditKey::from_env()?;
            let l = ledger::PgLedger::connect_existing(&url, key).map_err(|e| e.to_string())?;
            l.verify_anchored(expect).map_err(|e| e.to_string())
        }
    }
}

fn audit_verify(db: &str, expect: Option<&str>) -> Result<(String, usize), String> {
    let expect = match expect {
        Some(e) => {
            let (seq, hash) = e
                .split_once(':')
                .and_then(|(s, h)| s.parse::<i64>().ok().map(|s| (s, h)))
                .ok_or("--expect takes SEQ:HASH, as `ratecard audit head` prints it")?;
            Some((seq, hash))
        }
        None => None,
    };
    let r = audit_report(db, expect)?;
    if r.ok {
        Ok((
            format!(
                "audit log intact: {} entries, keyed chain, head and covered documents, archived files, events and customers verified",
                r.entries
            ),
            0,
        ))
    } else {
        Err(format!(
            "the ledger does not verify:\n  {}",
            r.problems.join("\n  ")
        ))
    }
}

fn audit_head(db: &str) -> Result<(String, usize), String> {
    let r = audit_report(db, None)?;
    match (r.ok, r.head) {
        (true, Some((seq, hash))) => Ok((format!("{seq}:{hash}"), 0)),
        (true, None) => Err("the audit log is empty".into()),
        (false, _) => Err(format!(
            "the ledger does not verify; no head to anchor:\n  {}",
            r.problems.join("\n  ")
        )),
    }
}

fn token(command: &TokenCommand) -> Result<(String, usize), String> {
    let now = ratecard::time::format_instant(&chrono::Utc::now());
    match command {
        TokenCommand::Create {
            account,
            admin,
            name,
            db,
        } => {
            let scope = match (account, admin) {
                (Some(a), false) => {
                    if a.is_empty()
                        || a.len() > 128
                        || a.chars().any(|c| c.is_control() || c == ',')
                    {
                        return Err(format!("--account `{a}`: 1 to 128 characters, no comma"));
                    }
                    format!("account:{a}")
                }
                _ => "admin".to_string(),
            };
            let ledger = ledger::Location::parse(db).open()?;
            let (id, secret) = api::auth::new_token()?;
            let record = ledger::tokens::TokenRecord {
                id: id.clone(),
                name: name.clone(),
                scope: scope.clone(),
                created: now,
                revoked: None,
            };
            ledger
                .create_token(&record, &api::auth::token_hash(&secret))
                .map_err(|e| e.to_string())?;
            ledger
                .audit("token", &id, &format!("created, scope {scope}"))
                .map_err(|e| e.to_string())?;
            eprintln!("token {id} ({scope}) created; it is shown once, keep it now:");
            Ok((secret, 0))
        }
        TokenCommand::List { db } => {
            let ledger = ledger::Location::parse(db).open()?;
            let list = ledger.tokens().map_err(|e| e.to_string())?;
            if list.is_empty() {
                return Ok(("no tokens (ratecard token create)".into(), 0));
            }
            let mut out = format!(
                "{:<10} {:<24} {:<20} {:<24} revoked\n",
                "id", "scope", "name", "created"
            );
            for t in list {
                out.push_str(&format!(
                    "{:<10} {:<24} {:<20} {:<24} {}\n",
                    t.id,
                    t.scope,
                    t.name,
                    t.created,
                    t.revoked.as_deref().unwrap_or("-")
                ));
            }
            Ok((out, 0))
        }
        TokenCommand::Revoke { id, db } => {
            let ledger = ledger::Location::parse(db).open()?;
            if !ledger.revoke_token(id, &now).map_err(|e| e.to_string())? {
                return Err(format!("no unrevoked token `{id}` (ratecard token list)"));
            }
            ledger
                .audit("token", id, "revoked")
                .map_err(|e| e.to_string())?;
            Ok((format!("token {id} revoked: refused from now on"), 0))
        }
    }
}

/// mimalloc: a million events' many small allocations are made and freed faster than with the
/// system allocator (BENCHMARKS.md, the pipeline's rows).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Estimate {
            request,
            catalogs,
            options,
        } => estimate(request, catalogs, *options).map(|t| (t, 0)),
        Command::Invoice {
            catalogs,
            events,
            customer,
            period,
            seller,
            fx,
            currency,
            issue_date,
            format,
            lang,
            out,
            rejects,
        } => invoice(
            catalogs,
            events,
            customer,
            period,
            seller.as_deref(),
            fx.as_deref(),
            currency.clone(),
            issue_date.as_deref(),
            *format,
            lang,
            out.as_deref(),
            rejects.as_deref(),
        ),
        Command::Document {
            number,
            format,
            lang,
            out,
            db,
        } => document_of(number, *format, lang.as_deref(), out.as_deref(), db).map(|t| (t, 0)),
        Command::Catalog {
            command: CatalogCommand::Validate { files },
        } => validate(files).map(|t| (t, 0)),
        Command::Serve {
            addr,
            db,
            catalogs,
            dist,
            demo,
        } => serve(addr, db, catalogs, dist.clone(), *demo),
        Command::Close {
            period,
            db,
            workers,
            issue_date,
            catalogs,
        } => close(
            period,
            db,
            usize::from(*workers),
            issue_date.as_deref(),
            catalogs,
        ),
        Command::Focus {
            period,
            allocate,
            format,
            out,
            db,
        } => focus(period, *allocate, *format, out.as_deref(), db).map(|t| (t, 0)),
        Command::Accounting {
            year,
            format,
            map,
            out,
            db,
            catalogs,
        } => accounting(*year, *format, map.as_deref(), out.as_deref(), db, catalogs),
        Command::Audit {
            command: AuditCommand::Verify { db, expect },
        } => audit_verify(db, expect.as_deref()),
        Command::Audit {
            command: AuditCommand::Head { db },
        } => audit_head(db),
        Command::Token { command } => token(command),
    };
    match result {
        Ok((text, rejected)) => {
            // A reader that stops early (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{}", text.trim_end());
            if rejected > 0 {
                eprintln!("{rejected} event(s) rejected");
                return ExitCode::from(3);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ratecard: {e}");
            ExitCode::FAILURE
        }
    }
}
