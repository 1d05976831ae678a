//! Content hashes: what tells a re-sent document (same content) from a changed one.
//!
//! Phase: none of its own; the pipeline hashes every accepted document and the ledger keeps the
//! hash across runs, so a hash written today must mean the same in every later version of
//! tallyman, whatever fields the model gains. [`ContentHash`] is a hash with its version, in the
//! text form the ledger stores:
//!
//! - **v1** (`<64 hex digits>`, no prefix): SHA-256 of the document's JSON with a default
//!   `source`. Adding a field to the model changes the JSON, and so the hash of every document,
//!   which is why it is no longer written; ledgers hold it from earlier versions, and a document
//!   is compared with such a hash in v1.
//! - **v2** (`v2:<64 hex digits>`): SHA-256 of the document's *values*, encoded by
//!   [`ValueHasher`] as described below, without `source` (file, offset and control numbers
//!   differ between two deliveries of one document).
//!
//! # The v2 encoding
//!
//! The value is walked through its `Serialize` implementation (the serde data model, the one
//! the canonical JSON is written from) and encoded as follows; SHA-256 runs over the bytes
//! `tallyman content hash v2\0` followed by the encoding of the value.
//!
//! | value | encoding |
//! | --- | --- |
//! | string, char (and a `Decimal` or date, which serialize as strings) | `s`, length (u64 LE), UTF-8 bytes |
//! | integer of any width | `i`, `0` if negative else `1`, magnitude (u128 LE) |
//! | finite float (f32 widened to f64) | `f`, IEEE 754 bits (u64 LE) |
//! | bool | `b`, `0` or `1` |
//! | sequence, tuple | `[`, each element, `]`; an absent element is `z` |
//! | struct, map | `{`, each present entry as `k`, key length (u64 LE), key bytes, value; `}` (a number or bool key is its text, as in JSON) |
//! | unit variant | its name, as a string |
//! | newtype, tuple or struct variant | a map of one entry, the variant's name to its value (`z` when absent) |
//! | newtype struct | its value |
//!
//! **Absent values contribute nothing**: `None`, unit, an empty string, an empty sequence or
//! map, a struct whose fields are all absent, a non-finite float (JSON writes `null`). A struct
//! field or map entry whose value is absent is left out, name and all. So a field added to the
//! model leaves the hash of every document that does not use it unchanged, whether the new field
//! is skipped when empty (`skip_serializing_if`) or serialized as `null`, `""` or `[]`; and a
//! `String` that becomes an `Option<String>` hashes as before. An empty string is no value
//! because EDI has none: an empty element is an omitted one, and so is an empty feed cell.
//!
//! **Entries are sorted by key** (bytes, a stable sort), so the order of a struct's fields in the
//! source, and whether they are a struct, a map or `#[serde(flatten)]`ed, do not matter. Inside
//! a sequence, order is kept: the lines of a document are in the order sent.
//!
//! **Decimals hash as written**: the model's `Decimal`s serialize as their text (`12.50`), so
//! `1.0` and `1.00` hash differently, exactly as their JSON differs and as v1 told them apart.
//!
//! Every value starts with a tag that says its type, strings and keys carry their length, and
//! sequences and maps end with a tag no element or entry starts with, so the encoding of a
//! value is never the encoding of another value, nor a prefix of one: `"ab"` then `"c"` is not
//! `"a"` then `"bc"`, `"1"` is not `1`, and `{a: "x", b: "y"}` is not `{a: "y", b: "x"}`.
//!
//! ```
//! use tallyman::model::hash::{ContentHash, ValueHasher};
//! use tallyman::model::Document;
//! let json = r#"{"type":"order","order_number":"PO1","purpose":"original","lines":[],
//!   "source":{"standard":"x12","set":"850"}}"#;
//! let mut doc: Document = serde_json::from_str(json).unwrap();
//! let mut hasher = ValueHasher::new();
//! let first = hasher.document(&doc).unwrap();
//! doc.source_mut().file = "again.edi".into();
//! assert_eq!(hasher.document(&doc).unwrap(), first);
//! assert!(ContentHash::V2(first).to_string().starts_with("v2:"));
//! ```

use super::Document;
use serde::Serialize;
use serde::ser;
use sha2::{Digest, Sha256};
use std::fmt;

/// What the encoding is prefixed with: the version is part of every hash.
const DOMAIN: &[u8] = b"tallyman content hash v2\0";

/// The fields of a document that are not its content.
const NOT_CONTENT: &[&str] = &["source"];

/// A content hash with its version, as the ledger stores it (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentHash {
    /// SHA-256 of the document's JSON with a default `source`; text: 64 lower-case hex digits.
    V1([u8; 32]),
    /// SHA-256 of the document's value encoding; text: `v2:` and 64 lower-case hex digits.
    V2([u8; 32]),
}

impl ContentHash {
    /// Reads a stored hash; `None` for text in no version this tallyman knows (a ledger shared
    /// with a newer one, or a damaged row), which matches no document.
    pub fn parse(s: &str) -> Option<ContentHash> {
        match s.strip_prefix("v2:") {
            Some(hex) => from_hex(hex).map(ContentHash::V2),
            None => from_hex(s).map(ContentHash::V1),
        }
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = match self {
            ContentHash::V1(h) => h,
            ContentHash::V2(h) => {
                f.write_str("v2:")?;
                h
            }
        };
        let mut text = [0u8; 64];
        hex::encode_to_slice(h, &mut text).expect("64 digits for 32 bytes");
        f.write_str(std::str::from_utf8(&text).expect("hex digits are ASCII"))
    }
}

/// 64 hex digits (either case) as 32 bytes; `None` for anything else.
fn from_hex(s: &str) -> Option<[u8; 32]> {
    hex::FromHex::from_hex(s).ok()
}

/// A value could not be hashed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The value's `Serialize` implementation failed, with this message.
    #[error("hashing a value: {0}")]
    Custom(String),
    /// A map key that is not a string, a number or a bool (JSON refuses those too).
    #[error("hashing a value: a map key must be a string, a number or a bool")]
    KeyNotText,
}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}

/// Computes v2 content hashes, keeping its buffers from one value to the next.
#[derive(Debug, Default)]
pub struct ValueHasher {
    /// The encoding of the value so far.
    buf: Vec<u8>,
    /// Where a map's entries are put in order.
    scratch: Vec<u8>,
    /// The present entries of the open maps, innermost last.
    entries: Vec<Entry>,
    /// The open sequences and maps, innermost last.
    levels: Vec<Level>,
    /// Top-level entries to leave out.
    skip: &'static [&'static str],
}

/// A map entry in `buf`: `start..end`, the key's bytes at `key`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    key: (usize, usize),
    end: usize,
}

#[derive(Debug, Clone, Copy)]
struct Level {
    /// Where its `[` or `{` is.
    open: usize,
    /// Its first entry in `entries`.
    first: usize,
    /// The value of a variant (`{` and the variant's name are before `open`).
    variant: bool,
    /// The entry whose key is written and whose value is next: its start and key.
    key: Option<(usize, (usize, usize))>,
}

impl ValueHasher {
    pub fn new() -> Self {
        Self::default()
    }

    /// The content hash of a document: its values without `source`. Orders, ship notices and
    /// invoices are encoded by hand ([`document`]), to the bytes of the serde path.
    pub fn document(&mut self, doc: &Document) -> Result<[u8; 32], Error> {
        self.buf.clear();
        if !document::encode_document(&mut self.buf, doc) {
            return self.hash_without(doc, NOT_CONTENT);
        }
        Ok(self.digest())
    }

    /// The hash of any value.
    pub fn hash<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<[u8; 32], Error> {
        self.hash_without(value, &[])
    }

    /// The hash of a value without the named top-level fields.
    pub fn hash_without<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        skip: &'static [&'static str],
    ) -> Result<[u8; 32], Error> {
        self.encode(value, skip)?;
        Ok(self.digest())
    }

    /// SHA-256 of the domain and the encoding in `buf`.
    fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(&self.buf);
        h.finalize().into()
    }

    /// Encodes a value into `buf`.
    fn encode<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        skip: &'static [&'static str],
    ) -> Result<(), Error> {
        self.buf.clear();
        self.entries.clear();
        self.levels.clear();
        self.skip = skip;
        value.serialize(&mut *self)
    }

    fn bytes(&mut self, tag: u8, b: &[u8]) {
        self.buf.push(tag);
        self.buf.extend_from_slice(&(b.len() as u64).to_le_bytes());
        self.buf.extend_from_slice(b);
    }

    fn int(&mut self, negative: bool, magnitude: u128) {
        self.buf.push(b'i');
        self.buf.push(u8::from(!negative));
        self.buf.extend_from_slice(&magnitude.to_le_bytes());
    }

    fn open(&mut self, tag: u8, variant: Option<&str>) {
        if let Some(name) = variant {
            self.buf.push(b'{');
            self.bytes(b'k', name.as_bytes());
        }
        self.levels.push(Level {
            open: self.buf.len(),
            first: self.entries.len(),
            variant: variant.is_some(),
            key: None,
        });
        self.buf.push(tag);
    }

    fn end_map(&mut self) -> Result<(), Error> {
        self.close_map();
        Ok(())
    }

    fn end_seq(&mut self) -> Result<(), Error> {
        self.close_seq();
        Ok(())
    }

    fn close_seq(&mut self) {
        let level = self.levels.pop().expect("a sequence is open");
        if self.buf.len() == level.open + 1 {
            self.buf.truncate(level.open);
            self.absent_variant_value(level);
        } else {
            self.buf.push(b']');
        }
        if level.variant {
            self.buf.push(b'}');
        }
    }

    fn close_map(&mut self) {
        let level = self.levels.pop().expect("a map is open");
        let entries = &mut self.entries[level.first..];
        if entries.is_empty() {
            self.buf.truncate(level.open);
            self.absent_variant_value(level);
        } else {
            let buf = &self.buf;
            let key = |e: &Entry| &buf[e.key.0..e.key.1];
            if !entries.is_sorted_by(|a, b| key(a) <= key(b)) {
                entries.sort_by(|a, b| key(a).cmp(key(b)));
                self.scratch.clear();
                for e in entries.iter() {
                    self.scratch.extend_from_slice(&buf[e.start..e.end]);
                }
                self.buf.truncate(level.open + 1);
                self.buf.extend_from_slice(&self.scratch);
            }
            self.buf.push(b'}');
        }
        self.entries.truncate(level.first);
        if level.variant {
            self.buf.push(b'}');
        }
    }

    /// A variant's name is kept when its value is absent.
    fn absent_variant_value(&mut self, level: Level) {
        if level.variant {
            self.buf.push(b'z');
        }
    }

    /// Writes a map key (the value serialized, then turned into a key) and leaves the entry
    /// open for its value.
    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let start = self.buf.len();
        key.serialize(&mut *self)?;
        let text = match self.buf.get(start).copied() {
            // The empty string, which is absent as a value, is a key like any other.
            None => {
                self.bytes(b'k', b"");
                None
            }
            Some(b's') => {
                self.buf[start] = b'k';
                None
            }
            Some(b'i') => {
                let negative = self.buf[start + 1] == 0;
                let mut m = [0u8; 16];
                m.copy_from_slice(&self.buf[start + 2..start + 18]);
                let m = u128::from_le_bytes(m);
                Some(if negative {
                    format!("-{m}")
                } else {
                    m.to_string()
                })
            }
            Some(b'b') => Some(
                (if self.buf[start + 1] == 1 {
                    "true"
                } else {
                    "false"
                })
                .into(),
            ),
            Some(_) => return Err(Error::KeyNotText),
        };
        if let Some(text) = text {
            self.buf.truncate(start);
            self.bytes(b'k', text.as_bytes());
        }
        let key = (start + 9, self.buf.len());
        self.levels.last_mut().expect("a map is open").key = Some((start, key));
        Ok(())
    }

    /// Writes the value of the open entry; the entry is dropped when the value is absent or
    /// the key is one to skip.
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let depth = self.levels.len();
        let (start, key) = self
            .levels
            .last_mut()
            .and_then(|l| l.key.take())
            .expect("a key comes before its value");
        let skipped = depth == 1
            && self
                .skip
                .iter()
                .any(|s| s.as_bytes() == &self.buf[key.0..key.1]);
        if !skipped {
            let before = self.buf.len();
            value.serialize(&mut *self)?;
            if self.buf.len() > before {
                self.entries.push(Entry {
                    start,
                    key,
                    end: self.buf.len(),
                });
                return Ok(());
            }
        }
        self.buf.truncate(start);
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        let start = self.buf.len();
        self.bytes(b'k', name.as_bytes());
        let key = (start + 9, self.buf.len());
        self.levels.last_mut().expect("a struct is open").key = Some((start, key));
        self.value(value)
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let before = self.buf.len();
        value.serialize(&mut *self)?;
        if self.buf.len() == before {
            self.buf.push(b'z');
        }
        Ok(())
    }
}

impl ser::Serializer for &mut ValueHasher {
    super::ser::forward_integers!();
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.buf.push(b'b');
        self.buf.push(u8::from(v));
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.int(v < 0, v.unsigned_abs());
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.int(false, v);
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if v.is_finite() {
            self.buf.push(b'f');
            self.buf.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        if !v.is_empty() {
            self.bytes(b's', v.as_bytes());
        }
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        // As JSON writes them: a sequence of numbers.
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
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
        self.buf.push(b'{');
        self.bytes(b'k', variant.as_bytes());
        self.element(value)?;
        self.buf.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self, Error> {
        self.open(b'[', None);
        Ok(self)
    }

    fn serialize_tuple(self, len: usize) -> Result<Self, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Self, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self, Error> {
        self.open(b'[', Some(variant));
        Ok(self)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self, Error> {
        self.open(b'{', None);
        Ok(self)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, Error> {
        self.open(b'{', None);
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self, Error> {
        self.open(b'{', Some(variant));
        Ok(self)
    }
}

super::ser::sequences!(&mut ValueHasher, Error, element, end_seq);

impl ser::SerializeMap for &mut ValueHasher {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.value(value)
    }

    fn end(self) -> Result<(), Error> {
        self.close_map();
        Ok(())
    }
}

super::ser::structs!(&mut ValueHasher, Error, field, end_map);

mod document;

#[cfg(test)]
mod tests;
