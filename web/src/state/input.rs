//! Numbers as typed in the form, the way each language writes them, and a percent within
//! 0..100.
//!
//! - English: a point before the decimals, commas grouping thousands (`1,000.5`).
//! - French: a comma before the decimals, spaces grouping thousands (`1 000,5`); a point is
//!   taken as the decimal point too, unless three digits follow it (`1.000` is ambiguous).
//!
//! A number that does not read one way only is an inline error, never a silent other value.

use rust_decimal::Decimal;

use super::{FieldError, Lang};

/// Whether `int` is digits grouped by threes with `sep` (`1,000,000`), the first group 1 to 3.
fn grouped(int: &str, sep: char) -> bool {
    let mut groups = int.split(sep);
    // A first group of 0 (`0,125`) is no thousands grouping: it would read as 125.
    let first_ok = groups.next().is_some_and(|g| {
        (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()) && !g.starts_with('0')
    });
    first_ok && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// The number as the engine reads it (`1000.5`), from the way `lang` writes it.
pub fn normalize(text: &str, lang: Lang) -> Result<String, String> {
    let t = text.trim();
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", t),
    };
    let allowed =
        |c: char| c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\u{a0}' | '\u{202f}');
    if body.is_empty() || !body.chars().all(allowed) {
        return Err(match lang {
            Lang::En => format!("`{t}` is not a number"),
            Lang::Fr => format!("`{t}` n'est pas un nombre"),
        });
    }
    let read = match lang {
        Lang::En if !body.contains([' ', '\u{a0}', '\u{202f}']) => {
            let (int, frac) = body.split_once('.').unwrap_or((body, ""));
            digits(int, frac, ',')
        }
        Lang::En => None,
        Lang::Fr => {
            let body = body.replace(['\u{a0}', '\u{202f}'], " ");
            match (body.split_once(','), body.split_once('.')) {
                (Some((i, f)), None) => digits(i, f, ' '),
                // A point with three digits after it could be a thousands point: ambiguous.
                (None, Some((i, f))) if f.len() != 3 || i.contains(' ') => digits(i, f, ' '),
                (None, None) => digits(&body, "", ' '),
                _ => None,
            }
        }
    };
    match read {
        Some(n) => Ok(format!("{sign}{n}")),
        None => Err(format!(
            "`{t}`: {}",
            match lang {
                Lang::En => "write it as 1,000.5",
                Lang::Fr => "écrivez-le ainsi : 1 000,5",
            }
        )),
    }
}

/// The integer part grouped correctly by `sep` (or not at all), decimals of digits only.
fn digits(int: &str, frac: &str, sep: char) -> Option<String> {
    let int_ok = if int.contains(sep) {
        grouped(int, sep)
    } else {
        !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit())
    };
    if !int_ok || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: String = int.chars().filter(char::is_ascii_digit).collect();
    if !frac.is_empty() {
        n.push('.');
        n.push_str(frac);
    }
    Some(n)
}

/// A discount in percent: a number from 0 to 100, or an inline error at its field.
pub(super) fn percent(
    text: &str,
    lang: Lang,
    item: Option<u32>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Decimal> {
    let p = number(text, lang, item, field, errors)?;
    if p > Decimal::ONE_HUNDRED {
        errors.push(FieldError {
            item,
            field: field.into(),
            message: match lang {
                Lang::En => format!("must be from 0 to 100 % (got {p})"),
                Lang::Fr => format!("doit être entre 0 et 100 % (reçu {p})"),
            },
        });
        return None;
    }
    Some(p)
}

/// A count of resources: a whole number from 1, within the engine's bound.
pub(super) fn count(
    text: &str,
    lang: Lang,
    item: Option<u32>,
    errors: &mut Vec<FieldError>,
) -> u32 {
    let mut fail = |message: String| {
        errors.push(FieldError {
            item,
            field: "count".into(),
            message,
        });
        1
    };
    if text.trim().is_empty() {
        return fail(match lang {
            Lang::En => "enter how many (1 or more)".into(),
            Lang::Fr => "indiquez combien (1 ou plus)".into(),
        });
    }
    let n = match normalize(text, lang) {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    let max = ratecard::estimate::MAX_COUNT;
    if n.contains('.') {
        return fail(match lang {
            Lang::En => format!("`{}` is not a whole number", text.trim()),
            Lang::Fr => format!("`{}` n'est pas un nombre entier", text.trim()),
        });
    }
    match n.parse::<i64>() {
        Ok(v) if v >= 1 && v <= i64::from(max) => u32::try_from(v).unwrap_or(1),
        Ok(v) if v < 1 => fail(match lang {
            Lang::En => "must be at least 1".into(),
            Lang::Fr => "doit valoir au moins 1".into(),
        }),
        // Past the engine's bound, or past any integer: too large, said with the number typed.
        _ => fail(match lang {
            Lang::En => format!("too large: at most {max} (got {})", text.trim()),
            Lang::Fr => format!("trop grand : {max} au plus (reçu {})", text.trim()),
        }),
    }
}

pub(super) fn number(
    text: &str,
    lang: Lang,
    item: Option<u32>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Decimal> {
    if text.trim().is_empty() {
        return None;
    }
    let read = normalize(text, lang).and_then(|t| {
        // Digits and a point now: past 28 digits, a decimal cannot hold it.
        // The engine's exact reading: a value it would round is refused, not changed.
        ratecard::parse_decimal(&t).map_err(|_| {
            let int = t.split('.').next().unwrap_or_default();
            let digits = |s: &str| {
                s.bytes()
                    .filter(u8::is_ascii_digit)
                    .skip_while(|b| *b == b'0')
                    .count()
            };
            match lang {
                Lang::En if digits(int) > 28 => format!("`{}` is too large", text.trim()),
                Lang::Fr if digits(int) > 28 => format!("`{}` est trop grand", text.trim()),
                Lang::En => format!(
                    "`{}` has more decimals than a decimal holds (28 digits at most)",
                    text.trim()
                ),
                Lang::Fr => format!(
                    "`{}` a trop de décimales (28 chiffres au plus)",
                    text.trim()
                ),
            }
        })
    });
    match read {
        Ok(d) if d.is_sign_negative() && !d.is_zero() => {
            errors.push(FieldError {
                item,
                field: field.into(),
                message: match lang {
                    Lang::En => "must not be negative".into(),
                    Lang::Fr => "ne doit pas être négatif".into(),
                },
            });
            None
        }
        Ok(d) => Some(d),
        Err(message) => {
            errors.push(FieldError {
                item,
                field: field.into(),
                message,
            });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_writes_numbers_its_way() {
        let en = |t: &str| normalize(t, Lang::En);
        let fr = |t: &str| normalize(t, Lang::Fr);
        assert_eq!(en("1,000"), Ok("1000".into()));
        assert_eq!(en("1,000.5"), Ok("1000.5".into()));
        assert_eq!(en("12,345,678"), Ok("12345678".into()));
        assert_eq!(en("0.25"), Ok("0.25".into()));
        assert_eq!(en("-3"), Ok("-3".into()));
        assert!(en("1,5").unwrap_err().contains("write it as 1,000.5"));
        assert!(en("1,00").is_err());
        assert!(en("0,125").is_err(), "a first group of 0 is no grouping");
        assert!(en("1 000").is_err());
        assert!(en("1e3").unwrap_err().contains("is not a number"));
        assert!(en("1.2.3").is_err());
        assert_eq!(fr("1 000,5"), Ok("1000.5".into()));
        assert_eq!(fr("1\u{202f}000,5"), Ok("1000.5".into()));
        assert_eq!(fr("1000,5"), Ok("1000.5".into()));
        assert_eq!(fr("2,75"), Ok("2.75".into()));
        assert_eq!(fr("1.5"), Ok("1.5".into()));
        assert!(fr("1.000").unwrap_err().contains("1 000,5"));
        assert!(fr("1 000.000,5").is_err());
        assert!(fr("10 00").is_err());
    }
}
