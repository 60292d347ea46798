//! Offline VAT number checks: the country's format, and its checksum where one is published.
//! Online (VIES) checks are outside the engine.
//!
//! Checksums: AT, BE, DE, DK, EE, EL (Greece), FI, FR (numeric keys), HR, HU, IT, LU, NL, PL, PT,
//! SE, SI, SK. Format only: BG, CY, CZ, ES, IE, LT, LV, MT, RO.
// Checksums over the digits of a VAT number of at most 15 characters: small integers, no
// overflow possible.
#![allow(clippy::arithmetic_side_effects)]

/// A VAT number, normalized: upper case, without spaces, dots or dashes. Only ASCII letters
/// are upper-cased (VAT numbers are ASCII; anything else fails the format check as it is), so
/// the Unicode case tables stay out of the calculator's WebAssembly.
pub fn normalize(number: &str) -> String {
    number
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The VAT prefix of an ISO country code (Greece uses EL).
pub fn prefix_of(country: &str) -> &str {
    if country == "GR" { "EL" } else { country }
}

fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn all_digits(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn luhn(d: &[u32]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                if x * 2 > 9 { x * 2 - 9 } else { x * 2 }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 7064 MOD 11,10 (Germany, Croatia).
fn mod_11_10(d: &[u32]) -> bool {
    let (body, check) = d.split_at(d.len() - 1);
    let mut product = 10;
    for &x in body {
        let mut sum = (x + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let c = (11 - product) % 10;
    c == check[0]
}

fn weighted(d: &[u32], weights: &[u32]) -> u32 {
    d.iter().zip(weights).map(|(a, b)| a * b).sum()
}

/// Checks `number` (with its country prefix) for `country` (ISO code). `Err` says why it fails.
pub fn validate(country: &str, number: &str) -> Result<(), String> {
    let n = normalize(number);
    let prefix = prefix_of(country);
    let Some(body) = n.strip_prefix(prefix) else {
        return Err(format!(
            "`{number}` does not start with {prefix}, the prefix of {country}"
        ));
    };
    let bad_format = |what: &str| {
        Err(format!(
            "`{number}` is not a {country} VAT number: expected {what}"
        ))
    };
    let bad_check = || {
        Err(format!(
            "`{number}` fails the {country} VAT number checksum"
        ))
    };
    let ok = |valid: bool| if valid { Ok(()) } else { bad_check() };
    // Every format below is ASCII and is checked by byte position: a character of several bytes
    // would fall across a position (and panic the slice), so it fails here, as it is.
    if let Some(c) = body
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !matches!(c, '+' | '*'))
    {
        return Err(format!(
            "`{number}` is not a {country} VAT number: `{c}` is not a letter or digit"
        ));
    }
    match prefix {
        "AT" => {
            let Some(rest) = body.strip_prefix('U').filter(|r| all_digits(r, &[8])) else {
                return bad_format("U and 8 digits");
            };
            let d = digits(rest).unwrap_or_default();
            let s: u32 = d[..7]
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    if i % 2 == 1 {
                        (x * 2) / 10 + (x * 2) % 10
                    } else {
                        x
                    }
                })
                .sum();
            ok((10 - (s + 4) % 10) % 10 == d[7])
        }
        "BE" => {
            if !all_digits(body, &[10]) || !body.starts_with(['0', '1']) {
                return bad_format("10 digits starting with 0 or 1");
            }
            let head: u64 = body[..8].parse().unwrap_or(0);
            let tail: u64 = body[8..].parse().unwrap_or(0);
            ok(97 - head % 97 == tail)
        }
        "DE" | "HR" => {
            let len = if prefix == "DE" { 9 } else { 11 };
            if !all_digits(body, &[len]) {
                return bad_format(&format!("{len} digits"));
            }
            ok(mod_11_10(&digits(body).unwrap_or_default()))
        }
        "DK" => {
            if !all_digits(body, &[8]) {
                return bad_format("8 digits");
            }
            ok(
                weighted(&digits(body).unwrap_or_default(), &[2, 7, 6, 5, 4, 3, 2, 1])
                    .is_multiple_of(11),
            )
        }
        "EE" => {
            if !all_digits(body, &[9]) {
                return bad_format("9 digits");
            }
            let d = digits(body).unwrap_or_default();
            ok((10 - weighted(&d[..8], &[3, 7, 1, 3, 7, 1, 3, 7]) % 10) % 10 == d[8])
        }
        "EL" => {
            if !all_digits(body, &[9]) {
                return bad_format("9 digits");
            }
            let d = digits(body).unwrap_or_default();
            let s: u32 = d[..8].iter().enumerate().map(|(i, &x)| x << (8 - i)).sum();
            ok(s % 11 % 10 == d[8])
        }
        "FI" => {
            if !all_digits(body, &[8]) {
                return bad_format("8 digits");
            }
            let d = digits(body).unwrap_or_default();
            let r = weighted(&d[..7], &[7, 9, 10, 5, 8, 4, 2]) % 11;
            ok(r != 1 && (if r == 0 { 0 } else { 11 - r }) == d[7])
        }
        "FR" => {
            let valid_key = body.len() == 11
                && body[..2]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() && c != 'O' && c != 'I')
                && body[2..].bytes().all(|b| b.is_ascii_digit());
            if !valid_key {
                return bad_format("a 2-character key and the 9-digit SIREN");
            }
            match body[..2].parse::<u64>() {
                // Numeric key: (12 + 3 x (SIREN mod 97)) mod 97. Alphabetic keys have no public check.
                Ok(key) => ok((12 + 3 * (body[2..].parse::<u64>().unwrap_or(0) % 97)) % 97 == key),
                Err(_) => Ok(()),
            }
        }
        "HU" => {
            if !all_digits(body, &[8]) {
                return bad_format("8 digits");
            }
            let d = digits(body).unwrap_or_default();
            ok((10 - weighted(&d[..7], &[9, 7, 3, 1, 9, 7, 3]) % 10) % 10 == d[7])
        }
        "IT" => {
            if !all_digits(body, &[11]) {
                return bad_format("11 digits");
            }
            ok(luhn(&digits(body).unwrap_or_default()))
        }
        "LU" => {
            if !all_digits(body, &[8]) {
                return bad_format("8 digits");
            }
            let head: u64 = body[..6].parse().unwrap_or(0);
            ok(head % 89 == body[6..].parse::<u64>().unwrap_or(100))
        }
        "NL" => {
            let shaped = body.len() == 12
                && body[..9].bytes().all(|b| b.is_ascii_digit())
                && &body[9..10] == "B"
                && body[10..].bytes().all(|b| b.is_ascii_digit());
            if !shaped {
                return bad_format("9 digits, B and 2 digits");
            }
            let d = digits(&body[..9]).unwrap_or_default();
            let classic = weighted(&d[..8], &[9, 8, 7, 6, 5, 4, 3, 2]) % 11 == d[8];
            // Since 2020 sole traders' numbers pass ISO 7064 MOD 97-10 over "NL" + the number.
            let text: String = format!("NL{body}")
                .chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        (c as u32 - 'A' as u32 + 10).to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            let m97 = text
                .bytes()
                .fold(0u64, |acc, b| (acc * 10 + u64::from(b - b'0')) % 97)
                == 1;
            ok(classic || m97)
        }
        "PL" => {
            if !all_digits(body, &[10]) {
                return bad_format("10 digits");
            }
            let d = digits(body).unwrap_or_default();
            ok(weighted(&d[..9], &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11 == d[9])
        }
        "PT" => {
            if !all_digits(body, &[9]) {
                return bad_format("9 digits");
            }
            let d = digits(body).unwrap_or_default();
            let c = 11 - weighted(&d[..8], &[9, 8, 7, 6, 5, 4, 3, 2]) % 11;
            ok((if c >= 10 { 0 } else { c }) == d[8])
        }
        "SE" => {
            if !all_digits(body, &[12]) || !body.ends_with("01") {
                return bad_format("12 digits ending in 01");
            }
            ok(luhn(&digits(&body[..10]).unwrap_or_default()))
        }
        "SI" => {
            if !all_digits(body, &[8]) || body.starts_with('0') {
                return bad_format("8 digits not starting with 0");
            }
            let d = digits(body).unwrap_or_default();
            let r = 11 - weighted(&d[..7], &[8, 7, 6, 5, 4, 3, 2]) % 11;
            ok(r != 11 && (if r == 10 { 0 } else { r }) == d[7])
        }
        "SK" => {
            if !all_digits(body, &[10]) {
                return bad_format("10 digits");
            }
            ok(body.parse::<u64>().unwrap_or(1) % 11 == 0)
        }
        "BG" if all_digits(body, &[9, 10]) => Ok(()),
        "BG" => bad_format("9 or 10 digits"),
        "CY" if body.len() == 9
            && body[..8].bytes().all(|b| b.is_ascii_digit())
            && body.as_bytes()[8].is_ascii_uppercase() =>
        {
            Ok(())
        }
        "CY" => bad_format("8 digits and a letter"),
        "CZ" if all_digits(body, &[8, 9, 10]) => Ok(()),
        "CZ" => bad_format("8 to 10 digits"),
        "ES" if body.len() == 9
            && body.bytes().all(|b| b.is_ascii_alphanumeric())
            && body[1..8].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(())
        }
        "ES" => bad_format("a letter or digit, 7 digits and a letter or digit"),
        "IE" if (8..=9).contains(&body.len())
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'*')
            && body.as_bytes()[0].is_ascii_digit() =>
        {
            Ok(())
        }
        "IE" => bad_format("8 or 9 characters starting with a digit"),
        "LT" if all_digits(body, &[9, 12]) => Ok(()),
        "LT" => bad_format("9 or 12 digits"),
        "LV" if all_digits(body, &[11]) => Ok(()),
        "LV" => bad_format("11 digits"),
        "MT" if all_digits(body, &[8]) => Ok(()),
        "MT" => bad_format("8 digits"),
        "RO" if all_digits(body, &[2, 3, 4, 5, 6, 7, 8, 9, 10]) => Ok(()),
        "RO" => bad_format("2 to 10 digits"),
        _ => Err(format!(
            "{country} is not an EU member state: no EU VAT number to check"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn published_checksums() {
        for (c, n) in [
            ("FR", "FR40 303 265 045"),
            ("DE", "DE136695976"),
            ("IT", "IT00743110157"),
            ("BE", "BE0411905847"),
            ("NL", "NL004495445B01"),
            ("AT", "ATU13585627"),
            ("DK", "DK13585628"),
            ("FI", "FI20774740"),
            ("LU", "LU15027442"),
            ("PL", "PL5260250274"),
            ("PT", "PT501964843"),
            ("SE", "SE556188840401"),
            ("GR", "EL094259216"),
            ("SK", "SK2022749619"),
            ("SI", "SI50223054"),
            ("HU", "HU12892312"),
            ("EE", "EE100931558"),
            ("HR", "HR33392005961"),
            ("ES", "ESA28015865"),
        ] {
            assert_eq!(validate(c, n), Ok(()), "{n}");
        }
    }

    /// A character of several bytes where the format counts bytes fails, never panics.
    #[test]
    fn characters_outside_ascii_fail_the_format() {
        for (c, n) in [
            ("NL", "NL12345678éB0"),
            ("CY", "CY1234567é"),
            ("FR", "FRé1303265045"),
            ("ES", "ESé2801586"),
            ("IE", "IE1234567€"),
            ("DE", "DE١٢٣٤٥٦٧٨٩"),
        ] {
            let e = validate(c, n).unwrap_err();
            assert!(e.contains("is not a letter or digit"), "{n}: {e}");
        }
    }

    #[test]
    fn failures_say_why() {
        assert_eq!(
            validate("FR", "FR41303265045").unwrap_err(),
            "`FR41303265045` fails the FR VAT number checksum"
        );
        assert_eq!(
            validate("DE", "DE13669597").unwrap_err(),
            "`DE13669597` is not a DE VAT number: expected 9 digits"
        );
        assert_eq!(
            validate("DE", "FR40303265045").unwrap_err(),
            "`FR40303265045` does not start with DE, the prefix of DE"
        );
        assert!(
            validate("US", "US123")
                .unwrap_err()
                .contains("not an EU member state")
        );
    }
}
