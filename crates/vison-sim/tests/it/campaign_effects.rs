//! Every injected effect is present in the generated frames at the level recorded in
//! truth.json (small frames, tolerances stated per test).

use ndarray::{Array2, Zip, s};
use vison_ccd::{Frame, Quadrant};
use vison_sim::effects::{
    QuadLayout, dipole_fraction, lamp_value, nonlinear_adu, trap_pumped_sign,
};
use vison_sim::truth::QuadTruth;

use crate::sim_fixture::{Campaign, campaign, clipped_mean_std, image, mean_std, prescan};

const QUADS: [Quadrant; 4] = Quadrant::ALL;

fn qtruth(c: &Campaign, ccd: u8, q: Quadrant) -> &QuadTruth {
    c.truth
        .quad(ccd, q.name().chars().next().unwrap_or('E'))
        .expect("quadrant truth")
}

fn layout(f: &Frame) -> QuadLayout {
    let g = f.geometry;
    QuadLayout {
        prescan_px: g.prescan_px,
        image_cols_px: g.image_cols_px,
        overscan_px: g.overscan_px,
        image_rows_px: g.image_rows_px,
        voverscan_px: g.voverscan_px,
    }
}

/// Image area as f64 minus the mean prescan level of the same frame and quadrant.
fn image_minus_offset(f: &Frame, q: Quadrant) -> Array2<f64> {
    image_minus_offset_rows(f, q, f.geometry.quad_height_px())
}

/// As [`image_minus_offset`] for a frame whose rows from `rows` on were not read out.
fn image_minus_offset_rows(f: &Frame, q: Quadrant, rows: usize) -> Array2<f64> {
    let (off, _) = mean_std(prescan(f, q).slice(s![..rows, ..]).iter());
    image(f, q).mapv(|v| f64::from(v) - off)
}

fn mean_of(frames: &[Frame], q: Quadrant) -> Array2<f64> {
    let mut acc = image(&frames[0], q).mapv(f64::from) * 0.0;
    for f in frames {
        acc += &image(f, q).mapv(f64::from);
    }
    acc / frames.len() as f64
}

#[test]
fn bias_offset_and_read_noise_match_truth() {
    let c = campaign();
    let ids = c.obsids("BIAS01", None);
    assert_eq!(ids.len(), 10);
    for ccd in 1..=3 {
        let frames: Vec<Frame> = ids.iter().map(|&o| c.frame(o, ccd)).collect();
        for q in QUADS {
            let t = qtruth(c, ccd, q);
            // Offset: mean over the whole prescan (all rows: the row structure has whole
            // cycles over the quadrant height) of all bias frames; 10 x 276 x 51 pixels.
            let (off, _) = mean_std(frames.iter().flat_map(|f| prescan(f, q).into_iter()));
            assert!(
                (off - t.offset_adu).abs() < 0.05,
                "CCD{ccd}{q}: offset {off} vs {}",
                t.offset_adu
            );
            // RON: difference of two bias frames (fixed structure cancels); integer
            // rounding adds 1/12 ADU^2 per frame. 13000 pixels: 0.6 % statistical error.
            let d =
                &prescan(&frames[0], q).mapv(f64::from) - &prescan(&frames[1], q).mapv(f64::from);
            let (_, sd) = mean_std(d.mapv(|v| v as f32).iter());
            let ron = sd / 2f64.sqrt();
            let want = (t.ron_adu.powi(2) + 1.0 / 12.0).sqrt();
            assert!(
                (ron / want - 1.0).abs() < 0.03,
                "CCD{ccd}{q}: RON {ron} vs {want}"
            );
        }
    }
}

#[test]
fn flat_pair_mean_variance_gives_the_gain() {
    let c = campaign();
    let ids = c.obsids("PTC02", Some("col002"));
    assert_eq!(ids.len(), 4);
    for ccd in 1..=3 {
        let (f1, f2) = (c.frame(ids[0], ccd), c.frame(ids[1], ccd));
        for q in QUADS {
            let t = qtruth(c, ccd, q);
            let (a, b) = (image_minus_offset(&f1, q), image_minus_offset(&f2, q));
            let diff: Vec<f64> = Zip::from(&a)
                .and(&b)
                .map_collect(|x, y| x - y)
                .into_iter()
                .collect();
            let (_, sd) = clipped_mean_std(&diff, 5.0);
            let var = sd * sd / 2.0 - t.ron_adu.powi(2);
            let mean = 0.5 * (a.mean().unwrap_or(0.0) + b.mean().unwrap_or(0.0));
            let gain = mean / var;
            // Statistical error 0.6 %; the non-linearity biases mean/variance by up to ~1.5 %.
            assert!(mean > 15000.0, "CCD{ccd}{q}: fluence {mean}");
            assert!(
                (gain / t.gain_e_per_adu - 1.0).abs() < 0.03,
                "CCD{ccd}{q}: gain {gain} vs {}",
                t.gain_e_per_adu
            );
        }
    }
}

#[test]
fn flat_levels_follow_lamp_gain_and_nonlinearity() {
    let c = campaign();
    let ids = c.obsids("PTC02", None);
    for &obsid in ids.iter().step_by(4) {
        let ft = &c.truth.frames[&obsid.to_string()];
        for ccd in 1..=3 {
            let f = c.frame(obsid, ccd);
            let l = layout(&f);
            let lamp = &c.truth.illumination[&format!("CCD{ccd}")];
            let (n1, n2) = (f.geometry.naxis1(), f.geometry.naxis2());
            for q in QUADS {
                let t = qtruth(c, ccd, q);
                let fq = &ft.ccds[&format!("CCD{ccd}")].quads[q.name()];
                let meas = image_minus_offset(&f, q);
                let (mut want, mut linear, mut n) = (0.0, 0.0, 0.0);
                for ((r, col), _) in meas.indexed_iter() {
                    let x = l.prescan_px + col;
                    let (xc, yc) = l.ccd_from_qcan(q.is_top(), q.is_right(), x as f64, r as f64);
                    let e = fq.flat_e * lamp_value(lamp, n1, n2, xc, yc) + fq.dark_e;
                    let adu = e / t.gain_e_per_adu;
                    want += nonlinear_adu(adu, t.nonlinearity.c1, t.nonlinearity.c2)
                        + t.offset_col_slope_adu_per_px * col as f64;
                    linear += adu;
                    n += 1.0;
                }
                let (want, linear) = (want / n, linear / n);
                let got = clipped_mean_std(&meas.iter().copied().collect::<Vec<_>>(), 6.0).0;
                assert!(
                    (got / want - 1.0).abs() < 2e-3,
                    "ObsID {obsid} CCD{ccd}{q}: {got} vs {want}"
                );
                let nl_dev = want / linear - 1.0;
                if nl_dev.abs() > 4e-3 {
                    assert!(
                        (got / linear - 1.0).abs() > 2e-3,
                        "non-linearity {nl_dev} not visible"
                    );
                }
            }
        }
    }
}

#[test]
fn dark_current_hot_pixels_and_hot_columns_are_at_their_levels() {
    let c = campaign();
    let darks = c.obsids("DARK01", None);
    let biases = c.obsids("BIAS01", None);
    let t_s = c.truth.frames[&darks[0].to_string()].exptime_s;
    assert_eq!(t_s, 565.0);
    for ccd in 1..=3 {
        let d: Vec<Frame> = darks.iter().map(|&o| c.frame(o, ccd)).collect();
        let b: Vec<Frame> = biases.iter().map(|&o| c.frame(o, ccd)).collect();
        for q in QUADS {
            let t = qtruth(c, ccd, q);
            let bias = mean_of(&b, q);
            let mean_dark = &mean_of(&d, q) - &bias;
            let vals: Vec<f64> = mean_dark.iter().copied().collect();
            let (m, _) = clipped_mean_std(&vals, 5.0);
            let want = t.dark_e_per_px_per_s * t_s / t.gain_e_per_adu;
            assert!(
                (m - want).abs() < 0.05 * want + 0.02,
                "CCD{ccd}{q}: dark {m} ADU vs {want}"
            );
            // Median of the 4 darks (cosmic-ray free) minus the master bias.
            let imgs: Vec<Array2<f64>> = d.iter().map(|f| image(f, q).mapv(f64::from)).collect();
            let med = Array2::from_shape_fn(bias.dim(), |(r, col)| {
                let mut v: Vec<f64> = imgs.iter().map(|a| a[[r, col]]).collect();
                v.sort_by(f64::total_cmp);
                0.5 * (v[1] + v[2]) - bias[[r, col]]
            });
            let pre = d[0].geometry.prescan_px;
            let on_hot_col =
                |x: usize, y: usize| t.hot_columns.iter().any(|h| h.x_px == x && y >= h.y0_px);
            for hp in &t.hot_pixels {
                let mut rate = hp.dark_e_per_s + t.dark_e_per_px_per_s;
                rate += t
                    .hot_columns
                    .iter()
                    .filter(|h| h.x_px == hp.x_px && hp.y_px >= h.y0_px)
                    .map(|h| h.dark_e_per_px_per_s)
                    .sum::<f64>();
                let exp_adu = rate * t_s / t.gain_e_per_adu;
                let got = med[[hp.y_px, hp.x_px - pre]];
                assert!(
                    (got / exp_adu - 1.0).abs() < 0.1,
                    "CCD{ccd}{q} hot pixel {hp:?}: {got} vs {exp_adu}"
                );
            }
            for h in &t.hot_columns {
                let exp_adu = h.dark_e_per_px_per_s * t_s / t.gain_e_per_adu;
                let col = med.slice(s![h.y0_px + 1.., h.x_px - pre]).to_vec();
                let (m, _) = clipped_mean_std(&col, 4.0);
                assert!(
                    (m - exp_adu - want).abs() < 0.1 * exp_adu + 1.0,
                    "CCD{ccd}{q} hot column {h:?}: {m}"
                );
            }
            // Every pixel 50 ADU above the dark level is a hot pixel or on a hot column.
            for ((r, col), &v) in med.indexed_iter() {
                if v > 50.0 {
                    let x = col + pre;
                    let known =
                        t.hot_pixels.iter().any(|h| h.x_px == x && h.y_px == r) || on_hot_col(x, r);
                    assert!(
                        known,
                        "CCD{ccd}{q}: unexpected bright pixel ({x}, {r}) = {v}"
                    );
                }
            }
        }
    }
}

#[test]
fn cosmic_rays_deposit_their_recorded_charge() {
    let c = campaign();
    let darks = c.obsids("DARK01", None);
    let mut checked = 0;
    for ccd in 1..=3 {
        let d: Vec<Frame> = darks.iter().map(|&o| c.frame(o, ccd)).collect();
        for q in QUADS {
            let t = qtruth(c, ccd, q);
            let imgs: Vec<Array2<f64>> = d.iter().map(|f| image(f, q).mapv(f64::from)).collect();
            let (rows, cols) = imgs[0].dim();
            let pre = d[0].geometry.prescan_px;
            for (k, &o) in darks.iter().enumerate() {
                let crs = &c.truth.frames[&o.to_string()].ccds[&format!("CCD{ccd}")].quads
                    [q.name()]
                .cosmic_rays;
                for cr in crs {
                    // Replay the track's deposit into a 5x5 box around its start.
                    let (x0, y0) = (cr.x_px - pre as f64, cr.y_px);
                    let (bx, by) = (x0.round() as i64, y0.round() as i64);
                    if bx < 3 || by < 3 || bx + 3 >= cols as i64 || by + 3 >= rows as i64 {
                        continue;
                    }
                    let steps = (cr.length_px * 4.0).ceil() as usize + 1;
                    let per = cr.total_e / steps as f64;
                    let mut want_e = 0.0;
                    for i in 0..steps {
                        let f = i as f64 / (steps - 1).max(1) as f64;
                        let x = (x0 + f * cr.length_px * cr.angle_rad.cos()).round() as i64;
                        let y = (y0 + f * cr.length_px * cr.angle_rad.sin()).round() as i64;
                        if (x - bx).abs() <= 2 && (y - by).abs() <= 2 {
                            want_e += per;
                        }
                    }
                    let mut got = 0.0;
                    for y in by - 2..=by + 2 {
                        for x in bx - 2..=bx + 2 {
                            let (y, x) = (y as usize, x as usize);
                            let mut others: Vec<f64> = imgs
                                .iter()
                                .enumerate()
                                .filter(|(j, _)| *j != k)
                                .map(|(_, a)| a[[y, x]])
                                .collect();
                            others.sort_by(f64::total_cmp);
                            got += imgs[k][[y, x]] - others[1];
                        }
                    }
                    let got_e = got * t.gain_e_per_adu;
                    // Shot noise of the deposit and 25 pixels of read noise.
                    let tol = 0.05 * want_e + 3.0 * (want_e + 25.0 * 4.0 * 12.0).sqrt() + 40.0;
                    assert!(
                        (got_e - want_e).abs() < tol,
                        "CCD{ccd}{q} ObsID {o}: {got_e} e- vs {want_e} ({cr:?})"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 5, "only {checked} cosmic rays checked");
}

#[test]
fn spot_centroids_and_fluxes_match_the_pattern() {
    let c = campaign();
    let ids = c.obsids("FOCUS00", Some("col005"));
    assert_eq!(ids.len(), 1, "one in-focus frame");
    let ft = &c.truth.frames[&ids[0].to_string()];
    assert_eq!(ft.source, "point");
    for ccd in 1..=3 {
        let f = c.frame(ids[0], ccd);
        let pre = f.geometry.prescan_px;
        for q in QUADS {
            let t = qtruth(c, ccd, q);
            let img = image_minus_offset(&f, q);
            let spots = &c.truth.spots[&format!("CCD{ccd}")][q.name()];
            assert_eq!(spots.len(), 5);
            for (name, st) in spots {
                let fs = &ft.ccds[&format!("CCD{ccd}")].quads[q.name()].spots[name];
                assert!(fs.fwhm_px < 2.5, "{name}: in focus");
                let (xc, yc) = (st.x_qcan_px - pre as f64, st.y_qcan_px);
                let (x0, y0) = (xc.round() as usize, yc.round() as usize);
                let (mut s0, mut sx, mut sy) = (0.0, 0.0, 0.0);
                for y in y0 - 7..=y0 + 7 {
                    for x in x0 - 7..=x0 + 7 {
                        let v = img[[y, x]];
                        s0 += v;
                        sx += v * x as f64;
                        sy += v * y as f64;
                    }
                }
                let (cx, cy) = (sx / s0, sy / s0);
                assert!(
                    (cx - xc).abs() < 0.1 && (cy - yc).abs() < 0.1,
                    "CCD{ccd}{q} {name}: ({cx}, {cy}) vs ({xc}, {yc})"
                );
                let want = fs.total_e / t.gain_e_per_adu;
                assert!(
                    (s0 / want - 1.0).abs() < 0.03,
                    "CCD{ccd}{q} {name}: flux {s0} vs {want}"
                );
            }
        }
    }
    // Defocused frames have wider spots.
    let wide = c.obsids("FOCUS00", Some("col001"));
    let fw = &c.truth.frames[&wide[0].to_string()].ccds["CCD1"].quads["E"].spots["ALPHA"];
    assert!(fw.fwhm_px > 3.0, "{}", fw.fwhm_px);
}

#[test]
fn charge_injection_lines_have_the_ig1_dependent_level() {
    let c = campaign();
    let mut ids = c.obsids("CHINJ01", None);
    ids.extend(c.obsids("CHINJ02", None));
    let mut checked = 0;
    for &o in &ids {
        let ft = &c.truth.frames[&o.to_string()];
        for ccd in 1..=3 {
            let fc = &ft.ccds[&format!("CCD{ccd}")];
            let f = c.frame(o, ccd);
            for q in QUADS {
                let fq = &fc.quads[q.name()];
                let t = qtruth(c, ccd, q);
                let img = image_minus_offset(&f, q);
                let Some(level) = fq.injection_adu else {
                    // The other half gets nothing.
                    let (m, _) = mean_std(img.mapv(|v| v as f32).iter());
                    assert!(
                        m.abs() < 1.0,
                        "ObsID {o} CCD{ccd}{q}: {m} without injection"
                    );
                    continue;
                };
                let [on, off] = fq.injection_on_off.expect("pattern");
                let rows_on: Vec<usize> =
                    (0..img.nrows()).filter(|r| r % (on + off) < on).collect();
                let rows_off: Vec<usize> =
                    (0..img.nrows()).filter(|r| r % (on + off) >= on).collect();
                let mean_rows = |rows: &[usize]| {
                    rows.iter()
                        .map(|&r| img.row(r).mean().unwrap_or(0.0))
                        .sum::<f64>()
                        / rows.len() as f64
                };
                let got = mean_rows(&rows_on);
                let want = nonlinear_adu(level, t.nonlinearity.c1, t.nonlinearity.c2);
                assert!(
                    (got - want).abs() < 0.01 * want + 1.0,
                    "ObsID {o} CCD{ccd}{q}: {got} vs {want}"
                );
                assert!(mean_rows(&rows_off).abs() < 1.0);
                checked += 1;
            }
        }
    }
    assert!(checked >= 3 * 2 * ids.len() / 2, "{checked}");
}

#[test]
fn serial_trap_dipoles_appear_in_pumped_frames() {
    let c = campaign();
    let log = vison_explog::load_explog(&c.day().join("EXP_LOG_190118.txt"), &Default::default())
        .expect("EXP_LOG")
        .log;
    let ids = c.obsids("TP02", None);
    let mut checked = 0;
    for &o in &ids {
        let row = log
            .rows()
            .iter()
            .find(|r| r.obsid() == Some(o as i64))
            .expect("row");
        if row.get_i64("s_tpump") != Some(1) {
            continue;
        }
        let mode = row.get_i64("s_tp_mod").expect("mode") as u32;
        let n = row.get_f64("s_tp_cnt").expect("count");
        let dwell = row.get_f64("dwell_s").expect("dwell");
        let dly = row.get_f64("id_dly").expect("delay");
        // The unpumped reference with the same injection delay.
        let reference = ids
            .iter()
            .copied()
            .find(|&r| {
                let rr = log
                    .rows()
                    .iter()
                    .find(|x| x.obsid() == Some(r as i64))
                    .expect("row");
                rr.get_i64("s_tpump") == Some(0) && rr.get_f64("id_dly") == Some(dly)
            })
            .expect("reference frame");
        for ccd in 1..=3u8 {
            let (fp, fr) = (c.frame(o, ccd), c.frame(reference, ccd));
            let fc = &c.truth.frames[&o.to_string()].ccds[&format!("CCD{ccd}")];
            let rows = fc.rows_read_px[1].min(fp.geometry.image_rows_px);
            for q in QUADS {
                if fc.quads[q.name()].injection_adu.is_none() {
                    continue;
                }
                let (p, r) = (
                    image_minus_offset_rows(&fp, q, rows),
                    image_minus_offset_rows(&fr, q, rows),
                );
                let prof =
                    |a: &Array2<f64>, col: usize| a.slice(s![..rows, col]).mean().unwrap_or(0.0);
                let qc = q.name().chars().next().unwrap_or('E');
                for trap in c
                    .truth
                    .traps
                    .iter()
                    .filter(|t| t.ccd == ccd && t.quadrant == qc && t.serial)
                {
                    let Some(sign) = trap_pumped_sign(trap.phase, mode) else {
                        continue;
                    };
                    let fr_exp = dipole_fraction(true, n, trap.log10_pc, trap.tau_us, dwell);
                    if fr_exp < 0.02 {
                        continue;
                    }
                    let x = trap.x_px - fp.geometry.prescan_px;
                    let a = prof(&p, x) / prof(&r, x) - 1.0;
                    let b = prof(&p, x + 1) / prof(&r, x + 1) - 1.0;
                    let got = 0.5 * (a - b);
                    let want = f64::from(sign) * fr_exp;
                    assert!(
                        (got - want).abs() < 0.1 * want.abs() + 0.003,
                        "ObsID {o} CCD{ccd}{q} {trap:?}: {got} vs {want} (a {a}, b {b})"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10, "only {checked} dipoles checked");
}

#[test]
fn parallel_trap_dipoles_appear_in_pumped_frames() {
    let c = campaign();
    let log = vison_explog::load_explog(&c.day().join("EXP_LOG_190118.txt"), &Default::default())
        .expect("EXP_LOG")
        .log;
    let row_of = |o: u64| {
        log.rows()
            .iter()
            .find(|r| r.obsid() == Some(o as i64))
            .expect("row")
    };
    let ids = c.obsids("TP01", None);
    let mut checked = 0;
    for &o in &ids {
        let row = row_of(o);
        if row.get_i64("v_tpump") != Some(1) {
            continue;
        }
        let mode = row.get_i64("v_tp_mod").expect("mode") as u32;
        let n = row.get_f64("v_tp_cnt").expect("count");
        let toi = row.get_f64("toi_tp").expect("toi_tp");
        let dly = row.get_f64("id_dly").expect("delay");
        let reference = ids
            .iter()
            .copied()
            .find(|&r| {
                row_of(r).get_i64("v_tpump") == Some(0) && row_of(r).get_f64("id_dly") == Some(dly)
            })
            .expect("reference frame");
        for ccd in 1..=3u8 {
            let (fp, fr) = (c.frame(o, ccd), c.frame(reference, ccd));
            let fc = &c.truth.frames[&o.to_string()].ccds[&format!("CCD{ccd}")];
            for q in QUADS {
                if fc.quads[q.name()].injection_adu.is_none() {
                    continue;
                }
                let (p, r) = (image_minus_offset(&fp, q), image_minus_offset(&fr, q));
                let qc = q.name().chars().next().unwrap_or('E');
                for trap in c
                    .truth
                    .traps
                    .iter()
                    .filter(|t| t.ccd == ccd && t.quadrant == qc && !t.serial)
                {
                    let Some(sign) = trap_pumped_sign(trap.phase, mode) else {
                        continue;
                    };
                    let f = dipole_fraction(false, n, trap.log10_pc, trap.tau_us, toi);
                    if f < 0.05 {
                        continue;
                    }
                    let (x, y) = (trap.x_px - fp.geometry.prescan_px, trap.y_px);
                    let a = p[[y, x]] / r[[y, x]] - 1.0;
                    let b = p[[y + 1, x]] / r[[y + 1, x]] - 1.0;
                    let got = 0.5 * (a - b);
                    let want = f64::from(sign) * f;
                    // Single pixels: about 0.7 % shot noise per ratio.
                    assert!(
                        (got - want).abs() < 0.15 * f + 0.025,
                        "ObsID {o} CCD{ccd}{q} {trap:?}: {got} vs {want}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10, "only {checked} dipoles checked");
}

#[test]
fn persistence_follows_the_saturated_exposure_and_decays() {
    let c = campaign();
    let expose = c.obsids("PERSIST01", Some("col003"));
    let refer = c.obsids("PERSIST01", Some("col002"));
    let latent = c.obsids("PERSIST01", Some("col004"));
    assert_eq!((expose.len(), refer.len(), latent.len()), (1, 3, 3));
    for ccd in 1..=3 {
        let fe = c.frame(expose[0], ccd);
        let refs: Vec<Frame> = refer.iter().map(|&o| c.frame(o, ccd)).collect();
        for q in QUADS {
            let t = qtruth(c, ccd, q);
            let sat = image(&fe, q).mapv(|v| v >= 65535.0);
            let n_sat = sat.iter().filter(|&&b| b).count();
            let fq =
                &c.truth.frames[&expose[0].to_string()].ccds[&format!("CCD{ccd}")].quads[q.name()];
            assert!(
                fq.saturated_px > 0 && n_sat >= fq.saturated_px,
                "CCD{ccd}{q}: {n_sat} < {}",
                fq.saturated_px
            );
            let reference = mean_of(&refs, q);
            let mut levels = Vec::new();
            for &o in &latent {
                let lq = &c.truth.frames[&o.to_string()].ccds[&format!("CCD{ccd}")].quads[q.name()];
                let entry = lq
                    .persistence
                    .iter()
                    .find(|p| p.from_obsid == expose[0])
                    .expect("persistence entry");
                let others: f64 = lq
                    .persistence
                    .iter()
                    .filter(|p| p.from_obsid != expose[0])
                    .map(|p| p.level_e)
                    .sum();
                assert!(
                    others < 0.05 * entry.level_e,
                    "earlier saturations add little"
                );
                let img = image(&c.frame(o, ccd), q).mapv(f64::from) - &reference;
                let vals: Vec<f64> = img
                    .iter()
                    .zip(sat.iter())
                    .filter(|(_, s)| **s)
                    .map(|(v, _)| *v)
                    .collect();
                let (got, _) = clipped_mean_std(&vals, 5.0);
                let want = entry.level_e / t.gain_e_per_adu;
                // The 65535 mask also holds a few pixels just below full well (no persistence).
                let frac = entry.px as f64 / n_sat as f64;
                assert!(
                    (got - want * frac).abs() < 0.1 * want + 0.3,
                    "ObsID {o} CCD{ccd}{q}: {got} vs {want} x {frac}"
                );
                levels.push(got);
            }
            assert!(
                levels[0] > levels[1] && levels[1] > levels[2],
                "CCD{ccd}{q}: decay {levels:?}"
            );
        }
    }
}
