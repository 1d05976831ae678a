//! Canonical JSON, written fast: a compact `serde` serializer into a reused byte buffer.
//!
//! Phase: output of `translate` and of the run's spool and JSON Lines files. The bytes are those
//! of `serde_json::to_writer` for the same value (compact: no spaces; strings escaped the same
//! way: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx`, nothing
//! else), so a reader cannot tell them apart; a differential test over every document the
//! fixtures and the corpus give, and a property test over arbitrary values, hold it to that.
//! Why not serde_json itself: it escapes every field name (ours are fixed identifiers) and looks
//! up every byte of every string in a table; here names are copied as they are and strings are
//! scanned eight bytes at a time, which takes most of the serialization cost away.
//! [`write_document`] goes further for the one value written per document: the same bytes
//! without serde at all (see [`document`]'s docs and the differential tests that hold it to
//! [`write()`]).
//!
//! ```
//! use tallyman::model::json;
//! let mut out = Vec::new();
//! json::write(&mut out, &serde_json::json!({"a": "x\"y", "b": [1, null]})).unwrap();
//! assert_eq!(out, br#"{"a":"x\"y","b":[1,null]}"#);
//! ```

use serde::ser::{self, Serialize};
use std::fmt;

#[cfg(test)]
pub(crate) mod differential;
pub mod document;

pub use document::write_document;

/// A value that JSON cannot represent, or one that its own `Serialize` refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A map key that is not a string, an integer or a boolean.
    #[error("a JSON object key must be a string, not {0}")]
    KeyMustBeAString(&'static str),
    /// The value's `Serialize` implementation failed.
    #[error("{0}")]
    Custom(String),
}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}

/// Appends the compact JSON of `value` to `out` (on error, `out` may hold part of it).
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Writer { out })
}

thread_local! {
    /// Each thread's buffer for [`line`].
    static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A line of output that `write` writes (a document's JSON line), with its line feed, and what
/// `write` returns. It is written in the thread's buffer, which is handed out whole with an
/// empty one half again the line's size put in its place: the next line, of about that size,
/// takes one allocation and no copy, and a line handed out keeps at most the larger of twice
/// its own size and half again the size of the line before it on its thread (never the room of
/// the largest line the thread wrote).
pub fn line<T, E>(write: impl FnOnce(&mut Vec<u8>) -> Result<T, E>) -> Result<(Vec<u8>, T), E> {
    LINE.with_borrow_mut(|line| {
        line.clear();
        let written = write(line)?;
        line.push(b'\n');
        let room = line.len() + line.len() / 2;
        Ok((std::mem::replace(line, Vec::with_capacity(room)), written))
    })
}

/// Appends `s` as a JSON string, quotes included.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // The usual value (a code, a number, a name) has nothing to escape: one test of its words
    // and one copy, instead of a scan that copies piece by piece.
    if !any_escape(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    out.push(b'"');
    escape_into(out, bytes);
    out.push(b'"');
}

/// True when some byte of `bytes` needs an escape, tested a word at a time: a short value as
/// one word padded with spaces, a longer one's tail as the (overlapping) last eight bytes.
#[inline]
fn any_escape(bytes: &[u8]) -> bool {
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().expect("eight bytes"));
    if bytes.len() < 8 {
        let mut w = LO * u64::from(b' ');
        for (i, &b) in bytes.iter().enumerate() {
            let shift = 8 * i;
            w = (w & !(0xFF << shift)) | (u64::from(b) << shift);
        }
        return needs_escape(w);
    }
    let mut chunks = bytes.chunks_exact(8);
    if chunks.by_ref().any(|c| needs_escape(word(c))) {
        return true;
    }
    !chunks.remainder().is_empty() && needs_escape(word(&bytes[bytes.len() - 8..]))
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// True when some byte of the word is below 0x20, a quote or a backslash. Exact for the word
/// as a whole (not for which byte), which is all the fast path needs.
#[inline]
fn needs_escape(w: u64) -> bool {
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let below_space = w.wrapping_sub(LO * 0x20) & !w & HI;
    (below_space | zero(w ^ (LO * u64::from(b'"'))) | zero(w ^ (LO * u64::from(b'\\')))) != 0
}

/// What a byte becomes: 0 for itself, else the letter after the backslash (`u` for `\u00xx`).
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if !needs_escape(w) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let e = ESCAPE[usize::from(b)];
        if e != 0 {
            out.extend_from_slice(&bytes[start..i]);
            if e == b'u' {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xF)],
                ]);
            } else {
                out.extend_from_slice(&[b'\\', e]);
            }
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Escapes what a `Display` writes, straight into the buffer (dates, times, decimals).
struct Escaping<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s.as_bytes());
        Ok(())
    }
}

fn integer(out: &mut Vec<u8>, negative: bool, mut v: u128) {
    if negative {
        out.push(b'-');
    }
    let mut digits = [0u8; 40];
    let mut n = digits.len();
    loop {
        n -= 1;
        digits[n] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[n..]);
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// An object or array being written: `first` says whether a comma is due.
pub struct Compound<'w, 'a> {
    w: &'w mut Writer<'a>,
    first: bool,
    /// The closing bytes: `}`, `]`, or `}}` / `]}` for enum variants wrapped in an object.
    close: &'static [u8],
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if !std::mem::replace(&mut self.first, false) {
            self.w.out.push(b',');
        }
    }

    /// A field name of our own: an identifier, which JSON needs no escape for.
    fn name(&mut self, key: &'static str) {
        self.comma();
        debug_assert!(!key.bytes().any(|b| ESCAPE[usize::from(b)] != 0));
        self.w.out.push(b'"');
        self.w.out.extend_from_slice(key.as_bytes());
        self.w.out.extend_from_slice(b"\":");
    }

    fn end(self) {
        self.w.out.extend_from_slice(self.close);
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.w)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.name(key);
        value.serialize(&mut *self.w)
    }

    fn finish(self) -> Result<(), Error> {
        self.end();
        Ok(())
    }
}

impl<'w, 'a> Writer<'a> {
    fn open(
        &'w mut self,
        open: &[u8],
        close: &'static [u8],
        len: Option<usize>,
    ) -> Compound<'w, 'a> {
        self.out.extend_from_slice(open);
        if len == Some(0) {
            // serde_json closes an empty object or array at once; what closes an enclosing
            // variant object is left for the end.
            self.out.push(close[0]);
            return Compound {
                w: self,
                first: true,
                close: &close[1..],
            };
        }
        Compound {
            w: self,
            first: true,
            close,
        }
    }

    /// `{"variant":` before a variant's content.
    fn variant(&mut self, variant: &'static str) {
        self.out.extend_from_slice(b"{");
        write_str(self.out, variant);
        self.out.push(b':');
    }
}

impl<'w, 'a> ser::Serializer for &'w mut Writer<'a> {
    super::ser::forward_integers!();
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w, 'a>;
    type SerializeTuple = Compound<'w, 'a>;
    type SerializeTupleStruct = Compound<'w, 'a>;
    type SerializeTupleVariant = Compound<'w, 'a>;
    type SerializeMap = Compound<'w, 'a>;
    type SerializeStruct = Compound<'w, 'a>;
    type SerializeStructVariant = Compound<'w, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        integer(self.out, v < 0, v.unsigned_abs());
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        integer(self.out, false, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        // The model has no floats; written as serde_json writes them (ryu, or null).
        serde_json::to_writer(&mut *self.out, &v).map_err(|e| Error::Custom(e.to_string()))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &v).map_err(|e| Error::Custom(e.to_string()))
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = self.open(b"[", b"]", Some(v.len()));
        for b in v {
            seq.comma();
            integer(seq.w.out, false, u128::from(*b));
        }
        seq.end();
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        write_str(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Ok(self.open(b"[", b"]", len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Error> {
        Ok(self.open(b"[", b"]", Some(len)))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Ok(self.open(b"[", b"]", Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        self.variant(variant);
        Ok(self.open(b"[", b"]}", Some(len)))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Ok(self.open(b"{", b"}", len))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        // `len` counts skipped fields too, so it never says the object is empty.
        let _ = len;
        Ok(self.open(b"{", b"}", None))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        self.variant(variant);
        Ok(self.open(b"{", b"}}", Some(len)))
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        use fmt::Write;
        self.out.push(b'"');
        write!(Escaping(self.out), "{value}")
            .map_err(|_| Error::Custom("formatting failed".into()))?;
        self.out.push(b'"');
        Ok(())
    }
}

super::ser::sequences!(Compound<'_, '_>, Error, element, finish);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    /// Keys as serde_json writes them: strings as they are, numbers and booleans quoted,
    /// anything else refused.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        let start = self.w.out.len();
        key.serialize(&mut *self.w)?;
        match self.w.out.get(start) {
            Some(b'"') => {}
            Some(b'-' | b'0'..=b'9' | b't' | b'f') => {
                self.w.out.insert(start, b'"');
                self.w.out.push(b'"');
            }
            _ => {
                let what = match self.w.out.get(start) {
                    Some(b'n') => "null",
                    Some(b'[') => "an array",
                    _ => "an object",
                };
                return Err(Error::KeyMustBeAString(what));
            }
        }
        self.w.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self);
        Ok(())
    }
}

super::ser::structs!(Compound<'_, '_>, Error, field, finish);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn ours<T: Serialize + ?Sized>(v: &T) -> String {
        let mut out = Vec::new();
        write(&mut out, v).expect("serializes");
        String::from_utf8(out).expect("UTF-8")
    }

    fn theirs<T: Serialize + ?Sized>(v: &T) -> String {
        serde_json::to_string(v).expect("serializes")
    }

    #[test]
    fn escapes_as_serde_json_does() {
        for s in [
            "",
            "plain",
            "exactly8",
            "a\"b\\c",
            "\u{0}\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f}\u{7f} /",
            "Straße € 𝄞 \u{202E}",
            "0123456789abcdef\"",
            "\"0123456789abcdef",
        ] {
            assert_eq!(ours(s), theirs(s), "{s:?}");
        }
    }

    #[derive(serde::Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Tagged {
        First { a: u8 },
        Second(Inner),
    }

    #[derive(serde::Serialize)]
    struct Inner {
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        list: Vec<i64>,
    }

    #[derive(serde::Serialize)]
    enum External {
        Unit,
        Newtype(u8),
        Tuple(u8, u8),
        EmptyTuple(),
        Struct { x: u8 },
        EmptyStruct {},
    }

    #[derive(serde::Serialize)]
    struct AllSkipped {
        #[serde(skip_serializing_if = "Option::is_none")]
        a: Option<u8>,
    }

    #[test]
    fn shapes_as_serde_json_writes_them() {
        let values: Vec<Box<dyn erased::Erased>> = vec![
            Box::new(Tagged::First { a: 1 }),
            Box::new(Tagged::Second(Inner {
                skipped: None,
                list: vec![-1, 0, i64::MAX, i64::MIN],
            })),
            Box::new(vec![
                External::Unit,
                External::Newtype(3),
                External::Tuple(1, 2),
                External::EmptyTuple(),
                External::Struct { x: 9 },
                External::EmptyStruct {},
            ]),
            Box::new(AllSkipped { a: None }),
            Box::new(Vec::<u8>::new()),
            Box::new(std::collections::BTreeMap::<String, u8>::new()),
            Box::new(std::collections::BTreeMap::from([(3u32, "x"), (4, "y")])),
            Box::new(std::collections::BTreeMap::from([("k\"ey", ())])),
            Box::new((1u8, 'c', true, None::<u8>, Some(u128::MAX))),
            Box::new(json!({"f": 1.5, "g": [1e300, -0.0]})),
            Box::new(rust_decimal::Decimal::new(-1250, 2)),
            Box::new(jiff::civil::date(2024, 3, 11)),
        ];
        for v in &values {
            assert_eq!(v.ours(), v.theirs());
        }
        // Keys that JSON cannot have are refused, as serde_json refuses them.
        let tuple_keys = std::collections::BTreeMap::from([((1u8, 2u8), 1u8)]);
        assert!(write(&mut Vec::new(), &tuple_keys).is_err());
        assert!(serde_json::to_vec(&tuple_keys).is_err());
    }

    /// Object-safe serialization for the table above.
    mod erased {
        pub trait Erased {
            fn ours(&self) -> String;
            fn theirs(&self) -> String;
        }
        impl<T: serde::Serialize> Erased for T {
            fn ours(&self) -> String {
                super::ours(self)
            }
            fn theirs(&self) -> String {
                super::theirs(self)
            }
        }
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            ".*".prop_map(Value::String),
            proptest::collection::vec(any::<u8>(), 0..40)
                .prop_map(|b| Value::String(String::from_utf8_lossy(&b).into_owned())),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::btree_map(".*", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_is_written_as_serde_json_writes_it(v in value()) {
            prop_assert_eq!(ours(&v), theirs(&v));
        }

        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(s in ".*", b in proptest::collection::vec(0u8..0x80, 0..64)) {
            prop_assert_eq!(ours(&s), theirs(&s));
            let ascii = String::from_utf8(b).expect("ASCII");
            prop_assert_eq!(ours(&ascii), theirs(&ascii));
        }
    }
}
