//! A FOCUS export as Parquet: the engine's rows ([`ratecard::focus::Table`], the same the CSV
//! writes), each column typed as FOCUS types it. Decimals are `DECIMAL(38, 18)` (exact: the
//! engine's decimals, never a float), times are UTC timestamps in milliseconds, JSON columns
//! carry Parquet's JSON type, the rest is UTF-8 text; an empty cell is a null. Native only: the
//! calculator's WebAssembly does not link it.

use std::sync::Arc;

use parquet::basic::{
    Compression, DecimalType, LogicalType, Repetition, TimeUnit, TimestampType, Type as Physical,
};
use parquet::data_type::{
    ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType, Int64Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use ratecard::focus::{Kind, Table};
use rust_decimal::Decimal;

/// The scale of every decimal column: 18 digits after the point, 20 before.
pub const SCALE: u32 = 18;
const PRECISION: i32 = 38;
/// Rows per row group: a reader holds one group at a time.
const GROUP: usize = 100_000;

/// The Parquet file of `table`.
pub fn parquet(table: &Table) -> Result<Vec<u8>, String> {
    let fail = |e: parquet::errors::ParquetError| format!("writing Parquet: {e}");
    let fields = table
        .columns
        .iter()
        .map(|c| column_type(c).map(Arc::new))
        .collect::<Result<Vec<_>, String>>()?;
    let schema = Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
        .map_err(fail)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by("ratecard".into())
        .build();
    let mut out = Vec::new();
    let mut w =
        SerializedFileWriter::new(&mut out, Arc::new(schema), Arc::new(props)).map_err(fail)?;
    for group in table.rows.chunks(GROUP) {
        let mut rg = w.next_row_group().map_err(fail)?;
        let mut at = 0usize;
        while let Some(mut col) = rg.next_column().map_err(fail)? {
            let name = table.columns.get(at).copied().unwrap_or_default();
            let cells = group.iter().map(|r| r.get(at).map_or("", String::as_str));
            let defs: Vec<i16> = cells.clone().map(|c| i16::from(!c.is_empty())).collect();
            let present = cells.filter(|c| !c.is_empty());
            match ratecard::focus::kind(name) {
                Kind::Decimal => {
                    let values = present
                        .map(|c| decimal(name, c))
                        .collect::<Result<Vec<_>, _>>()?;
                    col.typed::<FixedLenByteArrayType>()
                        .write_batch(&values, Some(&defs), None)
                        .map_err(fail)?;
                }
                Kind::DateTime => {
                    let values = present
                        .map(|c| millis(name, c))
                        .collect::<Result<Vec<_>, _>>()?;
                    col.typed::<Int64Type>()
                        .write_batch(&values, Some(&defs), None)
                        .map_err(fail)?;
                }
                Kind::Json | Kind::Text => {
                    let values: Vec<ByteArray> = present.map(ByteArray::from).collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&values, Some(&defs), None)
                        .map_err(fail)?;
                }
            }
            col.close().map_err(fail)?;
            at = at.saturating_add(1);
        }
        rg.close().map_err(fail)?;
    }
    w.close().map_err(fail)?;
    Ok(out)
}

fn column_type(name: &str) -> Result<Type, String> {
    let b = match ratecard::focus::kind(name) {
        Kind::Decimal => Type::primitive_type_builder(name, Physical::FIXED_LEN_BYTE_ARRAY)
            .with_length(16)
            .with_logical_type(Some(LogicalType::Decimal(DecimalType {
                scale: SCALE as i32,
                precision: PRECISION,
            })))
            .with_precision(PRECISION)
            .with_scale(SCALE as i32),
        Kind::DateTime => Type::primitive_type_builder(name, Physical::INT64).with_logical_type(
            Some(LogicalType::Timestamp(TimestampType {
                is_adjusted_to_u_t_c: true,
                unit: TimeUnit::MILLIS,
            })),
        ),
        Kind::Json => Type::primitive_type_builder(name, Physical::BYTE_ARRAY)
            .with_logical_type(Some(LogicalType::Json)),
        Kind::Text => Type::primitive_type_builder(name, Physical::BYTE_ARRAY)
            .with_logical_type(Some(LogicalType::String)),
    };
    b.with_repetition(Repetition::OPTIONAL)
        .build()
        .map_err(|e| format!("the Parquet type of {name}: {e}"))
}

/// A decimal cell as 16 big-endian bytes of its value times 10^18; refused when it has more
/// digits than the column holds (the figures are never rounded on the way).
fn decimal(column: &str, cell: &str) -> Result<FixedLenByteArray, String> {
    let d: Decimal = cell
        .parse::<Decimal>()
        .map_err(|_| format!("{column}: `{cell}` is not a decimal"))?
        .normalize();
    let too_long =
        || format!("{column}: {cell} does not fit DECIMAL({PRECISION}, {SCALE}) without rounding");
    let up = SCALE.checked_sub(d.scale()).ok_or_else(too_long)?;
    let scaled = 10i128
        .checked_pow(up)
        .and_then(|f| d.mantissa().checked_mul(f))
        .filter(|v| v.unsigned_abs() < 10u128.pow(PRECISION as u32))
        .ok_or_else(too_long)?;
    Ok(FixedLenByteArray::from(scaled.to_be_bytes().to_vec()))
}

fn millis(column: &str, cell: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(cell)
        .map(|t| t.timestamp_millis())
        .map_err(|_| format!("{column}: `{cell}` is not an RFC 3339 time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(cell: &str) -> Result<i128, String> {
        decimal("BilledCost", cell).map(|b| i128::from_be_bytes(b.data().try_into().unwrap()))
    }

    /// A figure is written exactly, or refused: never rounded to fit.
    #[test]
    fn decimals_are_exact_or_refused() {
        assert_eq!(value("71.93"), Ok(71_930_000_000_000_000_000));
        assert_eq!(value("-0.000000000000000001"), Ok(-1));
        assert_eq!(value("1000000000000000000"), Ok(10i128.pow(36)));
        for cell in ["0.0000000000000000001", "100000000000000000000"] {
            assert!(
                value(cell).unwrap_err().contains("without rounding"),
                "{cell}"
            );
        }
        assert!(value("12,5").unwrap_err().contains("is not a decimal"));
        assert!(value("").unwrap_err().contains("is not a decimal"));
    }

    #[test]
    fn times_are_utc_milliseconds() {
        assert_eq!(
            millis("ChargePeriodStart", "2026-01-01T00:00:00Z"),
            Ok(1_767_225_600_000)
        );
        assert_eq!(
            millis("ChargePeriodStart", "2026-01-01T01:00:00+01:00"),
            Ok(1_767_225_600_000)
        );
        assert!(millis("ChargePeriodStart", "2026-01").is_err());
    }
}
