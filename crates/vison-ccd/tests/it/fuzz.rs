//! Malformed FITS never panics or over-allocates: corrupted and truncated copies of a valid
//! frame, and frames whose header cards are set to hostile values (every card, with the
//! structural ones favoured), give an `Ok` or an error naming the file.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use vison_ccd::fits::{HduSelector, RowReader, inspect_fits, read_image};
use vison_ccd::{Frame, FrameGeometry, read_frame, write_raw_frame};

use crate::malformed::{EXT, remove_card, set_card, small_frame_bytes};

fn valid_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("f.fits");
    let mut f = Frame::zeros(FrameGeometry {
        image_cols_px: 8,
        image_rows_px: 6,
        ..FrameGeometry::FULL
    });
    f.data
        .iter_mut()
        .enumerate()
        .for_each(|(i, x)| *x = (i % 4000) as f32);
    f.extname = "ROE1_CCD1".into();
    f.header.set("OBSID", 5).set("TEST", "BIAS01");
    write_raw_frame(&p, &f).expect("write");
    std::fs::read(&p).expect("read")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]
    #[test]
    fn corrupted_files_give_errors_not_panics(
        edits in proptest::collection::vec((0usize..20_000, any::<u8>()), 0..12),
        cut in 0usize..20_000,
    ) {
        let mut b = valid_bytes();
        let n = b.len().max(1);
        for (pos, byte) in edits {
            if let Some(x) = b.get_mut(pos % n) {
                *x = byte;
            }
        }
        b.truncate(cut.max(1).min(b.len()));
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("bad.fits");
        std::fs::write(&p, &b).expect("write");
        // Either outcome is fine; a panic fails the test. Errors name the file.
        if let Err(e) = read_frame(&p) {
            prop_assert!(e.to_string().contains("bad.fits"), "{}", e);
        }
        let _ = inspect_fits(&p);
    }
}

/// Values tried for a card: huge, negative, zero, non-numeric, non-finite and blank; `REMOVE`
/// blanks the card.
const VALUES: &[&str] = &[
    "-1",
    "-1000",
    "0",
    "1",
    "2",
    "3",
    "8",
    "-32",
    "64",
    "999",
    "1000",
    "32768",
    "4294967297",
    "1099511627776",
    "4611686018427387904",
    "9223372036854775807",
    "-9223372036854775808",
    "1E308",
    "-1E308",
    "1E999",
    "NaN",
    "0.0",
    "3.5",
    "'abc'",
    "'IMAGE'",
    "T",
    "",
    "REMOVE",
];

/// Keys favoured by the random mutations (structural and geometry keys).
const FAVOURED: &[&str] = &[
    "NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "BITPIX", "BZERO", "BSCALE", "PCOUNT", "GCOUNT",
    "XTENSION", "SIMPLE", "GROUPS", "PRESCANX", "OVRSCANX", "OVRSCANY",
];

/// Keys of the header starting at `start`.
fn header_keys(b: &[u8], start: usize) -> Vec<String> {
    b[start..]
        .chunks(80)
        .map(|c| String::from_utf8_lossy(&c[..8]).trim_end().to_string())
        .take_while(|k| k != "END")
        .filter(|k| !k.is_empty())
        .collect()
}

fn mutate(b: &mut [u8], hdu: usize, key: &str, value: &str) {
    let start = if hdu == 0 { 0 } else { EXT };
    if value == "REMOVE" {
        remove_card(b, start, key);
    } else {
        set_card(b, start, key, value);
    }
}

/// Runs every reader on `p`: no panic (a panic fails the test), errors name the file, and a
/// header that passes announces no more data than the file holds, so no reader allocates
/// more than 4 bytes (one f32) per byte of the file. Returns the outcome's class.
fn check_readers(p: &Path) -> Result<String, String> {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let outcome = match inspect_fits(p) {
        Ok(info) => {
            for h in &info.hdus {
                let px = h
                    .naxes
                    .iter()
                    .try_fold(1u64, |a, &n| a.checked_mul(n as u64));
                let bytes =
                    px.and_then(|n| n.checked_mul(h.bitpix.unwrap_or(8).unsigned_abs() / 8));
                if bytes.is_none_or(|n| n > info.file_bytes) {
                    return Err(format!(
                        "{name}: HDU {} announces {:?} > file",
                        h.index, h.naxes
                    ));
                }
            }
            "headers accepted".to_string()
        }
        Err(e) => {
            let msg = e.to_string();
            if !msg.contains(name) {
                return Err(format!("error does not name the file: {msg}"));
            }
            let kind = format!("{e:?}");
            format!(
                "rejected: {}",
                kind.split([' ', '{', '(']).next().unwrap_or("")
            )
        }
    };
    let reads = [
        read_frame(p).err(),
        read_image(p, HduSelector::LastImage).err(),
        RowReader::open(p, HduSelector::LastImage)
            .and_then(|mut r| {
                let (_, cols) = r.shape();
                let mut row = vec![0f32; cols];
                r.read_rows(0, &mut row)
            })
            .err(),
    ];
    for e in reads.into_iter().flatten() {
        let msg = e.to_string();
        if !msg.contains(name) {
            return Err(format!("error does not name the file: {msg}"));
        }
    }
    Ok(outcome)
}

#[allow(clippy::print_stderr)]
fn report(what: &str, counts: &BTreeMap<String, usize>) {
    let total: usize = counts.values().sum();
    eprintln!("{what}: {total} tried: {counts:?}");
}

#[test]
fn every_card_times_every_hostile_value_is_named_or_read() {
    let base = small_frame_bytes();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut counts = BTreeMap::new();
    let mut n = 0usize;
    for hdu in [0usize, 1] {
        let start = if hdu == 0 { 0 } else { EXT };
        let mut keys = header_keys(&base, start);
        keys.extend(FAVOURED.iter().map(|k| (*k).to_string()));
        let mut seen = HashSet::new();
        keys.retain(|k| seen.insert(k.clone()));
        for key in &keys {
            for value in VALUES {
                let mut b = base.clone();
                mutate(&mut b, hdu, key, value);
                n += 1;
                let p = dir.path().join(format!("m{n}.fits"));
                std::fs::write(&p, &b).expect("write");
                let class = check_readers(&p).unwrap_or_else(|e| panic!("{key}={value}: {e}"));
                // Negative or huge axis counts never pass.
                let hostile = value.starts_with('-') || value.len() >= 10;
                if hdu == 1 && ["NAXIS", "NAXIS1", "NAXIS2"].contains(&key.as_str()) && hostile {
                    assert!(class.starts_with("rejected"), "{key}={value}: {class}");
                }
                *counts.entry(class).or_insert(0) += 1;
                std::fs::remove_file(&p).expect("rm");
            }
        }
    }
    report("single-card mutants", &counts);
    assert!(n > 900, "{n}");
}

#[test]
fn random_multi_card_header_mutations_never_panic_or_overallocate() {
    let base = small_frame_bytes();
    let ext_keys = header_keys(&base, EXT);
    let mut keys: Vec<String> = FAVOURED.iter().map(|k| (*k).to_string()).collect();
    keys.extend(ext_keys);
    let value = prop_oneof![
        3 => proptest::sample::select(VALUES).prop_map(str::to_string),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => any::<f64>().prop_map(|f| format!("{f:E}")),
    ];
    let edit = (
        prop_oneof![1 => Just(0usize), 4 => Just(1usize)],
        proptest::sample::select(keys),
        value,
    );
    let strategy = proptest::collection::vec(edit, 1..5);
    let dir = tempfile::tempdir().expect("tempdir");
    let counts = Mutex::new(BTreeMap::new());
    let case = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 600,
        ..Config::default()
    });
    runner
        .run(&strategy, |edits| {
            let mut b = base.clone();
            for (hdu, key, value) in &edits {
                mutate(&mut b, *hdu, key, value);
            }
            let k = case.fetch_add(1, Ordering::Relaxed);
            let p = dir.path().join(format!("r{k}.fits"));
            std::fs::write(&p, &b).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let class =
                check_readers(&p).map_err(|e| TestCaseError::fail(format!("{edits:?}: {e}")))?;
            let _ = std::fs::remove_file(&p);
            if let Ok(mut c) = counts.lock() {
                *c.entry(class).or_insert(0) += 1;
            }
            Ok(())
        })
        .expect("no mutant fails");
    let counts = counts.into_inner().expect("counts");
    report("random multi-card mutants", &counts);
    assert!(counts.values().sum::<usize>() >= 600);
}
