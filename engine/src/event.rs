//! Usage events: the public input contract, as JSON (an array) or JSON Lines.
//!
//! ```json
//! {"id":"e1","account":"acme","resource":"vm-1","sku":"DEV1-S","region":"fr-par",
//!  "kind":"start","at":"2026-01-04T09:40:00Z","quantity":"20","tags":{"team":"web"}}
//! ```
//! A bad event is never dropped silently: it becomes a [`Reject`] that names its line, its id and
//! the field at fault, and the other events go on.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time;

/// An id or a name in an event: natively, a string kept inline up to 24 bytes (ids, accounts,
/// skus and regions nearly always are), so that reading a million events allocates nothing for
/// them. The calculator's WebAssembly reads a few events and keeps a plain `String`, a few KB
/// smaller. Both read, write and compare as the same text.
#[cfg(not(target_arch = "wasm32"))]
pub type Name = compact_str::CompactString;
#[cfg(target_arch = "wasm32")]
pub type Name = String;

/// What happened to a resource.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Start,
    Stop,
    Delete,
    /// A quantity at an instant (stored GB, provisioned size).
    Sample,
    /// A counter delta (egress GB, requests).
    Increment,
}

impl EventKind {
    /// Order of events at the same instant: what closes comes before what opens, so that a stop
    /// and a start at one instant end a run and open the next one.
    pub fn rank(self) -> u8 {
        match self {
            EventKind::Stop => 0,
            EventKind::Delete => 1,
            EventKind::Start => 2,
            EventKind::Sample => 3,
            EventKind::Increment => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EventKind::Start => "start",
            EventKind::Stop => "stop",
            EventKind::Delete => "delete",
            EventKind::Sample => "sample",
            EventKind::Increment => "increment",
        }
    }
}

/// The longest id, account, resource, SKU, region or tag value an event may carry, in bytes: an
/// ARN or a UUID fits many times over, and the ledger's keys stay well inside an index entry.
pub const MAX_NAME_BYTES: usize = 512;
/// The longest tag key, tag value or dimension name, in characters (Azure allows 512 for a
/// tag's name, AWS 128 and 256 characters for a key and a value).
pub const MAX_TAG_CHARS: usize = 512;
/// The most tags, and the most dimensions, on one event (AWS allows 50 tags a resource).
pub const MAX_TAGS: usize = 64;

/// A text of an event: at most `max` bytes, and no control character (a NUL cannot be stored
/// in PostgreSQL, and a line break would forge lines in an export).
/// Each resource's tags over `events`, by account and resource: its events' tags in the order
/// metering reads them (time, kind, id), later values winning, as a rated line's are. What a
/// FOCUS row of that resource carries, the same whatever order the events were read in (the
/// export kept the tags of whichever event a store gave back last).
pub fn resource_tags(
    events: &[UsageEvent],
) -> BTreeMap<(String, String), BTreeMap<String, String>> {
    let mut tagged: Vec<&UsageEvent> = events.iter().filter(|e| !e.tags.is_empty()).collect();
    crate::sort::sort_by(&mut tagged, |a, b| {
        (a.at, a.kind.rank(), &a.id).cmp(&(b.at, b.kind.rank(), &b.id))
    });
    let mut out: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    for e in tagged {
        out.entry((e.account.to_string(), e.resource.to_string()))
            .or_default()
            .extend(e.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    out
}

/// Checks an account's name as an event's is checked (not empty, at most [`MAX_NAME_BYTES`], no
/// control character): what the service asks of an account named in an address.
pub fn check_account(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    check_text(name, MAX_NAME_BYTES)
}

pub(crate) fn check_text(value: &str, max: usize) -> Result<(), String> {
    if value.len() > max {
        return Err(format!("is {} bytes long, more than {max}", value.len()));
    }
    no_control(value)
}

/// A tag's or a dimension's text: at most [`MAX_TAG_CHARS`] characters, no control character.
fn check_tag(value: &str) -> Result<(), String> {
    let n = value.chars().count();
    if n > MAX_TAG_CHARS {
        return Err(format!("is {n} characters long, more than {MAX_TAG_CHARS}"));
    }
    no_control(value)
}

fn no_control(value: &str) -> Result<(), String> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "must not contain control characters (found U+{:04X})",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// A usage event as written on the wire. `at` is RFC 3339 with an offset; `quantity` is a
/// decimal string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageEvent {
    /// Idempotency id: the same id twice is one event.
    #[schemars(with = "String")]
    pub id: Name,
    #[schemars(with = "String")]
    pub account: Name,
    #[schemars(with = "String")]
    pub resource: Name,
    #[schemars(with = "String")]
    pub sku: Name,
    #[schemars(with = "String")]
    pub region: Name,
    pub kind: EventKind,
    #[serde(with = "time::instant")]
    #[schemars(with = "String")]
    pub at: DateTime<Utc>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub quantity: Option<Decimal>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// A function's use, instead of a pre-multiplied `quantity`, for a counter measured in
    /// GB-seconds: the counter takes the GB-seconds it makes, and the counter of requests it
    /// names takes the invocations.
    /// Boxed: most events have none, and a smaller event is copied faster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<Box<FunctionUse>>,
    /// Further provisioned dimensions of a storage resource, on its `start` and `sample` events
    /// (`{"iops": "6000", "throughput": "250"}`): each holds until the next event that sets it.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "crate::num::exact_map"
    )]
    #[schemars(with = "BTreeMap<String, String>")]
    pub dimensions: BTreeMap<String, Decimal>,
}

/// The dimensions of a function's use (AWS Lambda, Scaleway Functions): GB-seconds are
/// `invocations` (or provisioned `concurrency`) x `duration_ms` rounded up to the millisecond
/// / 1,000 x `memory_mb` / 1,024.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionUse {
    /// Invocations, each a request; or none for provisioned concurrency.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub invocations: Option<Decimal>,
    /// Instances kept warm (provisioned concurrency), for `duration_ms` each; no request.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub concurrency: Option<Decimal>,
    /// Duration of each invocation (or the time provisioned), in milliseconds.
    #[serde(with = "crate::num::exact")]
    #[schemars(with = "String")]
    pub duration_ms: Decimal,
    /// Memory configured, in MB (1,024 MB = 1 GB).
    #[serde(with = "crate::num::exact")]
    #[schemars(with = "String")]
    pub memory_mb: Decimal,
}

/// Bounds of a function's dimensions: 10^10 ms (115 days, a month of provisioned concurrency
/// fits) per event, 1 TB of memory. At the bounds, GB-seconds stay within 10^28.
pub const MAX_DURATION_MS: Decimal = Decimal::from_parts(0x540B_E400, 2, 0, false, 0);
pub const MAX_MEMORY_MB: Decimal = Decimal::from_parts(1_048_576, 0, 0, false, 0);

impl FunctionUse {
    /// Checks each dimension: one of invocations or concurrency, none negative, each bounded.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let max = crate::num::MAX_QUANTITY;
        let dims = [
            ("function.invocations", self.invocations, max),
            ("function.concurrency", self.concurrency, max),
            (
                "function.duration_ms",
                Some(self.duration_ms),
                MAX_DURATION_MS,
            ),
            ("function.memory_mb", Some(self.memory_mb), MAX_MEMORY_MB),
        ];
        for (field, value, bound) in dims {
            match value {
                Some(v) if v.is_sign_negative() && !v.is_zero() => {
                    return Err((field, format!("must not be negative (got {v})")));
                }
                Some(v) if v > bound => {
                    return Err((field, format!("must be at most {bound} (got {v})")));
                }
                _ => {}
            }
        }
        match (self.invocations, self.concurrency) {
            (Some(_), Some(_)) => Err((
                "function",
                "takes `invocations` or `concurrency`, not both".into(),
            )),
            (None, None) => Err((
                "function",
                "needs `invocations` (or `concurrency` for provisioned concurrency)".into(),
            )),
            // What it makes is a quantity like any other: at most 10^12.
            _ => match self.gb_seconds() {
                Some(q) if q <= crate::num::MAX_QUANTITY => Ok(()),
                q => Err((
                    "function",
                    format!(
                        "makes {} GB-seconds, more than {}",
                        q.map_or_else(|| "too many".into(), |q| q.round_dp(0).to_string()),
                        crate::num::MAX_QUANTITY
                    ),
                )),
            },
        }
    }

    /// Requests made: the invocations (provisioned concurrency makes none).
    pub fn requests(&self) -> Decimal {
        self.invocations.unwrap_or_default()
    }

    /// GB-seconds: (invocations or concurrency) x ceil(duration_ms) / 1,000 x memory_mb /
    /// 1,024, exact. Every factor is bounded by [`FunctionUse::check`], so none overflows.
    pub fn gb_seconds(&self) -> Option<Decimal> {
        use crate::num::Arith;
        let n = self.invocations.or(self.concurrency)?;
        n.times(self.duration_ms.ceil())?
            .times(self.memory_mb)?
            .over(Decimal::from(1_024_000))
    }
}

impl UsageEvent {
    /// Checks what the types cannot: non-empty ids, a non-negative quantity where one is due.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (field, value) in [
            ("id", &self.id),
            ("account", &self.account),
            ("resource", &self.resource),
            ("sku", &self.sku),
            ("region", &self.region),
        ] {
            if value.is_empty() {
                return Err((field, "must not be empty".into()));
            }
            check_text(value, MAX_NAME_BYTES).map_err(|m| (field, m))?;
        }
        // Within the years a period names (four digits): `9999-12-31T23:00:00-05:00` is in the
        // year 10000 in UTC, whose text sorted before every month and was in every close.
        if !(1..=9999).contains(&chrono::Datelike::year(&self.at)) {
            return Err((
                "at",
                format!(
                    "{} is outside the years 0001 to 9999 in UTC",
                    time::format_instant(&self.at)
                ),
            ));
        }
        if self.tags.len() > MAX_TAGS {
            return Err((
                "tags",
                format!("at most {MAX_TAGS} tags (got {})", self.tags.len()),
            ));
        }
        for (k, v) in &self.tags {
            check_tag(k).map_err(|m| ("tags", format!("a key {m}")))?;
            check_tag(v).map_err(|m| ("tags", format!("`{k}` {m}")))?;
        }
        if self.dimensions.len() > MAX_TAGS {
            return Err((
                "dimensions",
                format!(
                    "at most {MAX_TAGS} dimensions (got {})",
                    self.dimensions.len()
                ),
            ));
        }
        for k in self.dimensions.keys() {
            check_tag(k).map_err(|m| ("dimensions", format!("a name {m}")))?;
        }
        if !self.dimensions.is_empty() && !matches!(self.kind, EventKind::Start | EventKind::Sample)
        {
            return Err((
                "dimensions",
                format!("a {} event takes no `dimensions`", self.kind.name()),
            ));
        }
        for (name, v) in &self.dimensions {
            if v.is_sign_negative() && !v.is_zero() {
                return Err((
                    "dimensions",
                    format!("`{name}` must not be negative (got {v})"),
                ));
            }
            if *v > crate::num::MAX_QUANTITY {
                return Err((
                    "dimensions",
                    format!(
                        "`{name}` must be at most {} (got {v})",
                        crate::num::MAX_QUANTITY
                    ),
                ));
            }
        }
        if let Some(f) = &self.function {
            if self.kind != EventKind::Increment {
                return Err((
                    "function",
                    format!("a {} event takes no `function`", self.kind.name()),
                ));
            }
            if self.quantity.is_some() {
                return Err((
                    "quantity",
                    "an event with `function` takes no quantity: it is computed from the function's use".into(),
                ));
            }
            return f.check();
        }
        match (self.kind, self.quantity) {
            (_, Some(q)) if q.is_sign_negative() && !q.is_zero() => {
                Err(("quantity", format!("must not be negative (got {q})")))
            }
            (_, Some(q)) if q > crate::num::MAX_QUANTITY => Err((
                "quantity",
                format!("must be at most {} (got {q})", crate::num::MAX_QUANTITY),
            )),
            (EventKind::Sample | EventKind::Increment, None) => Err((
                "quantity",
                format!("a {} event needs a quantity", self.kind.name()),
            )),
            (EventKind::Stop | EventKind::Delete, Some(_)) => Err((
                "quantity",
                format!("a {} event takes no quantity", self.kind.name()),
            )),
            _ => Ok(()),
        }
    }

    /// Canonical one-line JSON of the event, used to compare duplicates and in messages.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// An event that could not be used, with where it came from and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Reject {
    /// 1-based line of a JSON Lines input, or 1-based position in a JSON array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The event id, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The field at fault, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub reason: String,
}

impl Reject {
    pub fn of(event: &UsageEvent, field: &str, reason: impl Into<String>) -> Self {
        Reject {
            line: None,
            id: Some(event.id.to_string()),
            field: Some(field.into()),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(l) = self.line {
            write!(f, "line {l}: ")?;
        }
        if let Some(id) = &self.id {
            write!(f, "event `{id}`: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.reason)
    }
}

/// Events read from an input, and what could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub events: Vec<UsageEvent>,
    /// The 1-based line (JSON Lines) or position (JSON array) of each event.
    pub lines: Vec<usize>,
    pub rejects: Vec<Reject>,
    /// Rejects counted but not kept, past the bound the input was parsed with ([`parse_bounded`]).
    pub rejects_left_out: usize,
    /// Most rejects kept.
    max_rejects: Option<usize>,
}

/// Most other lines a conflicting id's reject names.
const MAX_LINES_NAMED: usize = 5;

impl Parsed {
    /// Keeps `r`, or counts it once the bound is reached.
    fn reject(&mut self, r: Reject) {
        if self.max_rejects.is_some_and(|m| self.rejects.len() >= m) {
            self.rejects_left_out = self.rejects_left_out.saturating_add(1);
        } else {
            self.rejects.push(r);
        }
    }

    /// Every reject, those kept and those only counted.
    pub fn reject_count(&self) -> usize {
        self.rejects.len().saturating_add(self.rejects_left_out)
    }

    /// Rejects every copy of an id that the input carries twice with different content for one
    /// account, each copy naming the other lines (the first five, and how many more): which one
    /// is right cannot be told, so neither is kept. Exact copies stay (they are one event). An
    /// id is its account's own: two accounts may use the same id, as they may in two batches.
    /// Each group's lines are listed once (every copy listed every other: 80,000 copies of one
    /// id in an 8 MB batch were 48 GB of messages).
    pub fn reject_conflicting_ids(&mut self) {
        let mut by_id: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
        for (i, e) in self.events.iter().enumerate() {
            by_id
                .entry((e.account.as_str(), e.id.as_str()))
                .or_default()
                .push(i);
        }
        let line_of = |i: usize| self.lines.get(i).copied();
        let mut bad: Vec<usize> = Vec::new();
        let mut rejects = Vec::new();
        for positions in by_id.values().filter(|p| p.len() > 1) {
            let first = positions.first().and_then(|&i| self.events.get(i));
            if positions.iter().all(|&i| self.events.get(i) == first) {
                continue;
            }
            bad.extend(positions);
            for &i in positions {
                let Some(e) = self.events.get(i) else {
                    continue;
                };
                let others = positions.iter().filter(|&&j| j != i);
                let mut named: Vec<String> = others
                    .take(MAX_LINES_NAMED)
                    .filter_map(|&j| line_of(j).map(|l| l.to_string()))
                    .collect();
                let more = positions.len().saturating_sub(1 + MAX_LINES_NAMED);
                if more > 0 {
                    named.push(format!("and {more} more"));
                }
                rejects.push(Reject {
                    line: line_of(i),
                    id: Some(e.id.to_string()),
                    field: Some("id".into()),
                    reason: format!(
                        "the id is used again with other content at line {}; neither copy is kept",
                        named.join(", ")
                    ),
                });
            }
        }
        if bad.is_empty() {
            return;
        }
        crate::sort::sort(&mut bad);
        let mut keep = bad.iter().peekable();
        let mut events = Vec::with_capacity(self.events.len());
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, e) in std::mem::take(&mut self.events).into_iter().enumerate() {
            if keep.peek() == Some(&&i) {
                keep.next();
                continue;
            }
            lines.push(self.lines.get(i).copied().unwrap_or(0));
            events.push(e);
        }
        self.events = events;
        self.lines = lines;
        for r in rejects {
            self.reject(r);
        }
        crate::sort::sort(&mut self.rejects);
    }
}

/// Parses one event from a JSON value's text. The error carries the id when it can be read.
fn parse_one(text: &str, line: usize) -> Result<UsageEvent, Reject> {
    // Fast path: most events are good. Only a bad one is parsed again to find its field.
    if let Ok(event) = serde_json::from_str::<UsageEvent>(text) {
        return match event.check() {
            Ok(()) => Ok(event),
            Err((field, reason)) => Err(Reject {
                line: Some(line),
                ..Reject::of(&event, field, reason)
            }),
        };
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, UsageEvent>(de) {
        Ok(event) => match event.check() {
            Ok(()) => Ok(event),
            Err((field, reason)) => Err(Reject {
                line: Some(line),
                ..Reject::of(&event, field, reason)
            }),
        },
        Err(e) => {
            let path = e.path().to_string();
            let reason = e.into_inner().to_string();
            Err(Reject {
                line: Some(line),
                id: read_id(text),
                field: (path != ".").then_some(path),
                reason: strip_position(&reason),
            })
        }
    }
}

/// serde_json appends " at line L column C"; the column is noise once the line is known.
fn strip_position(reason: &str) -> String {
    match reason.rfind(" at line ") {
        Some(i) => reason[..i].to_string(),
        None => reason.to_string(),
    }
}

fn read_id(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        id: Option<String>,
    }
    serde_json::from_str::<Id>(text).ok().and_then(|i| i.id)
}

/// The shortest text a valid event can be: its six required fields with one-character values
/// are longer than this.
const MIN_EVENT_BYTES: usize = 64;

/// The newlines of a text, counted in blocks of at most 255 bytes into a byte each: a form the
/// compiler turns into wide vector compares (a count per byte into a 64-bit sum does not).
fn newlines(text: &str) -> usize {
    text.as_bytes()
        .chunks(255)
        .map(|c| usize::from(c.iter().map(|&b| u8::from(b == b'\n')).sum::<u8>()))
        .sum()
}

/// Parses JSON Lines: one event per non-blank line.
pub fn parse_jsonl(text: &str) -> Parsed {
    parse_jsonl_into(text, Parsed::default())
}

fn parse_jsonl_into(text: &str, mut out: Parsed) -> Parsed {
    // One allocation for all the events instead of a doubling vector copied as it grows: a
    // million events are a few hundred MB. Bounded by the bytes an event needs at the least,
    // so that blank lines reserve nothing they cannot fill.
    let lines = newlines(text).saturating_add(1);
    let room = lines.min(text.len() / MIN_EVENT_BYTES);
    out.events.reserve_exact(room);
    out.lines.reserve_exact(room);
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_one(line, i.saturating_add(1)) {
            Ok(e) => {
                out.events.push(e);
                out.lines.push(i.saturating_add(1));
            }
            Err(r) => out.reject(r),
        }
    }
    out
}

/// Parses a JSON array of events. A malformed array is one reject; a malformed element is a
/// reject of its own and the others are kept.
pub fn parse_json(text: &str) -> Parsed {
    parse_json_into(text, Parsed::default())
}

fn parse_json_into(text: &str, mut out: Parsed) -> Parsed {
    // Two passes over the array, each element at a time: one counts them (and finds a
    // malformed array before anything is kept), one parses them. A vector of the elements
    // was 16 bytes each: 67 MB for 8 MB of `[1,1,...]`, twice.
    let mut count = 0usize;
    let counted = each_element(text, |_| count = count.saturating_add(1));
    if let Err(e) = counted {
        out.rejects.push(Reject {
            line: None,
            id: None,
            field: None,
            reason: format!("the input is not a JSON array of events: {e}"),
        });
        return out;
    }
    let room = count.min(text.len() / MIN_EVENT_BYTES);
    out.events.reserve_exact(room);
    out.lines.reserve_exact(room);
    let mut i = 0usize;
    // The text was read whole once: the second pass reads it the same way.
    let _ = each_element(text, |raw| {
        i = i.saturating_add(1);
        match parse_one(raw, i) {
            Ok(e) => {
                out.events.push(e);
                out.lines.push(i);
            }
            Err(r) => out.reject(r),
        }
    });
    out
}

/// Calls `f` with the text of each element of the JSON array `text`, in order, holding one at a
/// time.
fn each_element(text: &str, f: impl FnMut(&str)) -> serde_json::Result<()> {
    struct Elements<F>(F);
    impl<'de, F: FnMut(&str)> serde::de::Visitor<'de> for Elements<F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            while let Some(raw) = seq.next_element::<&'de serde_json::value::RawValue>()? {
                (self.0)(raw.get());
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    serde::Deserializer::deserialize_seq(&mut de, Elements(f))?;
    de.end()
}

/// Parses JSON (an array) or JSON Lines, whichever the text is.
pub fn parse(text: &str) -> Parsed {
    parse_into(text, Parsed::default())
}

/// [`parse`], keeping at most `max_rejects` rejects and counting the others
/// ([`Parsed::rejects_left_out`]): what a service refuses past a bound need not be held whole
/// (8 MB of `[1,1,...]` were 4 million rejects, a gigabyte).
pub fn parse_bounded(text: &str, max_rejects: usize) -> Parsed {
    parse_into(
        text,
        Parsed {
            max_rejects: Some(max_rejects),
            ..Parsed::default()
        },
    )
}

fn parse_into(text: &str, out: Parsed) -> Parsed {
    if text.trim_start().starts_with('[') {
        parse_json_into(text, out)
    } else {
        parse_jsonl_into(text, out)
    }
}

/// The JSON Schema of one usage event.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(UsageEvent);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    /// Blank lines (or a JSON array of numbers) reserve room for the events they could hold at
    /// the least, not one event per line: 1 MB of newlines reserves for 16,384 events.
    #[test]
    fn blank_input_reserves_no_more_than_it_can_fill() {
        let p = super::parse_jsonl(&"\n".repeat(1 << 20));
        assert!(p.events.is_empty() && p.events.capacity() <= (1 << 20) / 64);
        let ones = format!("[{}1]", "1,".repeat(1 << 19));
        let p = super::parse_json(&ones);
        assert_eq!(p.rejects.len(), (1 << 19) + 1);
        assert!(p.events.capacity() <= ones.len() / 64);
    }

    use super::*;

    #[test]
    fn newlines_are_counted_across_blocks() {
        assert_eq!(newlines(""), 0);
        assert_eq!(newlines(&"\n".repeat(1000)), 1000);
        let text = "a\n".repeat(300) + &"b".repeat(255) + "\n";
        assert_eq!(newlines(&text), 301);
    }

    const OK: &str = r#"{"id":"e1","account":"a","resource":"r","sku":"s","region":"x","kind":"start","at":"2026-01-01T10:00:00+01:00"}"#;

    /// 2,000 copies of one id, one of them different: each reject names five other lines and
    /// how many more (each named all the others: 80,000 copies were 48 GB of messages).
    #[test]
    fn many_conflicting_copies_are_named_within_a_bound() {
        let other = OK.replace("\"kind\":\"start\"", "\"kind\":\"stop\"");
        let text = format!("{other}\n{}", format!("{OK}\n").repeat(1_999));
        let mut p = parse_jsonl(&text);
        p.reject_conflicting_ids();
        assert!(p.events.is_empty());
        assert_eq!(p.rejects.len(), 2_000);
        assert_eq!(
            p.rejects[0].to_string(),
            "line 1: event `e1`: id: the id is used again with other content at line 2, 3, 4, 5, 6, and 1994 more; neither copy is kept"
        );
        assert!(p.rejects.iter().all(|r| r.reason.len() < 120));
        // Bounded: 100 kept, the rest counted.
        let mut p = parse_bounded(&text, 100);
        p.reject_conflicting_ids();
        assert_eq!((p.rejects.len(), p.reject_count()), (100, 2_000));
        let ones = format!("[{}1]", "1,".repeat(999));
        let p = parse_bounded(&ones, 10);
        assert_eq!((p.rejects.len(), p.rejects_left_out), (10, 990));
    }

    /// A resource's tags are its events' in time order, later values winning, whatever order
    /// the events come in.
    #[test]
    fn a_resource_has_its_events_tags_in_time_order() {
        let first = OK.replace("\"e1\"", "\"b1\"").replace(
            "\"kind\":\"start\"",
            "\"kind\":\"start\",\"tags\":{\"project\":\"web\",\"team\":\"x\"}",
        );
        let later = OK
            .replace("\"e1\"", "\"a1\"")
            .replace("2026-01-01T10:00:00+01:00", "2026-01-20T00:00:00Z")
            .replace(
                "\"kind\":\"start\"",
                "\"kind\":\"stop\",\"tags\":{\"env\":\"prod\",\"team\":\"y\"}",
            );
        let key = ("a".to_string(), "r".to_string());
        let expected: BTreeMap<String, String> =
            [("env", "prod"), ("project", "web"), ("team", "y")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        for text in [format!("{first}\n{later}"), format!("{later}\n{first}")] {
            let p = parse_jsonl(&text);
            assert!(p.rejects.is_empty(), "{:?}", p.rejects);
            assert_eq!(resource_tags(&p.events).get(&key), Some(&expected));
        }
    }

    /// An instant past the year 9999 in UTC is refused at its field.
    #[test]
    fn an_instant_past_the_year_9999_is_refused() {
        let late = OK.replace("2026-01-01T10:00:00+01:00", "9999-12-31T23:00:00-05:00");
        let p = parse_jsonl(&late);
        assert_eq!(
            p.rejects.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            [
                "line 1: event `e1`: at: +10000-01-01T04:00:00Z is outside the years 0001 to 9999 in UTC"
            ]
        );
        let last = OK.replace("2026-01-01T10:00:00+01:00", "9999-12-31T23:00:00Z");
        assert_eq!(parse_jsonl(&last).events.len(), 1);
        assert!(check_account("").is_err() && check_account(&"a".repeat(513)).is_err());
        assert!(check_account("a\u{7}").is_err() && check_account("acme").is_ok());
    }

    #[test]
    fn conflicting_copies_in_one_input_are_both_rejected() {
        let a = OK.to_string();
        let b = OK.replace("\"kind\":\"start\"", "\"kind\":\"stop\"");
        let other = OK.replace("e1", "e9");
        let mut p = parse_jsonl(&format!("{a}\n{other}\n{b}\n{a}\n"));
        p.reject_conflicting_ids();
        assert_eq!(p.events.len(), 1);
        assert_eq!(p.events[0].id, "e9");
        assert_eq!(p.lines, vec![2]);
        let shown: Vec<String> = p.rejects.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            shown,
            vec![
                "line 1: event `e1`: id: the id is used again with other content at line 3, 4; neither copy is kept",
                "line 3: event `e1`: id: the id is used again with other content at line 1, 4; neither copy is kept",
                "line 4: event `e1`: id: the id is used again with other content at line 1, 3; neither copy is kept",
            ]
        );
    }

    #[test]
    fn texts_that_no_ledger_could_keep_are_refused_by_field() {
        let refused = |json: String| {
            let p = parse_jsonl(&json);
            assert!(p.events.is_empty(), "{json}");
            p.rejects[0].to_string()
        };
        assert_eq!(
            refused(OK.replace("\"e1\"", "\"e\\u0000x\"")),
            "line 1: event `e\0x`: id: must not contain control characters (found U+0000)"
        );
        let long = "r".repeat(MAX_NAME_BYTES + 1);
        assert_eq!(
            refused(OK.replace("\"resource\":\"r\"", &format!("\"resource\":\"{long}\""))),
            "line 1: event `e1`: resource: is 513 bytes long, more than 512"
        );
        assert_eq!(
            refused(OK.replace("\"account\":\"a\"", "\"account\":\"a\\nb\"")),
            "line 1: event `e1`: account: must not contain control characters (found U+000A)"
        );
        let tags = (0..=MAX_TAGS)
            .map(|i| format!("\"t{i}\":\"v\""))
            .collect::<Vec<_>>();
        let with_tags = |t: &str| OK.replace("}", &format!(",\"tags\":{{{t}}}}}"));
        assert_eq!(
            refused(with_tags(&tags.join(","))),
            "line 1: event `e1`: tags: at most 64 tags (got 65)"
        );
        assert_eq!(
            refused(with_tags("\"project\":\"web\\u0007\"")),
            "line 1: event `e1`: tags: `project` must not contain control characters (found U+0007)"
        );
        // A tag counts characters: a key of 200 Japanese characters (600 bytes) is kept.
        assert_eq!(
            parse_jsonl(&with_tags(&format!("\"{}\":\"v\"", "値".repeat(200))))
                .events
                .len(),
            1
        );
        // At the bounds, the event is kept.
        let at = OK.replace("\"e1\"", &format!("\"{}\"", "é".repeat(MAX_NAME_BYTES / 2)));
        assert_eq!(
            parse_jsonl(&with_tags(&tags[1..].join(",")).replace(OK, &at))
                .events
                .len(),
            1
        );
        assert_eq!(parse_jsonl(&at).events.len(), 1);
    }

    #[test]
    fn one_id_in_two_accounts_is_two_events() {
        let a = OK.to_string();
        let b = OK
            .replace("\"account\":\"a\"", "\"account\":\"b\"")
            .replace("\"kind\":\"start\"", "\"kind\":\"stop\"");
        let mut p = parse_jsonl(&format!("{a}\n{b}\n"));
        p.reject_conflicting_ids();
        assert!(p.rejects.is_empty(), "{:?}", p.rejects);
        assert_eq!(p.lines, vec![1, 2]);
        // Within one account the conflict is still found, and named by the other account's
        // copy not at all.
        let c = a.replace("\"kind\":\"start\"", "\"kind\":\"stop\"");
        let mut p = parse_jsonl(&format!("{a}\n{b}\n{c}\n"));
        p.reject_conflicting_ids();
        assert_eq!(p.lines, vec![2]);
        let shown: Vec<String> = p.rejects.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            shown,
            vec![
                "line 1: event `e1`: id: the id is used again with other content at line 3; neither copy is kept",
                "line 3: event `e1`: id: the id is used again with other content at line 1; neither copy is kept",
            ]
        );
    }

    #[test]
    fn parses_and_converts_to_utc() {
        let p = parse_jsonl(OK);
        assert!(p.rejects.is_empty(), "{:?}", p.rejects);
        assert_eq!(
            time::format_instant(&p.events[0].at),
            "2026-01-01T09:00:00Z"
        );
    }

    #[test]
    fn rejects_name_line_id_and_field() {
        let text = format!(
            "{OK}\n{}\n{}\n{}\n{}\nnot json\n",
            OK.replace("e1", "e2").replace("+01:00", ""),
            OK.replace("e1", "e3")
                .replace(r#""kind":"start""#, r#""kind":"sample","quantity":"-1""#),
            OK.replace("e1", "e4")
                .replace(r#""kind":"start""#, r#""kind":"sample","quantity":"abc""#),
            OK.replace("e1", "e5")
                .replace(r#""region":"x""#, r#""region":"x","zone":"z""#),
        );
        let p = parse_jsonl(&text);
        assert_eq!(p.events.len(), 1);
        let shown: Vec<String> = p.rejects.iter().map(|r| r.to_string()).collect();
        assert_eq!(shown.len(), 5, "{shown:#?}");
        assert!(
            shown[0].starts_with(
                "line 2: event `e2`: at: timestamp `2026-01-01T10:00:00` has no UTC offset"
            ),
            "{}",
            shown[0]
        );
        assert_eq!(
            shown[1],
            "line 3: event `e3`: quantity: must not be negative (got -1)"
        );
        assert!(
            shown[2].starts_with("line 4: event `e4`: quantity: "),
            "{}",
            shown[2]
        );
        assert!(
            shown[3].starts_with("line 5: event `e5`: zone: unknown field `zone`"),
            "{}",
            shown[3]
        );
        assert!(shown[4].starts_with("line 6: expected"), "{}", shown[4]);
    }

    #[test]
    fn decimal_overflow_is_a_reject() {
        let text = OK.replace(
            r#""kind":"start""#,
            r#""kind":"increment","quantity":"99999999999999999999999999999999""#,
        );
        let p = parse_jsonl(&text);
        assert_eq!(p.rejects.len(), 1);
        assert_eq!(p.rejects[0].field.as_deref(), Some("quantity"));
    }

    #[test]
    fn json_array_keeps_good_elements() {
        let text = format!("[{OK}, {{\"id\": 3}}]");
        let p = parse_json(&text);
        assert_eq!(p.events.len(), 1);
        assert_eq!(p.rejects.len(), 1);
        assert_eq!(p.rejects[0].line, Some(2));
    }
}
