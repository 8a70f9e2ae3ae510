//! Exponential integral Ei(x) for real x != 0.

const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// E1(x) = integral_x^inf exp(-t)/t dt for x > 0.
fn e1(x: f64) -> f64 {
    if x <= 1.0 {
        // Series: -gamma - ln x - sum_{k>=1} (-x)^k / (k k!).
        let mut sum = 0.0;
        let mut term = 1.0;
        for k in 1..200 {
            let kf = f64::from(k);
            term *= -x / kf;
            let add = term / kf;
            sum += add;
            if add.abs() < 1e-17 * sum.abs().max(1e-300) {
                break;
            }
        }
        -EULER_GAMMA - x.ln() - sum
    } else {
        // Continued fraction (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..300 {
            let an = -f64::from(i) * f64::from(i);
            b += 2.0;
            d = 1.0 / (an * d + b);
            c = b + an / c;
            let del = c * d;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        h * (-x).exp()
    }
}

/// Exponential integral Ei(x) (principal value); NaN at 0.
#[must_use]
pub(crate) fn ei(x: f64) -> f64 {
    if x < 0.0 {
        -e1(-x)
    } else if x > 0.0 {
        // Series gamma + ln x + sum x^k / (k k!) (converges for all x; fine for moderate x).
        let mut sum = 0.0;
        let mut term = 1.0;
        for k in 1..500 {
            let kf = f64::from(k);
            term *= x / kf;
            let add = term / kf;
            sum += add;
            if add < 1e-17 * sum {
                break;
            }
        }
        EULER_GAMMA + x.ln() + sum
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // Abramowitz & Stegun tables.
        assert!((ei(-1.0) + 0.219_383_934_395_520_3).abs() < 1e-13);
        assert!((ei(-0.5) + 0.559_773_594_776_160_8).abs() < 1e-13);
        assert!((ei(-3.0) + 0.013_048_381_094_197_04).abs() < 1e-13);
        assert!((ei(1.0) - 1.895_117_816_355_936_8).abs() < 1e-12);
        assert!(ei(0.0).is_nan());
    }
}
