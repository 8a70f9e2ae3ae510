//! Master products of one CCD: a value image, its error image and a pixel mask as named image
//! extensions, each with the frame's geometry keys (written atomically by
//! `vison_ccd::write_product`).

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::{Array2, ArrayView2};
use vison_ccd::fits::{HduSelector, ImageDataRef, ProductHdu, geometry_keys, read_image};
use vison_ccd::{FrameGeometry, Header};

use crate::error::Result;
use crate::framework::flags::{Flag, Flags};
use crate::framework::state::{CheckState, FrameCheck};

/// File name of the master bias of a CCD (written by BIAS01/BIAS02, used by the tests that
/// subtract a master bias; docs/pipeline.md).
pub fn master_bias_name(ccd: u8) -> String {
    format!("EUC_MASTERBIAS_CCD{ccd}.fits")
}

/// Extension names of a master product, e.g. `["STACK", "STD", "MASK"]`.
pub(crate) struct MasterNames<'a> {
    pub(crate) value: &'a str,
    pub(crate) error: &'a str,
    pub(crate) mask: &'a str,
}

/// Writes `primary` and the value, error (f32) and mask (u8) extensions to `path`.
pub(crate) fn write_master_product(
    path: &Path,
    primary: &Header,
    g: &FrameGeometry,
    names: &MasterNames<'_>,
    value: ArrayView2<'_, f32>,
    error: ArrayView2<'_, f32>,
    mask: ArrayView2<'_, u8>,
) -> Result<()> {
    let mut ext = Header::new();
    geometry_keys(g, &mut ext);
    let hdu = |name: &str, data| ProductHdu {
        name: name.into(),
        header: ext.clone(),
        data,
    };
    vison_ccd::write_product(
        path,
        primary,
        &[
            hdu(names.value, ImageDataRef::F32(value)),
            hdu(names.error, ImageDataRef::F32(error)),
            hdu(names.mask, ImageDataRef::U8(mask)),
        ],
    )?;
    Ok(())
}

/// Primary header of a stacked master product of one CCD: TEST, CCD, BLOCKID and NCOMB.
pub(crate) fn master_header(test: &str, ccd: u8, block: &str, n_frames: usize) -> Header {
    let mut h = Header::new();
    h.set("TEST", test);
    h.set("CCD", format!("CCD{ccd}"));
    h.set("BLOCKID", block);
    h.set("NCOMB", n_frames as i64);
    h
}

/// The value extension `name` of a master product and its geometry (the small geometry when
/// the header does not give one).
pub(crate) fn read_master_image(path: &Path, name: &str) -> Result<(Array2<f32>, FrameGeometry)> {
    let (hdu, data) = read_image(path, HduSelector::Name(name))?;
    let g = vison_ccd::fits::geometry_of(path, &hdu.header, data.ncols(), data.nrows())
        .unwrap_or_else(|_| FrameGeometry::small());
    Ok((data, g))
}

/// One master per CCD (`CCD<n>` keys) built by `build` from the CCD's usable frames and their
/// geometry; a CCD without any is skipped with BADDATAPROD `CCD<n>: <missing>`.
pub(crate) fn masters_per_ccd<T>(
    chk: &CheckState,
    missing: &str,
    mut build: impl FnMut(u8, &[&FrameCheck], FrameGeometry) -> Result<T>,
) -> Result<(BTreeMap<String, T>, Flags)> {
    let mut out = BTreeMap::new();
    let mut flags = Flags::new();
    for ccd in 1..=3u8 {
        let frames: Vec<&FrameCheck> = chk.usable(ccd).collect();
        let Some(g) = frames.iter().find_map(|f| f.geometry) else {
            flags.raise(Flag::BADDATAPROD, format!("CCD{ccd}: {missing}"));
            continue;
        };
        out.insert(format!("CCD{ccd}"), build(ccd, &frames, g)?);
    }
    Ok((out, flags))
}
