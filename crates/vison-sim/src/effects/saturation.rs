//! Full well and blooming: charge above the full-well capacity spills equally up and down
//! the column (parallel direction) into pixels that still have room; charge pushed past the
//! ends of the column is lost.

use ndarray::{Array2, ArrayViewMut1};

/// Caps every pixel at `full_well_e`, spreading the excess along its column.
/// Returns the number of pixels at full well afterwards.
pub fn bloom_columns(charge: &mut Array2<f32>, full_well_e: f64) -> usize {
    let fw = full_well_e as f32;
    // Row-major pass (contiguous): which columns exceed the full well at all.
    let mut over = vec![false; charge.ncols()];
    let mut any = false;
    for row in charge.rows() {
        for (flag, &v) in over.iter_mut().zip(row.iter()) {
            if v > fw {
                *flag = true;
                any = true;
            }
        }
    }
    if any {
        for (mut col, _) in charge
            .columns_mut()
            .into_iter()
            .zip(&over)
            .filter(|(_, o)| **o)
        {
            bloom_one(&mut col, fw);
        }
    }
    charge.iter().filter(|&&v| v >= fw).count()
}

fn bloom_one(col: &mut ArrayViewMut1<'_, f32>, fw: f32) {
    let n = col.len();
    let mut i = 0;
    while i < n {
        if col[i] <= fw {
            i += 1;
            continue;
        }
        // Maximal run of pixels at or above full well starting at i.
        let mut j = i;
        let mut excess = 0.0_f64;
        while j < n && col[j] >= fw {
            excess += f64::from(col[j] - fw);
            col[j] = fw;
            j += 1;
        }
        let mut up = excess * 0.5;
        let mut down = excess * 0.5;
        let mut k = j;
        while up > 0.0 && k < n {
            let room = f64::from(fw - col[k]).max(0.0);
            let add = room.min(up);
            col[k] += add as f32;
            up -= add;
            k += 1;
        }
        let mut k = i;
        while down > 0.0 && k > 0 {
            k -= 1;
            let room = f64::from(fw - col[k]).max(0.0);
            let add = room.min(down);
            col[k] += add as f32;
            down -= add;
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excess_spreads_along_the_column_and_is_conserved() {
        let mut charge = Array2::<f32>::from_elem((20, 2), 10.0);
        charge[[10, 0]] = 500.0;
        let before: f32 = charge.column(0).sum();
        let n = bloom_columns(&mut charge, 100.0);
        assert!(charge.iter().all(|&v| v <= 100.0));
        assert!((charge.column(0).sum() - before).abs() < 1e-3);
        // 400 e- excess: 200 up and 200 down, 90 e- of room per pixel -> 5 full pixels.
        assert_eq!(n, 5);
        assert_eq!(charge[[12, 0]], 100.0);
        assert!((charge[[13, 0]] - 30.0).abs() < 1e-3);
        assert_eq!(charge[[10, 1]], 10.0);
    }
}
