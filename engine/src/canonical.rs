//! Canonical JSON: object keys sorted, no insignificant white space, decimals as strings (the
//! types serialize them so). Two equal results give byte-identical text on every platform.

use serde::Serialize;
use serde_json::Value;

/// Sorts object keys at every depth, whatever the map type behind `serde_json::Map`.
pub fn sort_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> =
                map.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            // Inserted one by one: collecting into the map would sort again, with another copy
            // of a sort routine.
            crate::sort::sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
            let mut sorted = serde_json::Map::new();
            for (k, v) in entries {
                sorted.insert(k, v);
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// The canonical text of a value.
///
/// Written in one pass, each object's members sorted as they are finished, so that a large
/// result (an estimate of thousands of lines) never exists as a `serde_json::Value` tree as
/// well: half the memory and time, and in the calculator's WebAssembly no `Value` code at all
/// (5 KB gzipped less). It gives the bytes of [`tree_string`], which tests check: every serde
/// shape, random documents and ratings, and the digests of the conformance cases.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(256);
    value.serialize(stream::Canon { out: &mut out })?;
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

/// The canonical text through a `serde_json::Value` tree: the reference [`to_string`] is
/// tested against.
pub fn tree_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    Ok(sort_keys(serde_json::to_value(value)?).to_string())
}

mod stream {
    //! A serde serializer that writes canonical JSON directly: members of every object sorted
    //! by key (byte order, the last of equal keys kept, as a `Value` map does), no white space,
    //! strings escaped by serde_json.
    use std::borrow::Cow;
    use std::collections::BTreeMap;
    use std::ops::Range;

    use serde::ser::{self, Serialize};
    use serde_json::Error;

    pub struct Canon<'a> {
        pub out: &'a mut Vec<u8>,
    }

    fn text(out: &mut Vec<u8>, s: &str) -> Result<(), Error> {
        serde_json::to_writer(out, s)
    }

    /// Writes `{"key":value}` for an enum variant's payload.
    fn tagged<T: Serialize + ?Sized>(out: &mut Vec<u8>, key: &str, v: &T) -> Result<(), Error> {
        out.push(b'{');
        text(out, key)?;
        out.push(b':');
        v.serialize(Canon { out: &mut *out })?;
        out.push(b'}');
        Ok(())
    }

    pub struct Seq<'a> {
        out: &'a mut Vec<u8>,
        first: bool,
        /// A tuple variant closes its `{"variant":[` with `]}`.
        close: &'static [u8],
    }

    impl Seq<'_> {
        fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
            if !self.first {
                self.out.push(b',');
            }
            self.first = false;
            v.serialize(Canon {
                out: &mut *self.out,
            })
        }
        fn finish(self) -> Result<(), Error> {
            self.out.extend_from_slice(self.close);
            Ok(())
        }
    }

    pub struct Obj<'a> {
        out: &'a mut Vec<u8>,
        /// Where the first member starts in `out`, just after the `{`.
        start: usize,
        /// Each member's key, and where its `"key":value` lies in `out` (from `start`).
        members: Vec<(Cow<'static, str>, Range<usize>)>,
        key: Option<String>,
        /// A struct variant closes its `{"variant":{` with one more `}`.
        close: &'static [u8],
    }

    impl<'a> Obj<'a> {
        /// Opens an object after whatever `out` holds (`{"variant":` for a struct variant).
        fn open(out: &'a mut Vec<u8>, close: &'static [u8]) -> Self {
            out.push(b'{');
            let start = out.len();
            Obj {
                out,
                start,
                members: Vec::new(),
                key: None,
                close,
            }
        }

        /// Writes `"key":value` where it stands; `finish` puts the members in order.
        fn member<T: Serialize + ?Sized>(
            &mut self,
            key: Cow<'static, str>,
            v: &T,
        ) -> Result<(), Error> {
            if !self.members.is_empty() {
                self.out.push(b',');
            }
            let at = self.out.len().saturating_sub(self.start);
            text(self.out, &key)?;
            self.out.push(b':');
            v.serialize(Canon {
                out: &mut *self.out,
            })?;
            let end = self.out.len().saturating_sub(self.start);
            self.members.push((key, at..end));
            Ok(())
        }

        /// Members written in key order (most maps) stay where they are; otherwise they are
        /// copied out and written back in order, the last of equal keys kept (as a map keeps
        /// it).
        fn finish(mut self) -> Result<(), Error> {
            let in_order = self.members.windows(2).all(|w| w[0].0 < w[1].0);
            if !in_order {
                self.reorder()?;
            }
            self.out.push(b'}');
            self.out.extend_from_slice(self.close);
            Ok(())
        }

        fn reorder(&mut self) -> Result<(), Error> {
            let body = self.out.split_off(self.start);
            // In key order; a later member of an equal key replaces the earlier.
            // Inserted one by one: collecting would sort with a second (stable) sort routine.
            let mut order: BTreeMap<&str, &Range<usize>> = BTreeMap::new();
            for (k, r) in &self.members {
                order.insert(k.as_ref(), r);
            }
            for (i, range) in order.into_values().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                let bytes = body
                    .get(range.clone())
                    .ok_or_else(|| <Error as ser::Error>::custom("a member outside its object"))?;
                self.out.extend_from_slice(bytes);
            }
            Ok(())
        }
    }

    /// Map keys: strings, and the scalars serde_json turns into strings.
    struct Key;

    impl ser::Serializer for Key {
        type Ok = String;
        type Error = Error;
        type SerializeSeq = ser::Impossible<String, Error>;
        type SerializeTuple = ser::Impossible<String, Error>;
        type SerializeTupleStruct = ser::Impossible<String, Error>;
        type SerializeTupleVariant = ser::Impossible<String, Error>;
        type SerializeMap = ser::Impossible<String, Error>;
        type SerializeStruct = ser::Impossible<String, Error>;
        type SerializeStructVariant = ser::Impossible<String, Error>;
        fn serialize_str(self, v: &str) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_char(self, v: char) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_bool(self, v: bool) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_i8(self, v: i8) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_i16(self, v: i16) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_i32(self, v: i32) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_i64(self, v: i64) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_u8(self, v: u8) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_u16(self, v: u16) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_u32(self, v: u32) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_u64(self, v: u64) -> Result<String, Error> {
            Ok(v.to_string())
        }
        fn serialize_f32(self, _: f32) -> Result<String, Error> {
            Err(ser::Error::custom("a float as a map key"))
        }
        fn serialize_f64(self, _: f64) -> Result<String, Error> {
            Err(ser::Error::custom("a float as a map key"))
        }
        fn serialize_bytes(self, _: &[u8]) -> Result<String, Error> {
            Err(ser::Error::custom("bytes as a map key"))
        }
        fn serialize_none(self) -> Result<String, Error> {
            Err(ser::Error::custom("none as a map key"))
        }
        fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<String, Error> {
            v.serialize(self)
        }
        fn serialize_unit(self) -> Result<String, Error> {
            Err(ser::Error::custom("unit as a map key"))
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<String, Error> {
            Err(ser::Error::custom("unit as a map key"))
        }
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
        ) -> Result<String, Error> {
            Ok(variant.to_string())
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            v: &T,
        ) -> Result<String, Error> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<String, Error> {
            Err(ser::Error::custom("a variant as a map key"))
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
            Err(ser::Error::custom("a sequence as a map key"))
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
            Err(ser::Error::custom("a tuple as a map key"))
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Error> {
            Err(ser::Error::custom("a tuple as a map key"))
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Error> {
            Err(ser::Error::custom("a variant as a map key"))
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
            Err(ser::Error::custom("a map as a map key"))
        }
        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStruct, Error> {
            Err(ser::Error::custom("a struct as a map key"))
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Error> {
            Err(ser::Error::custom("a variant as a map key"))
        }
    }

    macro_rules! scalar {
        ($($name:ident: $t:ty),*) => {$(
            fn $name(self, v: $t) -> Result<(), Error> {
                serde_json::to_writer(&mut *self.out, &v)
            }
        )*};
    }

    impl<'a> ser::Serializer for Canon<'a> {
        type Ok = ();
        type Error = Error;
        type SerializeSeq = Seq<'a>;
        type SerializeTuple = Seq<'a>;
        type SerializeTupleStruct = Seq<'a>;
        type SerializeTupleVariant = Seq<'a>;
        type SerializeMap = Obj<'a>;
        type SerializeStruct = Obj<'a>;
        type SerializeStructVariant = Obj<'a>;

        scalar!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
            serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
            serialize_u64: u64, serialize_char: char);

        // serde's trait names floats; no engine type holds one (money is decimal, and
        // `clippy::float_arithmetic` is denied). A float from a caller's own type is written
        // as a Value would print it (non-finite numbers become null), without arithmetic.
        fn serialize_f32(self, v: f32) -> Result<(), Error> {
            serde_json::to_writer(&mut *self.out, &serde_json::Value::from(v))
        }
        fn serialize_f64(self, v: f64) -> Result<(), Error> {
            serde_json::to_writer(&mut *self.out, &serde_json::Value::from(v))
        }
        fn serialize_str(self, v: &str) -> Result<(), Error> {
            text(self.out, v)
        }
        fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
            serde_json::to_writer(&mut *self.out, v)
        }
        fn serialize_none(self) -> Result<(), Error> {
            self.out.extend_from_slice(b"null");
            Ok(())
        }
        fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
            v.serialize(self)
        }
        fn serialize_unit(self) -> Result<(), Error> {
            self.serialize_none()
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
            self.serialize_none()
        }
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
        ) -> Result<(), Error> {
            text(self.out, variant)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            v: &T,
        ) -> Result<(), Error> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
            v: &T,
        ) -> Result<(), Error> {
            tagged(self.out, variant, v)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, Error> {
            self.out.push(b'[');
            Ok(Seq {
                out: self.out,
                first: true,
                close: b"]",
            })
        }
        fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, Error> {
            self.serialize_seq(Some(len))
        }
        fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'a>, Error> {
            self.serialize_seq(Some(len))
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
            _: usize,
        ) -> Result<Seq<'a>, Error> {
            self.out.push(b'{');
            text(self.out, variant)?;
            self.out.extend_from_slice(b":[");
            Ok(Seq {
                out: self.out,
                first: true,
                close: b"]}",
            })
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Obj<'a>, Error> {
            Ok(Obj::open(self.out, b""))
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Obj<'a>, Error> {
            self.serialize_map(None)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
            _: usize,
        ) -> Result<Obj<'a>, Error> {
            self.out.push(b'{');
            text(self.out, variant)?;
            self.out.push(b':');
            Ok(Obj::open(self.out, b"}"))
        }
    }

    /// The four sequence shapes write their elements the same way.
    macro_rules! sequence {
        ($($trait:ident :: $method:ident),*) => {$(
            impl ser::$trait for Seq<'_> {
                type Ok = ();
                type Error = Error;
                fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
                    self.element(v)
                }
                fn end(self) -> Result<(), Error> {
                    self.finish()
                }
            }
        )*};
    }
    sequence!(
        SerializeSeq::serialize_element,
        SerializeTuple::serialize_element,
        SerializeTupleStruct::serialize_field,
        SerializeTupleVariant::serialize_field
    );

    impl ser::SerializeMap for Obj<'_> {
        type Ok = ();
        type Error = Error;
        fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
            self.key = Some(k.serialize(Key)?);
            Ok(())
        }
        fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
            let key = self
                .key
                .take()
                .ok_or_else(|| <Error as ser::Error>::custom("a map value without its key"))?;
            self.member(Cow::Owned(key), v)
        }
        fn end(self) -> Result<(), Error> {
            self.finish()
        }
    }
    /// A struct's and a struct variant's fields are members like a map's.
    macro_rules! members {
        ($($trait:ident),*) => {$(
            impl ser::$trait for Obj<'_> {
                type Ok = ();
                type Error = Error;
                fn serialize_field<T: Serialize + ?Sized>(
                    &mut self,
                    key: &'static str,
                    v: &T,
                ) -> Result<(), Error> {
                    self.member(Cow::Borrowed(key), v)
                }
                fn end(self) -> Result<(), Error> {
                    self.finish()
                }
            }
        )*};
    }
    members!(SerializeStruct, SerializeStructVariant);
}

/// The canonical text, indented for people (still sorted, still byte-stable).
pub fn to_string_pretty<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&sort_keys(serde_json::to_value(value)?))
}

/// The SHA-256 of a text, in lower-case hex: the one digest the engine and the ledger use.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    /// The one-pass writer gives the tree's bytes, for every shape serde has.
    #[test]
    fn streaming_and_tree_agree() {
        use std::collections::BTreeMap;
        #[derive(serde::Serialize)]
        enum E {
            Unit,
            New(u8),
            Tuple(u8, String),
            Struct { z: u8, a: Option<u8> },
        }
        #[derive(serde::Serialize)]
        struct S<'a> {
            zeta: &'a str,
            alpha: Vec<E>,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<u8>,
            map: BTreeMap<String, (i64, bool)>,
            keyed: BTreeMap<u32, char>,
            unit: (),
            esc: &'a str,
            bytes: &'a [u8],
            nested: serde_json::Value,
        }
        let s = S {
            zeta: "z",
            alpha: vec![
                E::Unit,
                E::New(7),
                E::Tuple(1, "x".into()),
                E::Struct { z: 1, a: None },
            ],
            skipped: None,
            map: BTreeMap::from([("b".into(), (-3, true)), ("a".into(), (4, false))]),
            keyed: BTreeMap::from([(10, 'x'), (9, '"')]),
            unit: (),
            esc: "quote \" back \\ nl \n tab \t ctl \u{1} é",
            bytes: &[0, 255],
            nested: serde_json::json!({"b": [1, {"d": null, "c": 2.5}], "a": "x"}),
        };
        assert_eq!(
            super::to_string(&s).unwrap(),
            super::tree_string(&s).unwrap()
        );
    }

    /// Members out of order are put in order wherever the largest one stands, and of equal
    /// keys the last is kept, as the tree does.
    #[test]
    fn members_are_put_in_order_wherever_they_stand() {
        use serde::ser::{Serialize, SerializeMap, Serializer};
        struct M(Vec<(&'static str, serde_json::Value)>);
        impl Serialize for M {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                for (k, v) in &self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        let big = serde_json::Value::String("x".repeat(1000));
        let orders: [&[&str]; 6] = [
            &["c", "b", "a"],
            &["b", "c", "a"],
            &["a", "c", "b"],
            &["c", "a", "b", "a"],
            &["b", "a", "b"],
            &["z", "y", "x", "w", "v"],
        ];
        for keys in orders {
            for big_at in 0..keys.len() {
                let m = M(keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        let v = if i == big_at {
                            big.clone()
                        } else {
                            serde_json::json!({"n": i, "m": [i, {"b": 1, "a": 2}]})
                        };
                        (*k, v)
                    })
                    .collect());
                let nested = serde_json::json!({"outer": [1], "inner": &m});
                assert_eq!(
                    super::to_string(&m).unwrap(),
                    super::tree_string(&m).unwrap()
                );
                assert_eq!(
                    super::to_string(&nested).unwrap(),
                    super::tree_string(&nested).unwrap()
                );
            }
        }
    }

    #[test]
    fn keys_are_sorted() {
        let v = serde_json::json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": "0.10"}});
        assert_eq!(
            super::to_string(&v).unwrap(),
            r#"{"a":{"c":"0.10","d":[{"y":2,"z":1}]},"b":1}"#
        );
    }
}
