//! Image operations: bias subtraction, flat division, masks, rebinning, profiles and tiles.

use ndarray::{Array2, ArrayView2, Axis, Zip, s};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::geometry::{FrameGeometry, LOST_ADU, PixelBox, Quadrant, SATURATED_ADU, Section};
use crate::stats::{Stats, median_in_place, stats};

fn same_shape(frame: &Frame, other: ArrayView2<'_, f32>, what: &str) -> Result<()> {
    if frame.data.dim() != other.dim() {
        return Err(Error::ShapeMismatch(format!(
            "{what} is {:?}, frame is {:?}",
            other.dim(),
            frame.data.dim()
        )));
    }
    Ok(())
}

/// Subtracts a bias frame (same shape) in place.
pub fn subtract_bias(frame: &mut Frame, bias: ArrayView2<'_, f32>) -> Result<()> {
    same_shape(frame, bias, "bias")?;
    Zip::from(&mut frame.data)
        .and(&bias)
        .par_for_each(|x, &b| *x -= b);
    frame.header.add_history("vison-ccd: bias frame subtracted");
    Ok(())
}

/// Divides by a flat field (same shape) in place; pixels with a non-positive or
/// non-finite flat become NaN rather than a wrong number.
pub fn divide_flat(frame: &mut Frame, flat: ArrayView2<'_, f32>) -> Result<()> {
    same_shape(frame, flat, "flat")?;
    Zip::from(&mut frame.data).and(&flat).par_for_each(|x, &f| {
        *x = if f.is_finite() && f > 0.0 {
            *x / f
        } else {
            f32::NAN
        };
    });
    frame.header.add_history("vison-ccd: divided by flat field");
    Ok(())
}

/// Frame-shaped mask (true = bad) of lost (0) and saturated (65535) pixels.
pub fn bad_pixel_mask(frame: &Frame) -> Array2<bool> {
    frame
        .data
        .mapv(|x| x == LOST_ADU || x == SATURATED_ADU || !x.is_finite())
}

/// Frame-shaped mask that is true outside canonical rows `[vstart, vend)` of every quadrant.
pub fn vscan_mask(g: &FrameGeometry, vstart: usize, vend: usize) -> Array2<bool> {
    let mut m = Array2::from_elem(g.shape(), false);
    for q in Quadrant::ALL {
        let mut v = crate::frame::qcan_view_mut(g, m.view_mut(), q);
        for (r, mut row) in v.axis_iter_mut(Axis(0)).enumerate() {
            if r < vstart || r >= vend {
                row.fill(true);
            }
        }
    }
    m
}

/// Statistic used to reduce blocks or profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reducer {
    /// Mean of finite values.
    Mean,
    /// Median of finite values.
    Median,
    /// Standard deviation (ddof = 0) of finite values.
    Std,
}

fn reduce(vals: &mut Vec<f32>, r: Reducer) -> f32 {
    vals.retain(|x| x.is_finite());
    if vals.is_empty() {
        return f32::NAN;
    }
    let n = vals.len() as f64;
    let mean = vals.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    (match r {
        Reducer::Mean => mean,
        Reducer::Median => median_in_place(vals),
        Reducer::Std => (vals
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt(),
    }) as f32
}

/// Block reduction by integer factors (a true block median, unlike vison's median of medians);
/// trailing rows/columns that do not fill a block are dropped.
pub fn rebin(
    v: ArrayView2<'_, f32>,
    factor_rows: usize,
    factor_cols: usize,
    r: Reducer,
) -> Result<Array2<f32>> {
    if factor_rows == 0 || factor_cols == 0 {
        return Err(Error::InvalidArgument("rebin factor 0".into()));
    }
    let (nr, nc) = (v.nrows() / factor_rows, v.ncols() / factor_cols);
    let mut vals = Vec::with_capacity(factor_rows * factor_cols);
    Ok(Array2::from_shape_fn((nr, nc), |(i, j)| {
        vals.clear();
        vals.extend(
            v.slice(s![
                i * factor_rows..(i + 1) * factor_rows,
                j * factor_cols..(j + 1) * factor_cols
            ])
            .iter(),
        );
        reduce(&mut vals, r)
    }))
}

/// Direction of a 1-D profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileAxis {
    /// One value per row (collapsing the columns): a parallel (vertical) profile.
    Rows,
    /// One value per column (collapsing the rows): a serial (horizontal) profile.
    Cols,
}

/// 1-D profile of a canonical region: one reduced value per row or per column.
pub fn profile(v: ArrayView2<'_, f32>, axis: ProfileAxis, r: Reducer) -> Vec<f32> {
    let lanes = match axis {
        ProfileAxis::Rows => v.axis_iter(Axis(0)),
        ProfileAxis::Cols => v.axis_iter(Axis(1)),
    };
    let mut vals = Vec::new();
    lanes
        .map(|lane| {
            vals.clear();
            vals.extend(lane.iter());
            reduce(&mut vals, r)
        })
        .collect()
}

/// Regular grid of `w_px` x `h_px` tiles over the image section of a canonical quadrant
/// (tiles are exactly that size; vison's were one pixel larger). `noedges` drops the
/// outermost ring of tiles.
pub fn tile_grid(g: &FrameGeometry, w_px: usize, h_px: usize, noedges: bool) -> Vec<PixelBox> {
    if w_px == 0 || h_px == 0 {
        return Vec::new();
    }
    let img = g.section_box_qcan(Section::Image);
    let nx = img.n_cols() / w_px;
    let ny = img.n_rows() / h_px;
    let skip = usize::from(noedges);
    let mut tiles = Vec::new();
    for j in skip..ny.saturating_sub(skip) {
        for i in skip..nx.saturating_sub(skip) {
            let (r0, c0) = (img.row0 + j * h_px, img.col0 + i * w_px);
            tiles.push(PixelBox {
                row0: r0,
                row1: r0 + h_px,
                col0: c0,
                col1: c0 + w_px,
            });
        }
    }
    tiles
}

/// Statistics of each tile of a canonical quadrant view.
pub fn tile_stats(
    qcan: ArrayView2<'_, f32>,
    tiles: &[PixelBox],
    mask: Option<ArrayView2<'_, bool>>,
) -> Vec<Stats> {
    tiles
        .iter()
        .map(|b| {
            let v = crate::frame::cutout(qcan, b);
            let m = mask.map(|m| crate::frame::cutout(m, b));
            stats(v, m)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebin_is_a_true_block_median() {
        let a = Array2::from_shape_vec((2, 4), vec![1.0, 2.0, 10.0, 10.0, 3.0, 100.0, 10.0, 10.0])
            .expect("shape");
        let r = rebin(a.view(), 2, 2, Reducer::Median).expect("rebin");
        assert_eq!(
            r,
            Array2::from_shape_vec((1, 2), vec![2.5, 10.0]).expect("shape")
        );
    }

    #[test]
    fn profiles_and_tiles() {
        let a = Array2::from_shape_fn((4, 3), |(r, c)| (r * 10 + c) as f32);
        assert_eq!(
            profile(a.view(), ProfileAxis::Rows, Reducer::Mean),
            vec![1.0, 11.0, 21.0, 31.0]
        );
        assert_eq!(
            profile(a.view(), ProfileAxis::Cols, Reducer::Median),
            vec![15.0, 16.0, 17.0]
        );
        let t = tile_grid(&FrameGeometry::FULL, 300, 300, false);
        assert_eq!(t.len(), 36);
        assert_eq!((t[0].col0, t[0].row0, t[0].n_px()), (51, 0, 90_000));
        assert_eq!(tile_grid(&FrameGeometry::FULL, 300, 300, true).len(), 16);
    }

    #[test]
    fn flat_division_guards_bad_flat_pixels() {
        let mut f = Frame::zeros(FrameGeometry::small());
        f.data.fill(10.0);
        let mut flat = Array2::from_elem(f.data.dim(), 2.0f32);
        flat[[0, 0]] = 0.0;
        divide_flat(&mut f, flat.view()).expect("same shape");
        assert!(f.data[[0, 0]].is_nan());
        assert_eq!(f.data[[1, 1]], 5.0);
        let m = vscan_mask(&f.geometry, 0, 10);
        assert!(!m[[0, 0]] && m[[f.geometry.quad_height_px() - 1, 0]]);
    }
}
