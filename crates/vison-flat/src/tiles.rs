//! Regular tile grids over a region.

use serde::{Deserialize, Serialize};

/// A rectangular tile of a region: start indices and sizes along axis 0 and axis 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tile {
    /// First index along axis 0 (rows, parallel y).
    pub start0_px: usize,
    /// First index along axis 1 (columns, serial x).
    pub start1_px: usize,
    /// Size along axis 0.
    pub size0_px: usize,
    /// Size along axis 1.
    pub size1_px: usize,
}

impl Tile {
    /// The whole region of shape `(rows, cols)` as one tile.
    #[must_use]
    pub fn whole(shape: (usize, usize)) -> Self {
        Tile {
            start0_px: 0,
            start1_px: 0,
            size0_px: shape.0,
            size1_px: shape.1,
        }
    }

    /// Centre of the tile along axis 0 and axis 1 (pixel coordinates).
    #[must_use]
    pub fn centre_px(&self) -> (f64, f64) {
        (
            self.start0_px as f64 + 0.5 * (self.size0_px as f64 - 1.0),
            self.start1_px as f64 + 0.5 * (self.size1_px as f64 - 1.0),
        )
    }
}

/// Regular grid of complete `tile_px` x `tile_px` tiles covering a region of shape `shape`,
/// centred in the region (the leftover margin is split on both sides). Tiles hold exactly
/// `tile_px` pixels per side (the original's tiles were one pixel larger).
#[must_use]
pub fn tile_grid(shape: [usize; 2], tile_px: usize) -> Vec<Tile> {
    if tile_px == 0 || shape[0] < tile_px || shape[1] < tile_px {
        return Vec::new();
    }
    let n0 = shape[0] / tile_px;
    let n1 = shape[1] / tile_px;
    let off0 = (shape[0] - n0 * tile_px) / 2;
    let off1 = (shape[1] - n1 * tile_px) / 2;
    let mut out = Vec::with_capacity(n0 * n1);
    for a in 0..n0 {
        for b in 0..n1 {
            out.push(Tile {
                start0_px: off0 + a * tile_px,
                start1_px: off1 + b * tile_px,
                size0_px: tile_px,
                size1_px: tile_px,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vis_quadrant_has_36_tiles_of_300() {
        let t = tile_grid([2048, 2066], 300);
        assert_eq!(t.len(), 36);
        assert_eq!(t[0].start0_px, 124);
        assert_eq!(t[0].start1_px, 133);
        assert_eq!(t[35].start0_px + 300, 2048 - 124);
        assert_eq!(t[0].centre_px(), (124.0 + 149.5, 133.0 + 149.5));
        assert!(tile_grid([10, 10], 0).is_empty());
    }
}
