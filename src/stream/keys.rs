//! Instance keys (the values of a commitment's `for each` variables)
//! encoded as bytes in one arena, and the exact set of keys that ever came
//! in force. A key costs its bytes plus a table slot, never an allocation
//! of its own: the set of 10^7 order ids is ~200 MB, not ~1 GB of values.

use std::hash::Hasher as _;

use hashbrown::HashTable;
use jiff::Timestamp;
use rust_decimal::Decimal;
use rustc_hash::FxHasher;

use crate::model::Value;

/// Tags of the encoded values, one per [`Value`] variant.
const PARTY: u8 = 0;
const STR: u8 = 1;
/// The tag of a string value, for callers that order keys.
pub(crate) const STR_TAG: u8 = STR;
const INT: u8 = 2;
const NUMBER: u8 = 3;
const BOOL: u8 = 4;
const TIME: u8 = 5;

/// Appends the encoding of `values` to `out`: injective, so equal bytes
/// mean equal keys.
#[cfg(test)]
pub(crate) fn encode(values: &[Value], out: &mut Vec<u8>) {
    for v in values {
        encode_one(v, out);
    }
}

/// Appends the encoding of one value to `out`.
pub(crate) fn encode_one(v: &Value, out: &mut Vec<u8>) {
    {
        match v {
            Value::Party(s) | Value::Str(s) => {
                out.push(if matches!(v, Value::Party(_)) {
                    PARTY
                } else {
                    STR
                });
                put_len(out, s.len());
                out.extend_from_slice(s.as_bytes());
            }
            Value::Int(i) => {
                out.push(INT);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Number(d) => {
                // Equal numbers are one key whatever their scale (`1.0` and
                // `1.00`), as they are one binding in memory.
                out.push(NUMBER);
                let d = if d.is_zero() {
                    Decimal::ZERO
                } else {
                    d.normalize()
                };
                out.extend_from_slice(&d.serialize());
            }
            Value::Bool(b) => {
                out.push(BOOL);
                out.push(u8::from(*b));
            }
            Value::Time(t) => {
                out.push(TIME);
                out.extend_from_slice(&t.as_second().to_le_bytes());
                out.extend_from_slice(&t.subsec_nanosecond().to_le_bytes());
            }
        }
    }
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads `count` values back from an encoding; `None` on bytes that no
/// [`encode`] wrote.
pub(crate) fn decode(mut b: &[u8], count: usize) -> Option<Vec<Value>> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let (&tag, rest) = b.split_first()?;
        b = rest;
        let v = match tag {
            PARTY | STR => {
                let (len, rest) = get_len(b)?;
                let s = std::str::from_utf8(rest.get(..len)?).ok()?;
                b = rest.get(len..)?;
                if tag == PARTY {
                    Value::Party(s.into())
                } else {
                    Value::Str(s.into())
                }
            }
            INT => {
                let (n, rest) = b.split_first_chunk::<8>()?;
                b = rest;
                Value::Int(i64::from_le_bytes(*n))
            }
            NUMBER => {
                let (n, rest) = b.split_first_chunk::<16>()?;
                b = rest;
                Value::Number(Decimal::deserialize(*n))
            }
            BOOL => {
                let (&x, rest) = b.split_first()?;
                b = rest;
                Value::Bool(x != 0)
            }
            TIME => {
                let (s, rest) = b.split_first_chunk::<8>()?;
                let (n, rest) = rest.split_first_chunk::<4>()?;
                b = rest;
                Value::Time(Timestamp::new(i64::from_le_bytes(*s), i32::from_le_bytes(*n)).ok()?)
            }
            _ => return None,
        };
        out.push(v);
    }
    Some(out)
}

fn get_len(b: &[u8]) -> Option<(usize, &[u8])> {
    let mut n: usize = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        n |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((n, b.get(i + 1..)?));
        }
    }
    None
}

/// The string of a key that is one string value (the common `for each
/// order`), for fast comparisons.
pub(crate) fn single_str(b: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = b.split_first()?;
    if tag != STR && tag != PARTY {
        return None;
    }
    let (len, rest) = get_len(rest)?;
    (rest.len() == len).then_some(rest)
}

/// [`single_str`] as text.
pub(crate) fn single_text(b: &[u8]) -> Option<&str> {
    std::str::from_utf8(single_str(b)?).ok()
}

/// Bytes per arena chunk.
const ARENA_CHUNK: usize = 16 << 20;

/// An exact set of encoded keys, stored back to back in an arena of fixed
/// chunks: growing it never copies (a doubling `Vec` of 160 MB would hold
/// both copies for a moment).
#[derive(Clone, Debug, Default)]
pub(crate) struct KeySet {
    /// Each key: its length (LEB128) then its bytes; a key never spans two
    /// chunks.
    arena: Vec<Vec<u8>>,
    /// Byte offsets into the arena (chunk · [`ARENA_CHUNK`] + position),
    /// each with 32 bits of its key's hash: growing the table and most
    /// failed comparisons then never read the arena. 9 bytes a slot, so
    /// the table of 10^7 keys is ~150 MB.
    table: HashTable<(u32, u32)>,
    /// Set when the arena outgrew what a `u32` addresses (4 GiB), or a key
    /// was longer than a chunk.
    overflow: bool,
}

/// The hash the set files a key under ([`KeySet::insert_hashed`]).
pub(crate) fn hash(key: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(key);
    h.finish()
}

/// The 32 bits of a key's hash a table slot keeps.
fn tag(h: u64) -> u32 {
    (h >> 24) as u32
}

/// The table's hash of a slot, from its tag alone (spread over 64 bits).
fn slot_hash(tag: u32) -> u64 {
    u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The key at an offset of an arena.
fn key_at(arena: &[Vec<u8>], off: u32) -> &[u8] {
    let off = off as usize;
    let Some(chunk) = arena.get(off / ARENA_CHUNK) else {
        return &[];
    };
    let Some(rest) = chunk.get(off % ARENA_CHUNK..) else {
        return &[];
    };
    get_len(rest)
        .and_then(|(len, rest)| rest.get(..len))
        .unwrap_or(&[])
}

impl KeySet {
    /// The key stored at offset `off`.
    pub(crate) fn get(&self, off: u64) -> &[u8] {
        u32::try_from(off).map_or(&[], |o| key_at(&self.arena, o))
    }

    /// Inserts `key`; returns its offset, and whether it was new.
    pub(crate) fn insert(&mut self, key: &[u8]) -> (u64, bool) {
        self.insert_hashed(hash(key), key)
    }

    /// [`KeySet::insert`] of a key whose [`hash`] is `h`.
    pub(crate) fn insert_hashed(&mut self, h: u64, key: &[u8]) -> (u64, bool) {
        if let Some(off) = self.find_hashed(h, key) {
            return (off, false);
        }
        let mut head = Vec::with_capacity(10);
        put_len(&mut head, key.len());
        let need = head.len() + key.len();
        if need > ARENA_CHUNK {
            self.overflow = true;
            return (u64::MAX, true);
        }
        if self
            .arena
            .last()
            .is_none_or(|c| c.len() + need > ARENA_CHUNK)
        {
            // Grows by doubling up to the chunk size (small runs stay small).
            self.arena.push(Vec::with_capacity(4096));
        }
        let chunks = self.arena.len() - 1;
        let Some(chunk) = self.arena.last_mut() else {
            return (u64::MAX, true);
        };
        let Ok(off) = u32::try_from(chunks * ARENA_CHUNK + chunk.len()) else {
            self.overflow = true;
            return (u64::MAX, true);
        };
        chunk.extend_from_slice(&head);
        chunk.extend_from_slice(key);
        let t = tag(h);
        self.table
            .insert_unique(slot_hash(t), (off, t), |&(_, t)| slot_hash(t));
        (u64::from(off), true)
    }

    /// [`KeySet::find`] of a key whose [`hash`] is `h`.
    pub(crate) fn find_hashed(&self, h: u64, key: &[u8]) -> Option<u64> {
        let t = tag(h);
        self.table
            .find(slot_hash(t), |&(o, ot)| {
                ot == t && key_at(&self.arena, o) == key
            })
            .map(|&(o, _)| u64::from(o))
    }

    /// The offset of `key`, if it is in the set.
    #[cfg(test)]
    pub(crate) fn find(&self, key: &[u8]) -> Option<u64> {
        self.find_hashed(hash(key), key)
    }

    /// Keys held.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// True when a key could not be stored (the run must not be trusted).
    pub(crate) fn overflowed(&self) -> bool {
        self.overflow
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn values_round_trip_through_the_encoding() {
        let values = vec![
            Value::Str("O1".into()),
            Value::Party("shop".into()),
            Value::Int(-7),
            Value::Number(Decimal::new(12345, 2)),
            Value::Bool(true),
            Value::Time("2025-06-02T10:00:00.5Z".parse().unwrap()),
            Value::Str("x".repeat(300).into()),
        ];
        let mut b = Vec::new();
        encode(&values, &mut b);
        assert_eq!(decode(&b, values.len()).unwrap(), values);
        assert_eq!(decode(&b, values.len() + 1), None);
    }

    #[test]
    fn equal_numbers_are_one_key_whatever_their_scale() {
        let key = |text: &str| {
            let mut out = Vec::new();
            encode_one(&Value::Number(text.parse().unwrap()), &mut out);
            out
        };
        assert_eq!(key("1.0"), key("1.00"));
        assert_eq!(key("1.0"), key("1"));
        assert_eq!(key("-0.00"), key("0"));
        assert_ne!(key("1.0"), key("1.01"));
        assert_eq!(
            decode(&key("2.50"), 1),
            Some(vec![Value::Number("2.5".parse().unwrap())])
        );
    }

    #[test]
    fn the_set_finds_exactly_the_keys_inserted() {
        let mut set = KeySet::default();
        let key = |s: &str| {
            let mut b = Vec::new();
            encode(&[Value::Str(s.into())], &mut b);
            b
        };
        for i in 0..10_000 {
            let (_, new) = set.insert(&key(&format!("O{i}")));
            assert!(new);
        }
        let (off, new) = set.insert(&key("O42"));
        assert!(!new);
        assert_eq!(set.get(off), key("O42").as_slice());
        assert!(set.find(&key("O9999")).is_some());
        assert!(set.find(&key("O10000")).is_none());
        // A string and a party with the same text are different keys.
        let mut p = Vec::new();
        encode(&[Value::Party("O1".into())], &mut p);
        assert!(set.find(&p).is_none());
        assert_eq!(set.len(), 10_000);
        assert_eq!(single_str(&key("abc")), Some(&b"abc"[..]));
        assert!(!set.overflowed());
    }

    #[test]
    fn a_key_that_cannot_be_stored_marks_the_set() {
        let mut set = KeySet::default();
        set.insert(b"small");
        let (_, new) = set.insert(&vec![7u8; ARENA_CHUNK + 1]);
        assert!(new, "reported, not mistaken for a repeat");
        assert!(set.overflowed(), "the run must go to the in-memory engine");
        assert!(set.find(b"small").is_some());
    }
}
