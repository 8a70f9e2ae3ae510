//! Trap-pumping dipoles: a trap under a clock phase moves charge between two neighbouring
//! pixels on every pumping cycle.
//!
//! Sign rule (documented in docs/truth.md): a trap at phase `p` is pumped by a mode whose
//! digit list contains `p`; it makes a positive dipole ("South" for parallel pumping, "West"
//! for serial; +A on the first pixel, -A on the next) when `p` is the mode's first digit, a
//! negative one ("North"/"East") when it is the second digit, nothing otherwise.

use ndarray::Array2;

use crate::truth::TrapTruth;

/// Sign of the dipole of a trap at `phase` under pumping mode `mode` (e.g. 123, 23).
pub fn trap_pumped_sign(phase: u8, mode: u32) -> Option<f32> {
    let digits: Vec<u32> = mode
        .to_string()
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    match digits.iter().position(|&d| d == u32::from(phase)) {
        Some(0) => Some(1.0),
        Some(1) => Some(-1.0),
        _ => None,
    }
}

/// Fraction of the local charge moved by a trap after `n_shuffles` pumping cycles
/// (reference 6.11): parallel `N Pc (exp(-t/tau) - exp(-2t/tau))` with `t` the pumping phase
/// time `toi_tp`; serial `N Pc (1 - exp(-t/tau))` with `t` the serial dwell time. Capped at 0.5.
pub fn dipole_fraction(
    serial: bool,
    n_shuffles: f64,
    log10_pc: f64,
    tau_us: f64,
    t_us: f64,
) -> f64 {
    let pc = 10f64.powf(log10_pc);
    let shape = if serial {
        1.0 - (-t_us / tau_us).exp()
    } else {
        (-t_us / tau_us).exp() - (-2.0 * t_us / tau_us).exp()
    };
    (n_shuffles * pc * shape).clamp(0.0, 0.5)
}

fn move_charge(a: &mut f32, b: &mut f32, frac: f64, sign: f32) {
    let q = (frac * 0.5 * f64::from(*a + *b)) as f32 * sign;
    *a += q;
    *b -= q;
}

/// Applies the dipoles of the parallel traps of one quadrant (`traps` may contain other
/// quadrants' traps: only `serial == false` entries are used, the caller filters by quadrant).
/// Returns the number of dipoles applied.
pub fn apply_parallel_dipoles(
    charge: &mut Array2<f32>,
    prescan_px: usize,
    traps: &[TrapTruth],
    mode: u32,
    n_shuffles: f64,
    toi_tp_us: f64,
) -> usize {
    let (rows, cols) = charge.dim();
    let mut n = 0;
    for t in traps.iter().filter(|t| !t.serial) {
        let Some(sign) = trap_pumped_sign(t.phase, mode) else {
            continue;
        };
        let c = t.x_px.wrapping_sub(prescan_px);
        if c >= cols || t.y_px + 1 >= rows {
            continue;
        }
        let f = dipole_fraction(false, n_shuffles, t.log10_pc, t.tau_us, toi_tp_us);
        let (mut a, mut b) = (charge[[t.y_px, c]], charge[[t.y_px + 1, c]]);
        move_charge(&mut a, &mut b, f, sign);
        charge[[t.y_px, c]] = a;
        charge[[t.y_px + 1, c]] = b;
        n += 1;
    }
    n
}

/// Applies the dipoles of the serial-register traps of one quadrant to every row.
/// Returns the number of dipoles (traps) applied.
pub fn apply_serial_dipoles(
    charge: &mut Array2<f32>,
    prescan_px: usize,
    traps: &[TrapTruth],
    mode: u32,
    n_shuffles: f64,
    dwell_us: f64,
) -> usize {
    let cols = charge.ncols();
    let mut n = 0;
    for t in traps.iter().filter(|t| t.serial) {
        let Some(sign) = trap_pumped_sign(t.phase, mode) else {
            continue;
        };
        let c = t.x_px.wrapping_sub(prescan_px);
        if c + 1 >= cols {
            continue;
        }
        let f = dipole_fraction(true, n_shuffles, t.log10_pc, t.tau_us, dwell_us);
        if f <= 0.0 {
            continue;
        }
        for mut row in charge.rows_mut() {
            let (mut a, mut b) = (row[c], row[c + 1]);
            move_charge(&mut a, &mut b, f, sign);
            row[c] = a;
            row[c + 1] = b;
        }
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_rule_and_amplitudes() {
        assert_eq!(trap_pumped_sign(1, 123), Some(1.0));
        assert_eq!(trap_pumped_sign(2, 123), Some(-1.0));
        assert_eq!(trap_pumped_sign(3, 123), None);
        assert_eq!(trap_pumped_sign(4, 123), None);
        assert_eq!(trap_pumped_sign(1, 31), Some(-1.0));
        // Parallel amplitude peaks at t = tau ln 2 with value N Pc / 4.
        let f = dipole_fraction(false, 5000.0, -4.0, 1000.0, 1000.0 * 2f64.ln());
        assert!((f - 5000.0 * 1e-4 / 4.0).abs() < 1e-12);
        assert_eq!(dipole_fraction(true, 5000.0, -4.0, 10.0, 0.0), 0.0);
    }

    #[test]
    fn dipoles_move_charge_between_neighbours() {
        let trap = TrapTruth {
            ccd: 1,
            quadrant: 'E',
            serial: false,
            x_px: 51 + 3,
            y_px: 4,
            phase: 1,
            log10_pc: -4.0,
            tau_us: 1000.0,
        };
        let mut charge = Array2::from_elem((10, 10), 1000.0_f32);
        assert_eq!(
            apply_parallel_dipoles(&mut charge, 51, &[trap], 123, 5000.0, 693.147),
            1
        );
        assert!((charge[[4, 3]] - 1125.0).abs() < 0.01 && (charge[[5, 3]] - 875.0).abs() < 0.01);
        let serial = TrapTruth {
            serial: true,
            phase: 3,
            ..trap
        };
        let mut charge = Array2::from_elem((10, 10), 1000.0_f32);
        assert_eq!(
            apply_serial_dipoles(&mut charge, 51, &[serial], 23, 5000.0, 1e9),
            1
        );
        // Phase 3 is the second digit of mode 23: East (negative) dipole in every row.
        assert!(charge[[0, 3]] < 1000.0 && charge[[9, 4]] > 1000.0);
    }
}
