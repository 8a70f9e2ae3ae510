//! The viridis colour map (perceptually uniform, readable in grey-scale print).

/// Viridis sampled at 9 evenly spaced points (matplotlib's table), linearly interpolated.
const VIRIDIS: [[u8; 3]; 9] = [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
];

/// Colour used for non-finite pixels.
pub(crate) const NAN_RGB: [u8; 3] = [190, 190, 190];

/// Maps `t` in `[0, 1]` (clamped) to an RGB colour.
pub(crate) fn viridis(t: f64) -> [u8; 3] {
    if !t.is_finite() {
        return NAN_RGB;
    }
    let pos = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |k: usize| (f64::from(a[k]) + f * (f64::from(b[k]) - f64::from(a[k]))).round() as u8;
    [mix(0), mix(1), mix(2)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_clamp_and_midpoint_interpolates() {
        assert_eq!(viridis(-3.0), VIRIDIS[0]);
        assert_eq!(viridis(0.0), VIRIDIS[0]);
        assert_eq!(viridis(1.0), VIRIDIS[8]);
        assert_eq!(viridis(7.0), VIRIDIS[8]);
        assert_eq!(viridis(0.5), VIRIDIS[4]);
        // Halfway between samples 0 and 1.
        assert_eq!(viridis(0.0625), [70, 23, 103]);
        assert_eq!(viridis(f64::NAN), NAN_RGB);
    }
}
