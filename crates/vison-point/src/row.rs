//! The flat output row of one measured spot: the figures `vison-inspect spots` prints and the
//! point-source tasks of `vison-pipe` keep, mapped once from a [`FrameSpot`]. NaN figures are
//! written as JSON `null` and read back as NaN (plain serde_json, or through
//! `#[serde(flatten)]` into a larger row).

use serde::{Deserialize, Serialize};
use vison_stdx::nan;

use crate::frame::FrameSpot;

/// One spot of one frame (positions in the CCD frame: pixel centres at integers,
/// `data[y, x]`; `sigma_px`, `e1`, `e2` are adaptive moments of the pixel-convolved spot,
/// `fwhm_*` the Gaussian fit's marginal widths). NaN and not converged when unmeasured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpotRow {
    /// CCD number (1..3).
    pub ccd: u8,
    /// Quadrant letter.
    pub quadrant: String,
    /// Spot name.
    pub spot: String,
    /// Centroid x, CCD frame.
    #[serde(deserialize_with = "nan::f64")]
    pub x_ccd_px: f64,
    /// Centroid y, CCD frame.
    #[serde(deserialize_with = "nan::f64")]
    pub y_ccd_px: f64,
    /// Background-subtracted aperture flux.
    #[serde(deserialize_with = "nan::f64")]
    pub flux_adu: f64,
    /// Its error.
    #[serde(deserialize_with = "nan::f64")]
    pub flux_err_adu: f64,
    /// Annulus background.
    #[serde(deserialize_with = "nan::f64")]
    pub bgd_adu: f64,
    /// Brightest background-subtracted pixel.
    #[serde(deserialize_with = "nan::f64")]
    pub peak_adu: f64,
    /// FWHM along x.
    #[serde(deserialize_with = "nan::f64")]
    pub fwhm_x_px: f64,
    /// FWHM along y.
    #[serde(deserialize_with = "nan::f64")]
    pub fwhm_y_px: f64,
    /// Adaptive-moment sigma.
    #[serde(deserialize_with = "nan::f64")]
    pub sigma_px: f64,
    /// Adaptive-moment ellipticity e1.
    #[serde(deserialize_with = "nan::f64")]
    pub e1: f64,
    /// Adaptive-moment ellipticity e2.
    #[serde(deserialize_with = "nan::f64")]
    pub e2: f64,
    /// Adaptive moments converged.
    pub converged: bool,
}

impl SpotRow {
    /// The row of spot `s` of CCD `ccd`.
    pub fn new(ccd: u8, s: &FrameSpot) -> Self {
        let nan = f64::NAN;
        let mut r = SpotRow {
            ccd,
            quadrant: s.quadrant.to_string(),
            spot: s.spot.clone(),
            x_ccd_px: nan,
            y_ccd_px: nan,
            flux_adu: nan,
            flux_err_adu: nan,
            bgd_adu: nan,
            peak_adu: nan,
            fwhm_x_px: nan,
            fwhm_y_px: nan,
            sigma_px: nan,
            e1: nan,
            e2: nan,
            converged: false,
        };
        if let Ok(m) = &s.result {
            r.x_ccd_px = m.x_px;
            r.y_ccd_px = m.y_px;
            r.flux_adu = m.flux_adu;
            r.flux_err_adu = m.flux_err_adu;
            r.bgd_adu = m.bgd_adu;
            r.peak_adu = m.peak_adu;
            r.fwhm_x_px = m.fwhm_x_px;
            r.fwhm_y_px = m.fwhm_y_px;
            r.sigma_px = m.sigma_px();
            r.e1 = m.e1();
            r.e2 = m.e2();
            r.converged = m.converged();
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unmeasured spot is NaN and not converged; NaN round-trips through JSON `null`, also
    /// flattened into a larger row.
    #[test]
    fn unmeasured_row_round_trips_through_null() {
        let s = FrameSpot {
            quadrant: 'F',
            spot: "ALPHA".into(),
            x_nominal_ccd_px: 10.0,
            y_nominal_ccd_px: 20.0,
            result: Err("off the frame".into()),
        };
        let r = SpotRow::new(2, &s);
        assert_eq!(
            (r.ccd, r.quadrant.as_str(), r.spot.as_str()),
            (2, "F", "ALPHA")
        );
        assert!(r.flux_adu.is_nan() && r.e2.is_nan() && !r.converged);
        #[derive(Serialize, Deserialize)]
        struct Outer {
            file: String,
            #[serde(flatten)]
            row: SpotRow,
        }
        let text = serde_json::to_string(&Outer {
            file: "f".into(),
            row: r,
        })
        .unwrap();
        assert!(
            text.starts_with(
                r#"{"file":"f","ccd":2,"quadrant":"F","spot":"ALPHA","x_ccd_px":null"#
            ),
            "{text}"
        );
        let back: Outer = serde_json::from_str(&text).unwrap();
        assert!(back.row.x_ccd_px.is_nan() && back.row.sigma_px.is_nan());
        assert_eq!(back.row.spot, "ALPHA");
    }
}
