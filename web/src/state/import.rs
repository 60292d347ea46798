//! A composition from a CSV file, as a spreadsheet or an infrastructure tool writes it: a header
//! row naming the columns, then one line per row. Known columns: `sku` (required), `region`,
//! `count`, `plan` (`hourly`/`monthly`), `uptime` (percent, or hours with `uptime_unit` =
//! `hours`), `gb`, `egress_gb`, `requests`, `commitment`, `upfront` (`none`, `partial`, `all`),
//! a function's `invocations`, `duration_ms` and `memory_mb`, a volume's first two
//! provisioned dimensions `dim_1` and `dim_2` (IOPS, MB/s), `label`, `group`, `discount`. Numbers
//! are read the file's way, whatever the page's language: with a point before decimals in a
//! file of comma-separated fields (`1000.5`, `"1,000.5"`), with a comma in one of
//! semicolon-separated fields (`1000,5`, `1 000,5`, as a spreadsheet in French writes it); an
//! unknown column is an error, naming it.
//!
//! The reader is a small RFC 4180 one (quoted fields, doubled quotes, commas or semicolons)
//! rather than the `csv` crate: the calculator's download has a size budget.

use ratecard::estimate::Plan;

use super::{ItemForm, Lang, Setup, UptimeUnit};

/// Most rows read from one file: the engine's bound on items.
const MAX_ROWS: usize = ratecard::estimate::MAX_ITEMS;
/// Most bytes and most fields per row: bounds on the work one file asks.
const MAX_BYTES: usize = 2 << 20;
const MAX_FIELDS: usize = 64;

/// A setup from JSON: an exported file (its `setup`), a saved or shared setup (its `items`).
/// Bounded as a CSV is (bytes, lines); JSON that is neither is an error, never an empty setup
/// in place of the work on the page.
pub fn from_json(text: &str) -> Result<Setup, String> {
    #[derive(serde::Deserialize)]
    struct Exported {
        setup: Option<Setup>,
        items: Option<Vec<ItemForm>>,
    }
    if text.len() > MAX_BYTES {
        return Err(format!("the file is larger than {} MB", MAX_BYTES >> 20));
    }
    let setup = match serde_json::from_str::<Exported>(text).map_err(|e| e.to_string())? {
        Exported { setup: Some(s), .. } => s,
        Exported { items: Some(_), .. } => {
            serde_json::from_str::<Setup>(text).map_err(|e| e.to_string())?
        }
        _ => return Err("this JSON is not a setup: no `setup` and no `items`".into()),
    };
    if setup.items.len() > MAX_ROWS {
        return Err(format!(
            "{} lines, more than the {MAX_ROWS} an estimate can hold",
            setup.items.len()
        ));
    }
    Ok(setup)
}

/// The records of a CSV text, each with the line it starts on; `sep` separates fields.
fn records(text: &str, sep: char) -> Result<Vec<(usize, Vec<String>)>, String> {
    if text.len() > MAX_BYTES {
        return Err(format!("the file is larger than {} MB", MAX_BYTES >> 20));
    }
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let (mut line, mut starts) = (1, 1);
    let mut chars = text.chars().peekable();
    let end_record = |record: &mut Vec<String>, starts: usize, out: &mut Vec<_>| {
        if record.iter().any(|f: &String| !f.trim().is_empty()) {
            out.push((starts, std::mem::take(record)));
        }
        record.clear();
    };
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            // A quote opens a field, after any spaces (`a, "b, c"`).
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, c) if c == sep => {
                record.push(std::mem::take(&mut field));
                if record.len() > MAX_FIELDS {
                    return Err(format!("line {starts}: more than {MAX_FIELDS} fields"));
                }
            }
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                end_record(&mut record, starts, &mut out);
                starts = line;
                if out.len() > MAX_ROWS + 1 {
                    return Err(format!("more than {MAX_ROWS} lines"));
                }
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {starts}: a quoted field is not closed"));
    }
    record.push(field);
    end_record(&mut record, starts, &mut out);
    if out.len() > MAX_ROWS + 1 {
        return Err(format!("more than {MAX_ROWS} lines"));
    }
    Ok(out)
}

/// `base` with its lines replaced by those of a CSV (the price list, month, language, customer
/// and currency stay as they are).
pub fn from_csv(text: &str, base: &Setup) -> Result<Setup, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or_default();
    let sep = if first.contains(';') && !first.contains(',') {
        ';'
    } else {
        ','
    };
    let rows = records(text, sep)?;
    let Some(((_, head), rows)) = rows.split_first() else {
        return Err("the file is empty".into());
    };
    let head: Vec<String> = head.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    const KNOWN: &[&str] = &[
        "sku",
        "region",
        "count",
        "plan",
        "uptime",
        "uptime_unit",
        "gb",
        "egress_gb",
        "requests",
        "commitment",
        "upfront",
        "invocations",
        "duration_ms",
        "memory_mb",
        "dim_1",
        "dim_2",
        "label",
        "group",
        "discount",
    ];
    if let Some(bad) = head.iter().find(|h| !KNOWN.contains(&h.as_str())) {
        return Err(format!(
            "unknown column `{bad}` (known: {})",
            KNOWN.join(", ")
        ));
    }
    if !head.iter().any(|h| h == "sku") {
        return Err("no `sku` column".into());
    }
    let mut setup = base.clone();
    setup.items.clear();
    for (n, (line, row)) in rows.iter().enumerate() {
        let line = *line;
        if row.len() > head.len() {
            return Err(format!(
                "line {line}: {} fields for {} columns",
                row.len(),
                head.len()
            ));
        }
        let mut it = ItemForm {
            id: u32::try_from(n).unwrap_or(u32::MAX),
            ..ItemForm::default()
        };
        for (h, v) in head.iter().zip(row) {
            let v = v.trim().to_string();
            match h.as_str() {
                "sku" => it.sku = v,
                "region" => it.region = v,
                "count" if !v.is_empty() => it.count = v,
                "plan" => {
                    it.plan = match v.as_str() {
                        "" | "hourly" => Plan::Hourly,
                        "monthly" => Plan::Monthly,
                        _ => {
                            return Err(format!(
                                "line {line}: plan `{v}` is not hourly or monthly"
                            ));
                        }
                    }
                }
                "uptime" if !v.is_empty() => it.uptime = v,
                "uptime_unit" => {
                    it.uptime_unit = match v.as_str() {
                        "" | "percent" | "%" => UptimeUnit::Percent,
                        "hours" => UptimeUnit::Hours,
                        _ => {
                            return Err(format!(
                                "line {line}: uptime_unit `{v}` is not percent or hours"
                            ));
                        }
                    }
                }
                "gb" => it.gb = v,
                "egress_gb" => it.egress_gb = v,
                "requests" => it.requests = v,
                "commitment" => it.commitment = v,
                "invocations" => it.invocations = v,
                "duration_ms" => it.duration_ms = v,
                "memory_mb" => it.memory_mb = v,
                "dim_1" => it.dim_1 = v,
                "dim_2" => it.dim_2 = v,
                "upfront" => {
                    it.upfront = match v.as_str() {
                        "" => Default::default(),
                        u => ratecard::estimate::Upfront::parse(u).ok_or_else(|| {
                            format!("line {line}: upfront `{v}` is not none, partial or all")
                        })?,
                    }
                }
                "label" => it.label = v,
                "group" => it.group = v,
                "discount" => it.discount = v,
                _ => {}
            }
        }
        if it.sku.is_empty() {
            return Err(format!("line {line}: no sku"));
        }
        setup.items.push(it);
    }
    if setup.items.iter().any(|i| !i.discount.is_empty()) {
        setup.quote.enabled = true;
    }
    // Numbers are read the file's way, whatever the page's language: a file whose fields a
    // comma separates writes 1000.5 (or "1,000.5"), one that semicolons separate (a spreadsheet
    // in French) 1000,5 or 1 000,5. Then they are written the page's way: one file, one price.
    // A number that does not read the file's way is refused, named: left as typed, the page
    // read it its own way ("1.000" in a semicolon file was 1 on the English page).
    let file = if sep == ';' { Lang::Fr } else { Lang::En };
    if let Err((i, field, text)) = super::rewrite_numbers(&mut setup.items, file, setup.lang) {
        let line = rows.get(i).map_or(0, |(l, _)| *l);
        let how = match sep {
            ';' => "a file separated by semicolons writes numbers as 1000,5 or 1 000,5",
            _ => "a file separated by commas writes numbers as 1000.5 or \"1,000.5\"",
        };
        return Err(format!(
            "line {line}: {field}: `{text}` is not a number: {how}"
        ));
    }
    Ok(setup)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON that is not a setup, or too large, is an error: before, `{}` or a quote's body read
    /// as an empty setup and replaced the page's work without a word.
    #[test]
    fn json_that_is_no_setup_is_refused() {
        for text in [
            "{}",
            r#"{"foo":1}"#,
            r#"{"estimate":{"items":[]},"document":{}}"#,
        ] {
            assert_eq!(
                from_json(text).unwrap_err(),
                "this JSON is not a setup: no `setup` and no `items`",
                "{text}"
            );
        }
        let s = Setup::default();
        let bare = serde_json::to_string(&s).unwrap();
        assert_eq!(from_json(&bare), Ok(s.clone()));
        let exported = format!(r#"{{"setup":{bare},"catalog":"stratus"}}"#);
        assert_eq!(from_json(&exported), Ok(s));
        let many = format!(r#"{{"items":[{}{{}}]}}"#, "{},".repeat(MAX_ROWS));
        assert_eq!(
            from_json(&many).unwrap_err(),
            "1001 lines, more than the 1000 an estimate can hold"
        );
        let huge = format!(r#"{{"items":[],"month":"{}"}}"#, "x".repeat(MAX_BYTES));
        assert_eq!(
            from_json(&huge).unwrap_err(),
            "the file is larger than 2 MB"
        );
    }

    /// One file, one price, on either page: a comma-separated file's "1,000" is a thousand on
    /// the French page too (it was 1 there), and a semicolon-separated file's 1000,5 is read
    /// the French way on the English page.
    #[test]
    fn numbers_are_read_the_file_s_way_whatever_the_page_s_language() {
        let comma = "sku,gb\nclassic-volume,\"1,000\"\nclassic-volume,250.5\n";
        let semi = "sku;gb\nclassic-volume;1 000\nclassic-volume;250,5\n";
        for lang in [Lang::En, Lang::Fr] {
            let mut page = Setup::default();
            page.switch_lang(lang);
            for text in [comma, semi] {
                let s = from_csv(text, &page).expect("reads");
                let gb: Vec<&str> = s.items.iter().map(|i| i.gb.as_str()).collect();
                let shown = match lang {
                    Lang::En => vec!["1000", "250.5"],
                    Lang::Fr => vec!["1000", "250,5"],
                };
                assert_eq!(gb, shown, "{lang:?} {text}");
                let out = s.compute();
                assert!(out.errors.is_empty(), "{:?}", out.errors);
            }
        }
    }

    /// A field the calculator does not know is an error naming it: `egress` for `egress_gb`
    /// imported the line without its egress, silently.
    #[test]
    fn a_field_the_calculator_does_not_know_is_refused() {
        let e = from_json(r#"{"items":[{"sku":"object-storage","gb":"100","egress":"500"}]}"#)
            .expect_err("unknown field");
        assert!(
            e.starts_with("unknown field `egress`, expected one of"),
            "{e}"
        );
        let e = from_json(r#"{"setup":{"items":[],"curency":"USD"}}"#).expect_err("unknown");
        assert!(e.starts_with("unknown field `curency`"), "{e}");
        // What the page writes reads back.
        let mut s = Setup::default();
        s.add("object-storage");
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(from_json(&text).expect("reads"), s);
    }

    /// A number that does not read the file's way is refused, named, on either page: a
    /// semicolon file's "1.000" was 1 on the English page and an error on the French one.
    #[test]
    fn a_number_that_does_not_read_the_file_s_way_is_refused() {
        for lang in [Lang::En, Lang::Fr] {
            let mut page = Setup::default();
            page.switch_lang(lang);
            let e = from_csv("sku;gb\nclassic-volume;10\nclassic-volume;1.000\n", &page)
                .expect_err("ambiguous");
            assert_eq!(
                e,
                "line 3: gb: `1.000` is not a number: a file separated by semicolons writes numbers as 1000,5 or 1 000,5"
            );
            let e = from_csv("sku,gb\nclassic-volume,\"2,5\"\n", &page).expect_err("ambiguous");
            assert!(e.starts_with("line 2: gb: `2,5` is not a number: "), "{e}");
        }
        let fr = crate::state::in_french(
            "line 3: gb: `1.000` is not a number: a file separated by semicolons writes numbers as 1000,5 or 1 000,5",
        );
        assert_eq!(
            fr,
            "ligne 3: gb: `1.000` n'est pas un nombre : un fichier séparé par des points-virgules écrit les nombres ainsi : 1000,5 ou 1 000,5"
        );
    }

    #[test]
    fn a_spreadsheet_feeds_the_calculator() {
        let text = "sku,count,uptime,gb,label,group\r\nb2-15,2,50,,\"web, front\",production\nclassic-volume,1,,250,data,production\n\n";
        let s = from_csv(text, &Setup::default()).expect("reads");
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[0].label, "web, front");
        assert_eq!((s.items[1].id, s.items[1].gb.as_str()), (1, "250"));
        // The same figures as the form typed by hand.
        let out = s.compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(
            out.estimate.expect("estimate").summary.total.to_string(),
            "92.91"
        );
        assert_eq!(
            out.groups
                .get("production")
                .map(|d| d.to_string())
                .as_deref(),
            Some("92.91")
        );
    }

    /// The page's other settings stay; a byte-order mark, spaces before a quote, blank lines
    /// and quoted line breaks are read as a spreadsheet writes them; line numbers are the
    /// file's.
    #[test]
    fn a_file_as_spreadsheets_write_it() {
        let base = Setup {
            catalog: "nimbus".into(),
            lang: crate::state::Lang::Fr,
            ..Setup::default()
        };
        let text = "\u{feff}sku,label,group\n\nDEV1-S, \"web, front\",prod\nDEV1-M,\"two\nlines\",prod\nDEV1-S,x,prod,extra\n";
        let e = from_csv(text, &base).unwrap_err();
        assert_eq!(e, "line 6: 4 fields for 3 columns");
        let s = from_csv("\u{feff}sku,label\nDEV1-S, \"web, front\"\n", &base).expect("reads");
        assert_eq!(
            (s.catalog.as_str(), s.lang),
            ("nimbus", crate::state::Lang::Fr)
        );
        assert_eq!(s.items[0].label, "web, front");
        let many = format!("sku\n{}", "DEV1-S\n".repeat(MAX_ROWS + 1));
        assert_eq!(
            from_csv(&many, &base).unwrap_err(),
            format!("more than {MAX_ROWS} lines")
        );
        let no_newline = format!("sku\n{}DEV1-S", "DEV1-S\n".repeat(MAX_ROWS));
        assert!(from_csv(&no_newline, &base).is_err());
        let wide = format!("sku\n{}", ",".repeat(100));
        assert!(
            from_csv(&wide, &base)
                .unwrap_err()
                .contains("more than 64 fields")
        );
    }

    /// A function's and a volume's own columns: 3,000,000 invocations of 1 s at 512 MB (11.30,
    /// the engine's case) and a block-gp volume of 500 GB with 6,000 IOPS and 250 MB/s (61.16).
    #[test]
    fn a_function_and_a_volume_from_a_spreadsheet() {
        let base = Setup {
            catalog: "nimbus".into(),
            region: "fr-par".into(),
            ..Setup::default()
        };
        let text = "sku;invocations;duration_ms;memory_mb;gb;dim_1;dim_2\nfunctions-compute;3000000;1000;512;;;\nblock-gp;;;;500;6000;250\n";
        let s = from_csv(text, &base).expect("reads");
        let out = s.compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert_eq!(
            out.services
                .get("Serverless")
                .map(|d| d.to_string())
                .as_deref(),
            Some("11.30")
        );
        assert_eq!(
            out.services
                .get("Block storage")
                .map(|d| d.to_string())
                .as_deref(),
            Some("61.16")
        );
    }

    /// A savings plan from a spreadsheet: its commitment and upfront option are columns.
    /// 4 x b2-30 covered in full by 0.7104 an hour, paid upfront: 0.7104 x 8,760 = 6,223.10.
    #[test]
    fn a_savings_plan_from_a_spreadsheet() {
        let text = "sku,count,commitment,upfront\nb2-30,4,,\nsavings-1y,1,0.7104,all\n";
        let s = from_csv(text, &Setup::default()).expect("reads");
        let out = s.compute();
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let term = out.term.expect("a term");
        assert_eq!(term.upfront.to_string(), "6223.10");
        assert_eq!(
            from_csv("sku,upfront\nsavings-1y,half\n", &Setup::default()).unwrap_err(),
            "line 2: upfront `half` is not none, partial or all"
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let d = Setup::default();
        assert_eq!(from_csv("", &d).unwrap_err(), "the file is empty");
        assert!(
            from_csv("sku,colour\nb2-15,red\n", &d)
                .unwrap_err()
                .contains("unknown column `colour`")
        );
        assert_eq!(from_csv("count\n2\n", &d).unwrap_err(), "no `sku` column");
        assert_eq!(
            from_csv("sku,plan\nb2-15,yearly\n", &d).unwrap_err(),
            "line 2: plan `yearly` is not hourly or monthly"
        );
        assert_eq!(
            from_csv("sku\n\"b2-15\n", &d).unwrap_err(),
            "line 2: a quoted field is not closed"
        );
        assert_eq!(
            from_csv("sku;count\nb2-15;3\n", &d)
                .expect("semicolons")
                .items[0]
                .count,
            "3"
        );
    }
}
