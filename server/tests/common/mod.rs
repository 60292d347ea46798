//! What the service's test files share.

/// `n` events of `account` from number `from`: b2-15 instances started and stopped through
/// January, two events per instance.
pub fn events(account: &str, from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| {
            format!(
                r#"{{"id":"{account}-{i}","account":"{account}","resource":"vm-{}","sku":"b2-15","region":"gra","kind":"{}","at":"2026-01-{:02}T{:02}:00:00Z"}}"#,
                i / 2,
                if i % 2 == 0 { "start" } else { "stop" },
                1 + (i / 48) % 28,
                (i % 48) / 2
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
