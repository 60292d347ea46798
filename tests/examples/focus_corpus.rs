//! Writes the FOCUS rows of every final invoice and credit note the conformance cases produce
//! (a draft as the final invoice it would become) into one CSV file, for the FinOps
//! Foundation's `focus-validator` that `cargo xtask test` runs on it.
//!
//! `cargo run -p ratecard-conformance --example focus_corpus -- OUT.csv`
//!
//! Each case's documents are numbered apart (`C012-INV-2026-000001`), so that two cases'
//! invoices never share an InvoiceId.

fn main() -> Result<(), String> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: focus_corpus OUT.csv")?;
    let mut docs = Vec::new();
    for (i, (_, finals)) in ratecard_conformance::final_documents()?
        .into_iter()
        .enumerate()
    {
        for mut d in finals {
            d.number = d.number.map(|n| format!("C{i:03}-{n}"));
            docs.push(d);
        }
    }
    let refs: Vec<&ratecard::document::Document> = docs.iter().collect();
    let table =
        ratecard::focus::table(&refs, &|_, _| "{}".to_string()).map_err(|e| e.to_string())?;
    std::fs::write(&out, table.to_csv()).map_err(|e| format!("{out}: {e}"))?;
    println!(
        "focus_corpus: {} rows of {} documents in {out}",
        table.rows.len(),
        docs.len()
    );
    Ok(())
}
