//! A seeded mutation fuzz of deserialization: random byte strings, and valid serializations of
//! random knowledge with aimed mutations (bit flips, overwritten bytes, truncation, inserted and
//! deleted runs, counts and lengths set to large values). Every input must give knowledge or an
//! error, never a panic; knowledge that reads back must serialize to bytes that read back to it.
//!
//! `WINSYNC_FUZZ_CASES` sets the number of cases (default 20,000; the documented long run is
//! `WINSYNC_FUZZ_CASES=1000000 cargo test --release -p winsync-engine --test deserialize_fuzz`),
//! `WINSYNC_FUZZ_SEED` the seed (default fixed, so CI runs the same cases every time).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod xorshift;

use std::panic::{AssertUnwindSafe, catch_unwind};

use std::sync::Arc;

use winsync_engine::batch::{ChangeBatch, ChangeFlags, ItemChange, UnitChange};
use winsync_engine::{ForgottenKnowledge, IdFormat, IdFormats, Knowledge, ReplicaKeyMap, Version};
use xorshift::Rng;

/// A random valid knowledge (formats fixed or variable), serialized with or without its map.
fn seed_input(rng: &mut Rng) -> Vec<u8> {
    let formats = if rng.below(2) == 0 {
        IdFormats {
            replica: IdFormat::fixed(2),
            item: IdFormat::fixed(3),
            change_unit: IdFormat::fixed(1),
        }
    } else {
        IdFormats {
            replica: IdFormat::variable(6),
            item: IdFormat::variable(7),
            change_unit: IdFormat::variable(4),
        }
    };
    let id = |rng: &mut Rng, format: &IdFormat| -> Vec<u8> {
        let len = format.min_data() + rng.below(format.max_data() - format.min_data() + 1);
        (0..len).map(|_| (rng.next() & 0xFF) as u8).collect()
    };
    let owner = id(rng, &formats.replica);
    let mut k = Knowledge::new(formats, &owner).unwrap();
    for _ in 0..rng.below(6) {
        let replica = id(rng, &formats.replica);
        let tick = rng.next() % 1000;
        let mut learned = Knowledge::new(formats, &owner).unwrap();
        learned.learn(&replica, tick).unwrap();
        let part = match rng.below(4) {
            0 => learned,
            1 => {
                let (a, b) = (id(rng, &formats.item), id(rng, &formats.item));
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                learned.project_onto_range(&lo, &hi).unwrap()
            }
            2 => learned
                .project_onto_change_unit(&id(rng, &formats.item), &id(rng, &formats.change_unit))
                .unwrap(),
            _ => learned
                .project_onto_columns(&[&id(rng, &formats.change_unit)])
                .unwrap(),
        };
        k.union(&part).unwrap();
    }
    if rng.below(3) == 0 {
        ForgottenKnowledge::from_knowledge(k).serialize(true)
    } else {
        k.serialize(rng.below(4) != 0)
    }
}

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let len = bytes.len();
        match rng.below(7) {
            0 if len > 0 => {
                let at = rng.below(len);
                bytes[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                bytes[at] = (rng.next() & 0xFF) as u8;
            }
            2 => bytes.truncate(rng.below(len + 1)),
            3 => {
                let at = rng.below(len + 1);
                let run: Vec<u8> = (0..rng.below(16))
                    .map(|_| (rng.next() & 0xFF) as u8)
                    .collect();
                bytes.splice(at..at, run);
            }
            4 if len > 0 => {
                let at = rng.below(len);
                let end = (at + rng.below(16)).min(len);
                bytes.drain(at..end);
            }
            5 if len >= 4 => {
                // A count or length field set to something huge.
                let at = rng.below(len - 3);
                let value: u32 = [u32::MAX, 0x7FFF_FFFF, 0x1_0000, 0xFFFF][rng.below(4)];
                bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
            _ if len >= 2 => {
                let at = rng.below(len - 1);
                bytes[at..at + 2].copy_from_slice(&[0xFF, 0xFF]);
            }
            _ => {}
        }
    }
}

/// The number of cases and the seed, from the environment.
fn settings() -> (usize, u64) {
    let cases = std::env::var("WINSYNC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let seed = std::env::var("WINSYNC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_C0DE);
    (cases, seed)
}

/// The same for a replica key map on its own (`ReplicaKeyMap::deserialize`).
#[test]
fn key_map_deserialization_never_panics_and_round_trips() {
    let (cases, seed) = settings();
    let mut rng = Rng(seed | 1);
    let (mut accepted, mut refused) = (0usize, 0usize);
    for case in 0..cases {
        let format = if rng.below(2) == 0 {
            IdFormat::fixed(1 + rng.below(4) as u16)
        } else {
            IdFormat::variable(3 + rng.below(6) as u16)
        };
        let mut map = ReplicaKeyMap::new();
        for _ in 0..rng.below(6) {
            let len = format.min_data() + rng.below(format.max_data() - format.min_data() + 1);
            let id: Vec<u8> = (0..len).map(|_| (rng.next() & 0xFF) as u8).collect();
            map.find_or_add(&id).unwrap();
        }
        let mut input = map.serialize(&format);
        mutate(&mut rng, &mut input);
        let outcome = catch_unwind(AssertUnwindSafe(|| ReplicaKeyMap::deserialize(&input)));
        let Ok(result) = outcome else {
            panic!("case {case} (seed {seed}) panicked on input {input:02x?}");
        };
        match result {
            Ok((format, map)) => {
                accepted += 1;
                assert_eq!(
                    ReplicaKeyMap::deserialize(&map.serialize(&format)).unwrap(),
                    (format, map),
                    "case {case}"
                );
            }
            Err(error) => {
                refused += 1;
                assert!(!error.to_string().is_empty());
            }
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "accepted {accepted}, refused {refused}"
    );
}

/// A random valid change batch: ordered and unordered groups, change units, a logged
/// conflict, sometimes a full-enumeration batch.
fn seed_batch(rng: &mut Rng) -> Vec<u8> {
    let formats = IdFormats {
        replica: IdFormat::fixed(2),
        item: IdFormat::variable(6),
        change_unit: IdFormat::fixed(1),
    };
    let owner = [1u8, (rng.next() & 0xFF) as u8];
    let mut source = Knowledge::new(formats, &owner).unwrap();
    source.set_local_tick_count(rng.next() % 50 + 10).unwrap();
    let destination = Arc::new(Knowledge::new(formats, &[2, 2]).unwrap());
    let full = rng.below(4) == 0;
    let mut batch = if full {
        ChangeBatch::new_full_enumeration(formats, &owner, destination, None, &[1]).unwrap()
    } else {
        ChangeBatch::new(formats, &owner, destination, None).unwrap()
    };
    let groups = if full { 1 } else { 1 + rng.below(3) };
    let mut next: u8 = 1;
    for g in 0..groups {
        let ordered = full || g % 2 == 0;
        if ordered {
            batch.begin_ordered_group(Some(&[next])).unwrap();
        } else {
            batch.begin_unordered_group().unwrap();
        }
        // At least one change: an empty group may only be the last.
        for _ in 0..=rng.below(3) {
            next = next.saturating_add(1 + (rng.next() % 3) as u8);
            let tick = rng.next() % 10;
            let deleted = rng.below(5) == 0;
            let flags = if deleted {
                ChangeFlags::DELETED
            } else {
                ChangeFlags::NONE
            };
            batch
                .add_change(ItemChange::new(
                    &[next],
                    Version::new(0, tick),
                    Version::new(0, 0),
                    flags,
                ))
                .unwrap();
            if !deleted && rng.below(3) == 0 {
                batch
                    .add_change_unit(UnitChange {
                        unit: [(rng.next() & 0xFF) as u8].into(),
                        version: Version::new(0, tick),
                    })
                    .unwrap();
            }
        }
        if ordered {
            next = next.saturating_add(1);
            batch.end_ordered_group(Some(&[next]), &source).unwrap();
        } else {
            batch
                .end_unordered_group(&source, rng.below(2) == 0)
                .unwrap();
        }
    }
    if !full && rng.below(3) == 0 {
        batch
            .add_logged_conflict(
                ItemChange::new(
                    &[200],
                    Version::new(0, 1),
                    Version::new(0, 1),
                    ChangeFlags::NONE,
                ),
                &source,
            )
            .unwrap();
    }
    if rng.below(2) == 0 {
        batch.set_last_batch();
    }
    batch.serialize().unwrap()
}

/// The same for change batches (`ChangeBatch::deserialize`).
#[test]
fn batch_deserialization_never_panics_and_round_trips() {
    let (cases, seed) = settings();
    // Batches are bigger than knowledge: a tenth of the cases.
    let cases = (cases / 10).max(100);
    let mut rng = Rng(seed | 1);
    let (mut accepted, mut refused) = (0usize, 0usize);
    for case in 0..cases {
        let mut input = seed_batch(&mut rng);
        mutate(&mut rng, &mut input);
        let outcome = catch_unwind(AssertUnwindSafe(|| ChangeBatch::deserialize(&input)));
        let Ok(result) = outcome else {
            panic!("case {case} (seed {seed}) panicked on input {input:02x?}");
        };
        match result {
            Ok(batch) => {
                accepted += 1;
                let bytes = batch.serialize().unwrap();
                let again = ChangeBatch::deserialize(&bytes).unwrap();
                assert_eq!(again.serialize().unwrap(), bytes, "case {case}");
            }
            Err(error) => {
                refused += 1;
                assert!(!error.to_string().is_empty());
            }
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "accepted {accepted}, refused {refused}"
    );
}

#[test]
fn deserialization_never_panics_and_what_it_accepts_round_trips() {
    let (cases, seed) = settings();
    let mut rng = Rng(seed | 1);
    let (mut accepted, mut refused) = (0usize, 0usize);
    for case in 0..cases {
        let input = if rng.below(8) == 0 {
            (0..rng.below(200))
                .map(|_| (rng.next() & 0xFF) as u8)
                .collect()
        } else {
            let mut bytes = seed_input(&mut rng);
            mutate(&mut rng, &mut bytes);
            bytes
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            (
                Knowledge::deserialize(&input, None),
                ForgottenKnowledge::deserialize(&input, None),
            )
        }));
        let Ok((knowledge, forgotten)) = outcome else {
            panic!("case {case} (seed {seed}) panicked on input {input:02x?}");
        };
        match knowledge {
            Ok(k) => {
                accepted += 1;
                let again = Knowledge::deserialize(&k.serialize(true), None).unwrap_or_else(|e| {
                    panic!("case {case}: accepted knowledge does not round-trip: {e}")
                });
                assert_eq!(again, k, "case {case}");
            }
            Err(error) => {
                refused += 1;
                assert!(!error.to_string().is_empty());
            }
        }
        if let Ok(f) = forgotten {
            let again = ForgottenKnowledge::deserialize(&f.serialize(true), None).unwrap();
            assert_eq!(again, f, "case {case}");
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "accepted {accepted}, refused {refused}"
    );
}
