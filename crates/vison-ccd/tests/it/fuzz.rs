//! Malformed FITS never panics: corrupted and truncated copies of a valid frame give an
//! `Ok` or a named error.

use proptest::prelude::*;
use vison_ccd::fits::inspect_fits;
use vison_ccd::{Frame, FrameGeometry, read_frame, write_raw_frame};

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
