//! Master products of one CCD: a value image, its error image and a pixel mask as named image
//! extensions, each with the frame's geometry keys (written atomically by
//! `vison_ccd::write_product`).

use std::path::Path;

use ndarray::ArrayView2;
use vison_ccd::fits::{ImageDataRef, ProductHdu, geometry_keys};
use vison_ccd::{FrameGeometry, Header};

use crate::error::Result;

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
