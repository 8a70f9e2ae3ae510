//! Cut-outs ("stamps") around a position, with a bad-pixel mask, any width and height.
//!
//! Stamp pixel `(row, col)` = `data[[row, col]]` has centre at image coordinates
//! `(x, y) = (x0_px + col, y0_px + row)`; positions inside a stamp are given in the stamp frame
//! (`x` = column, `y` = row, pixel centres at integers).

use ndarray::{Array2, ArrayView2};

use crate::{Error, Result};

/// A rectangular cut-out of an image with its mask (`true` = unusable pixel).
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp {
    /// Pixel values, `[row, col]`.
    pub data_adu: Array2<f64>,
    /// `true` where the pixel is masked, not finite or outside the parent image.
    pub mask: Array2<bool>,
    /// Image x (column) of stamp column 0.
    pub x0_px: i64,
    /// Image y (row) of stamp row 0.
    pub y0_px: i64,
}

impl Stamp {
    /// A stamp from an array (origin at image `(x0_px, y0_px)`); non-finite pixels are masked.
    pub fn from_array(data_adu: Array2<f64>, x0_px: i64, y0_px: i64) -> Stamp {
        let mask = data_adu.mapv(|v| !v.is_finite());
        Stamp {
            data_adu,
            mask,
            x0_px,
            y0_px,
        }
    }

    /// Cuts a `(2 half_width_px + 1) x (2 half_height_px + 1)` stamp (columns x rows) centred on
    /// the pixel holding image position `(x_px, y_px)`. Parts outside the image are masked, as
    /// are pixels flagged in `mask` (same shape as `image`) and non-finite pixels.
    pub fn cut(
        image: ArrayView2<'_, f32>,
        mask: Option<ArrayView2<'_, bool>>,
        x_px: f64,
        y_px: f64,
        half_width_px: usize,
        half_height_px: usize,
    ) -> Result<Stamp> {
        let (rows, cols) = image.dim();
        if let Some(m) = mask.filter(|m| m.dim() != image.dim()) {
            return Err(Error::ShapeMismatch {
                what: "mask",
                got: [m.nrows(), m.ncols()],
                expected: [rows, cols],
            });
        }
        let (xc, yc) = (x_px.round(), y_px.round());
        let on = xc.is_finite() && yc.is_finite() && xc >= 0.0 && yc >= 0.0;
        if !on || xc as usize >= cols || yc as usize >= rows {
            return Err(Error::OffImage {
                what: "stamp centre",
                x_px,
                y_px,
                cols,
                rows,
            });
        }
        let (hw, hh) = (half_width_px as i64, half_height_px as i64);
        let x0 = xc as i64 - hw;
        let y0 = yc as i64 - hh;
        let shape = (2 * half_height_px + 1, 2 * half_width_px + 1);
        let mut data = Array2::<f64>::zeros(shape);
        let mut bad = Array2::<bool>::from_elem(shape, true);
        for ((r, c), v) in data.indexed_iter_mut() {
            let (y, x) = (y0 + r as i64, x0 + c as i64);
            if y < 0 || x < 0 || y as usize >= rows || x as usize >= cols {
                continue;
            }
            let (y, x) = (y as usize, x as usize);
            let value = f64::from(image[[y, x]]);
            let masked = mask.is_some_and(|m| m[[y, x]]);
            *v = if value.is_finite() { value } else { 0.0 };
            bad[[r, c]] = masked || !value.is_finite();
        }
        Ok(Stamp {
            data_adu: data,
            mask: bad,
            x0_px: x0,
            y0_px: y0,
        })
    }

    /// Width (columns).
    pub fn width_px(&self) -> usize {
        self.data_adu.ncols()
    }

    /// Height (rows).
    pub fn height_px(&self) -> usize {
        self.data_adu.nrows()
    }

    /// Image coordinates of a stamp position.
    pub fn image_from_stamp(&self, x_px: f64, y_px: f64) -> (f64, f64) {
        (x_px + self.x0_px as f64, y_px + self.y0_px as f64)
    }

    /// Stamp coordinates of an image position.
    pub fn stamp_from_image(&self, x_px: f64, y_px: f64) -> (f64, f64) {
        (x_px - self.x0_px as f64, y_px - self.y0_px as f64)
    }

    /// A copy with `level_adu` subtracted from every pixel.
    pub fn minus(&self, level_adu: f64) -> Stamp {
        Stamp {
            data_adu: self.data_adu.mapv(|v| v - level_adu),
            ..self.clone()
        }
    }

    /// Usable pixel value, `None` when masked, out of range or (for a hand-made stamp whose mask
    /// has another shape) without a mask entry.
    pub(crate) fn value(&self, row: usize, col: usize) -> Option<f64> {
        match self.mask.get((row, col)) {
            Some(false) => self.data_adu.get((row, col)).copied(),
            _ => None,
        }
    }
}

/// Row and column index range `[lo, hi)` of the pixels whose centres lie within `half_px` of
/// `centre_px` along one axis, clipped to `0..n`.
pub(crate) fn index_range(centre_px: f64, half_px: f64, n: usize) -> (usize, usize) {
    let lo = (centre_px - half_px).ceil().max(0.0);
    let hi = ((centre_px + half_px).floor() + 1.0).max(0.0);
    let lo = (lo as usize).min(n);
    let hi = (hi as usize).min(n);
    (lo, hi.max(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_square_cut_keeps_orientation_and_masks_outside() {
        // Image value encodes its coordinates: 1000 y + x.
        let img = Array2::from_shape_fn((40, 60), |(y, x)| (1000 * y + x) as f32);
        let s = Stamp::cut(img.view(), None, 10.4, 20.6, 5, 3).unwrap();
        assert_eq!(s.data_adu.dim(), (7, 11));
        assert_eq!((s.x0_px, s.y0_px), (5, 18));
        assert_eq!(s.data_adu[[0, 0]], 18005.0);
        assert_eq!(s.data_adu[[6, 10]], 24015.0);
        assert_eq!(s.image_from_stamp(5.0, 3.0), (10.0, 21.0));
        // Near the corner: outside pixels are masked.
        let s = Stamp::cut(img.view(), None, 1.0, 0.0, 3, 2).unwrap();
        assert!(s.mask[[0, 0]] && s.mask[[2, 1]] && !s.mask[[2, 2]]);
        assert_eq!(s.value(2, 2), Some(0.0));
        assert!(Stamp::cut(img.view(), None, 60.0, 3.0, 3, 3).is_err());
        assert!(Stamp::cut(img.view(), None, f64::NAN, 3.0, 3, 3).is_err());
    }

    #[test]
    fn mask_and_nan_are_flagged() {
        let mut img = Array2::<f32>::ones((10, 10));
        img[[5, 6]] = f32::NAN;
        let mut m = Array2::from_elem((10, 10), false);
        m[[4, 4]] = true;
        let s = Stamp::cut(img.view(), Some(m.view()), 5.0, 5.0, 2, 2).unwrap();
        assert!(s.mask[[2, 3]] && s.mask[[1, 1]]);
        assert_eq!(s.mask.iter().filter(|b| **b).count(), 2);
        let bad = Array2::from_elem((9, 10), false);
        assert!(Stamp::cut(img.view(), Some(bad.view()), 5.0, 5.0, 2, 2).is_err());
    }

    #[test]
    fn index_range_clips() {
        assert_eq!(index_range(5.0, 2.0, 20), (3, 8));
        assert_eq!(index_range(0.5, 2.0, 20), (0, 3));
        assert_eq!(index_range(19.0, 2.5, 20), (17, 20));
        assert_eq!(index_range(-10.0, 2.0, 20), (0, 0));
    }
}
