//! The script structure of every test (reference 4.2-4.16).

use super::def::{Preset, ScriptColumn, TestDef, TestOptions, TestParams, Values, fill_columns};
use super::elvis::{ScriptVersion as _, sumwell};
use super::value::ScriptValue;
use crate::Error;
use vison_ogse::round_ms;

/// Base names of the tests with a script definition. Names taking a wavelength accept a
/// `_<nm>` suffix (`FOCUS00_800`, `PTC02_730`, `FLAT02_590`, `PSF01_880`, `FLATFLUX00_800`,
/// `PSFLUX00_800`, `BF01_730`); `PTC02`/`PSF02` also accept `_<T>K` (800 nm) and `PTC02`/`NL02`
/// `_<RD*10>R` (RD voltage).
pub fn known_tests() -> &'static [&'static str] {
    &[
        "BIAS01",
        "BIAS02",
        "DARK01",
        "CHINJ00",
        "CHINJ01",
        "CHINJ02",
        "TP00",
        "TP01",
        "TP02",
        "TP11",
        "TP21",
        "FLAT01",
        "FLAT02",
        "NL01",
        "NL02",
        "PTC01",
        "PTC02",
        "FLATFLUX00",
        "BF01",
        "FOCUS00",
        "PSF01",
        "PSF02",
        "PSFLUX00",
        "PERSIST01",
        "COSMETICS00",
    ]
}

/// Accumulates common and per-column values of a test before filling.
struct Builder {
    common: Values,
    cols: Vec<(u32, Values)>,
    params: TestParams,
    colorblind: bool,
    waived: Vec<String>,
}

fn vals(pairs: &[(&str, ScriptValue)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn f(x: f64) -> ScriptValue {
    ScriptValue::Float(x)
}

fn i(x: i64) -> ScriptValue {
    ScriptValue::Int(x)
}

fn s(x: &str) -> ScriptValue {
    ScriptValue::Str(x.to_string())
}

fn ig1_all(v: &mut Values, ig1_v: f64) {
    for k in [
        "IG1_1_T", "IG1_2_T", "IG1_3_T", "IG1_1_B", "IG1_2_B", "IG1_3_B",
    ] {
        v.insert(k.into(), f(ig1_v));
    }
}

fn ig2_both(v: &mut Values, ig2_v: f64) {
    v.insert("IG2_T".into(), f(ig2_v));
    v.insert("IG2_B".into(), f(ig2_v));
}

fn rd_both(v: &mut Values, rd_v: f64) {
    v.insert("RD_T".into(), f(rd_v));
    v.insert("RD_B".into(), f(rd_v));
}

fn set_rdmode(v: &mut Values, rdmode: &str) {
    v.insert("rdmode".into(), s(rdmode));
    if let Some((w, d)) = sumwell(rdmode) {
        v.insert("swellw".into(), f(w));
        v.insert("swelldly".into(), f(d));
    }
}

/// Values 'from..=to' in steps of `step` (rounded to 1e-6).
fn range_incl(from: f64, to: f64, step: f64) -> Vec<f64> {
    let n = ((to - from) / step + 1e-6).floor() as usize + 1;
    (0..n)
        .map(|k| ((from + k as f64 * step) * 1e6).round() / 1e6)
        .collect()
}

impl Builder {
    fn new(test: &str, common: &[(&str, ScriptValue)]) -> Self {
        let mut c = vals(common);
        c.insert("test".into(), s(test));
        Builder {
            common: c,
            cols: Vec::new(),
            params: TestParams::default(),
            colorblind: true,
            waived: vec!["motr_siz".into()],
        }
    }

    fn col(&mut self, frames: u32, v: Values) {
        self.cols.push((frames, v));
    }

    fn finish(self, name: &str, opts: &TestOptions) -> TestDef {
        let defaults = opts.elvis.defaults();
        let columns: Vec<ScriptColumn> =
            fill_columns(&defaults, &self.common, &self.cols, &opts.diffvalues);
        let test = columns
            .first()
            .and_then(|c| c.get("test"))
            .map(ToString::to_string)
            .unwrap_or_else(|| name.to_string());
        TestDef {
            name: name.to_string(),
            test,
            elvis: opts.elvis,
            columns,
            colorblind: self.colorblind,
            waived_keys: self.waived,
            params: self.params,
        }
    }
}

/// Splits a test name into its base and suffix (`PTC02_730` -> (`PTC02`, Some(`730`))).
fn split_name(name: &str) -> (&str, Option<&str>) {
    match name.split_once('_') {
        Some((b, suf)) => (b, Some(suf)),
        None => (name, None),
    }
}

fn bad(test: &str, msg: impl Into<String>) -> Error {
    Error::Option {
        test: test.to_string(),
        msg: msg.into(),
    }
}

/// Wavelength from a `_<nm>` suffix or the options.
fn wave_of(
    name: &str,
    suffix: Option<&str>,
    opts: &TestOptions,
    default_nm: u32,
) -> Result<u32, Error> {
    match suffix {
        Some(sfx) => sfx
            .parse()
            .map_err(|_| bad(name, format!("bad wavelength suffix `{sfx}`"))),
        None => Ok(opts.wavelength_nm.unwrap_or(default_nm)),
    }
}

/// The script structure of a test (see [`known_tests`] for names and suffixes).
pub fn test_def(name: &str, opts: &TestOptions) -> Result<TestDef, Error> {
    let (base, suffix) = split_name(name);
    let campaign = opts.preset == Preset::Campaign;
    let no_suffix = |d: TestDef| -> Result<TestDef, Error> {
        match suffix {
            None => Ok(d),
            Some(sfx) => Err(bad(name, format!("test takes no suffix (got `_{sfx}`)"))),
        }
    };
    match base {
        "BIAS01" | "BIAS02" => no_suffix(bias(name, opts, campaign)),
        "DARK01" => no_suffix(dark01(opts)),
        "CHINJ00" => no_suffix(chinj00(opts)),
        "CHINJ01" => no_suffix(chinj01(opts, campaign)),
        "CHINJ02" => no_suffix(chinj02(opts, campaign)),
        "TP00" => no_suffix(tp00(opts)),
        "TP01" | "TP11" => no_suffix(tp01(name, opts, campaign)),
        "TP02" | "TP21" => no_suffix(tp02(name, opts)),
        "FLAT01" => no_suffix(flat(name, 800, &[25.0, 50.0, 75.0], &[80, 60, 30], opts)?),
        "FLAT02" => {
            let w = wave_of(name, suffix, opts, 730)?;
            flat(&format!("FLAT02_{w}"), w, &[25.0, 75.0], &[80, 30], opts)
        }
        "NL01" => no_suffix(nl01(opts)?),
        "NL02" => nl02(name, suffix, opts),
        "PTC01" => no_suffix(ptc01("PTC01", "PTC01", opts)?),
        "PTC02" => ptc02(name, suffix, opts),
        "FLATFLUX00" => {
            let w = wave_of(name, suffix, opts, 800)?;
            flatflux00(&format!("FLATFLUX00_{w}"), w, opts)
        }
        "BF01" => match suffix {
            None => ptc01("BF01", "PTC01", opts),
            Some(_) => {
                let w = wave_of(name, suffix, opts, 800)?;
                let mut d = ptc02_wave(&format!("PTC02_{w}"), w, opts)?;
                d.name = format!("BF01_{w}");
                Ok(d)
            }
        },
        "FOCUS00" => {
            let w = wave_of(name, suffix, opts, 800)?;
            focus00(&format!("FOCUS00_{w}"), w, opts, campaign)
        }
        "PSF01" => {
            let w = wave_of(name, suffix, opts, 800)?;
            psf(&format!("PSF01_{w}"), w, &[20, 15, 10, 4, 4], opts)
        }
        "PSF02" => {
            let full = match suffix {
                Some(t) if t.ends_with('K') => format!("PSF02_{t}"),
                Some(t) => {
                    return Err(bad(
                        name,
                        format!("PSF02 takes a `_<T>K` suffix, got `_{t}`"),
                    ));
                }
                None => "PSF02".to_string(),
            };
            let frames: &[u32] = if campaign {
                &[20, 14, 10, 4, 4]
            } else {
                &[20, 15, 10, 4, 4]
            };
            psf(&full, 800, frames, opts)
        }
        "PSFLUX00" => {
            let w = wave_of(name, suffix, opts, 800)?;
            psflux00(&format!("PSFLUX00_{w}"), w, opts)
        }
        "PERSIST01" => no_suffix(persist01(opts, campaign)?),
        "COSMETICS00" => no_suffix(cosmetics00(opts)?),
        _ => Err(Error::UnknownTest(name.to_string())),
    }
}

fn bias(name: &str, opts: &TestOptions, campaign: bool) -> TestDef {
    let n = opts.n_frames.unwrap_or(if campaign { 10 } else { 25 });
    let mut b = Builder::new(
        name,
        &[
            ("exptime", f(0.0)),
            ("shuttr", i(0)),
            ("e_shuttr", i(0)),
            ("chinj", i(0)),
            ("v_tpump", i(0)),
            ("s_tpump", i(0)),
            ("mirr_on", i(0)),
            ("wave", i(4)),
            ("source", s("flat")),
            ("flushes", i(7)),
            ("siflsh", i(1)),
            ("siflsh_p", f(500.0)),
            ("inisweep", i(1)),
            ("vstart", i(0)),
            ("vend", i(2086)),
            ("toi_fl", i(143)),
            ("toi_tp", i(1000)),
            ("toi_ro", i(1000)),
            ("toi_ch", i(1000)),
            ("comments", s("BIAS")),
        ],
    );
    let rdmode = if name == "BIAS02" {
        if campaign { "rwd_bas_v" } else { "rwd_bas_vs" }
    } else {
        "fwd_bas"
    };
    set_rdmode(&mut b.common, rdmode);
    b.col(n, Values::new());
    b.finish(name, opts)
}

fn dark01(opts: &TestOptions) -> TestDef {
    let mut b = Builder::new(
        "DARK01",
        &[
            ("exptime", f(565.0)),
            ("shuttr", i(0)),
            ("e_shuttr", i(0)),
            ("wave", i(4)),
            ("source", s("flat")),
            ("vstart", i(0)),
            ("vend", i(2086)),
            ("flushes", i(7)),
            ("siflsh", i(1)),
            ("siflsh_p", f(500.0)),
            ("comments", s("DARK")),
        ],
    );
    b.col(opts.n_frames.unwrap_or(4), Values::new());
    b.finish("DARK01", opts)
}

/// Common values of the injection tests (CHINJ0X).
fn chinj_common(test: &str) -> Builder {
    Builder::new(
        test,
        &[
            ("chinj", i(1)),
            ("chinj_on", i(30)),
            ("chinj_of", i(100)),
            ("id_wid", f(60.0)),
            ("exptime", f(0.0)),
            ("shuttr", i(0)),
            ("mirr_on", i(0)),
            ("wave", i(4)),
            ("vstart", i(0)),
            ("vend", i(2086)),
        ],
    )
}

fn chinj00(opts: &TestOptions) -> TestDef {
    let toi = 500.0;
    let mut b = chinj_common("CHINJ00");
    b.common.insert("IDH".into(), f(18.0));
    ig2_both(&mut b.common, 5.5);
    b.common.insert("toi_ch".into(), i(toi as i64));
    b.common.insert("id_dly".into(), f(2.5 * toi));
    b.params.id_delays_us = vec![2.5 * toi];
    b.col(opts.n_frames.unwrap_or(1), Values::new());
    b.finish("CHINJ00", opts)
}

/// CHINJ01 (scan of IG1) and CHINJ02 (scan of IDL): one column per scanned value, for each of
/// the two injection delays.
fn chinj_scan(
    test: &str,
    scan_key: &str,
    scanned: &[f64],
    fixed: &[(&str, f64)],
    opts: &TestOptions,
) -> TestDef {
    let toi = 500.0;
    let delays = [2.5 * toi, 1.5 * toi];
    let mut b = chinj_common(test);
    for (dly, _) in delays.iter().zip(0..) {
        for v in scanned {
            let mut c = Values::new();
            for (k, x) in fixed {
                match *k {
                    "IG1" => ig1_all(&mut c, *x),
                    "IG2" => ig2_both(&mut c, *x),
                    other => {
                        c.insert(other.into(), f(*x));
                    }
                }
            }
            if scan_key == "IG1" {
                ig1_all(&mut c, *v);
            } else {
                c.insert(scan_key.into(), f(*v));
            }
            c.insert("id_dly".into(), f(*dly));
            c.insert("toi_ch".into(), i(toi as i64));
            b.col(1, c);
        }
    }
    b.params.scanned_key = Some(if scan_key == "IG1" {
        "IG1_1_T".into()
    } else {
        scan_key.into()
    });
    b.params.scanned_values = scanned.to_vec();
    b.params.id_delays_us = delays.to_vec();
    b.finish(test, opts)
}

fn chinj01(opts: &TestOptions, campaign: bool) -> TestDef {
    let (ig2, ig1s) = if campaign {
        (6.0, range_incl(2.5, 6.75, 0.25))
    } else {
        (6.5, range_incl(2.0, 7.0, 0.25))
    };
    chinj_scan(
        "CHINJ01",
        "IG1",
        &ig1s,
        &[("IDL", 11.0), ("IDH", 18.0), ("IG2", ig2)],
        opts,
    )
}

fn chinj02(opts: &TestOptions, campaign: bool) -> TestDef {
    let (idls, ig1, ig2) = if campaign {
        (range_incl(9.5, 12.5, 0.25), 4.0, 6.0)
    } else {
        (range_incl(10.0, 13.0, 0.25), 6.0, 4.0)
    };
    chinj_scan(
        "CHINJ02",
        "IDL",
        &idls,
        &[("IDH", 18.0), ("IG1", ig1), ("IG2", ig2)],
        opts,
    )
}

/// Common values of the trap-pumping tests.
fn tp_common(test: &str, idl_v: f64) -> Builder {
    let mut b = Builder::new(
        test,
        &[
            ("IDL", f(idl_v)),
            ("IDH", f(18.0)),
            ("chinj", i(1)),
            ("chinj_on", i(2066)),
            ("chinj_of", i(0)),
            ("id_wid", f(60.0)),
            ("toi_ch", i(250)),
            ("toi_fl", i(143)),
            ("toi_ro", i(1000)),
            ("exptime", f(0.0)),
            ("shuttr", i(0)),
            ("vstart", i(0)),
            ("vend", i(2086)),
        ],
    );
    ig1_all(&mut b.common, 4.0);
    ig2_both(&mut b.common, 6.0);
    b
}

fn tp00(opts: &TestOptions) -> TestDef {
    let mut b = tp_common("TP00", 11.0);
    b.common.insert("vend".into(), i(20));
    b.common.insert("id_dly".into(), f(625.0));
    b.common.insert("v_tpump".into(), i(0));
    b.common.insert("s_tpump".into(), i(0));
    b.params.id_delays_us = vec![625.0];
    b.col(opts.n_frames.unwrap_or(1), Values::new());
    b.finish("TP00", opts)
}

fn tp01(name: &str, opts: &TestOptions, campaign: bool) -> TestDef {
    let idl = if name == "TP11" { 10.5 } else { 11.0 };
    let mut b = tp_common(name, idl);
    b.common.insert("v_tpump".into(), i(1));
    b.common.insert("v_tp_cnt".into(), i(5000));
    b.common.insert("s_tpump".into(), i(0));
    let tois: &[i64] = if campaign {
        &[50, 200, 1000, 2000, 4000, 8000]
    } else {
        &[200, 1000, 2000, 4000, 8000]
    };
    let modes = [123, 234, 341, 412];
    let delays = [625.0, 375.0];
    for dly in delays {
        b.col(
            1,
            vals(&[
                ("v_tpump", i(0)),
                ("comments", s("BGD")),
                ("id_dly", f(dly)),
            ]),
        );
        for toi in tois {
            for m in modes {
                b.col(
                    1,
                    vals(&[("toi_tp", i(*toi)), ("v_tpmod", i(m)), ("id_dly", f(dly))]),
                );
            }
        }
    }
    b.params.scanned_key = Some("toi_tp".into());
    b.params.scanned_values = tois.iter().map(|t| *t as f64).collect();
    b.params.id_delays_us = delays.to_vec();
    b.finish(name, opts)
}

fn tp02(name: &str, opts: &TestOptions) -> TestDef {
    let idl = if name == "TP21" { 10.5 } else { 11.0 };
    let mut b = tp_common(name, idl);
    b.common.insert("vend".into(), i(100));
    b.common.insert("v_tpump".into(), i(0));
    b.common.insert("s_tpump".into(), i(1));
    b.common.insert("s_tp_cnt".into(), i(5000));
    let dwells = [0.0, 4.75, 14.3, 28.6];
    let modes = [23, 31];
    let delays = [625.0, 375.0];
    for dly in delays {
        b.col(
            1,
            vals(&[
                ("s_tpump", i(0)),
                ("comments", s("BGD")),
                ("id_dly", f(dly)),
            ]),
        );
        for dw in dwells {
            for m in modes {
                b.col(
                    1,
                    vals(&[("dwell_s", f(dw)), ("s_tpmod", i(m)), ("id_dly", f(dly))]),
                );
            }
        }
    }
    b.params.scanned_key = Some("dwell_s".into());
    b.params.scanned_values = dwells.to_vec();
    b.params.id_delays_us = delays.to_vec();
    b.finish(name, opts)
}

/// Common values of the flat-source tests at a wavelength.
fn flat_common(test: &str, wave_nm: u32, opts: &TestOptions) -> Result<Builder, Error> {
    let filter = opts.ogse.filter_for_wavelength(wave_nm)?;
    let mut b = Builder::new(
        test,
        &[
            ("flushes", i(7)),
            ("siflsh", i(1)),
            ("siflsh_p", f(500.0)),
            ("vstart", i(0)),
            ("vend", i(2086)),
            ("shuttr", i(1)),
            ("mirr_on", i(0)),
            ("motr_on", i(0)),
            ("source", s("flat")),
            ("wave", i(i64::from(filter))),
        ],
    );
    b.params.wavelength_nm = Some(wave_nm);
    b.params.filter = Some(filter);
    b.params.t_fwc_s = Some(opts.ogse.t_fwc_flat_s(wave_nm)?);
    b.colorblind = false;
    Ok(b)
}

fn flat(
    name: &str,
    wave_nm: u32,
    rel_pc: &[f64],
    frames: &[u32],
    opts: &TestOptions,
) -> Result<TestDef, Error> {
    let mut b = flat_common(name, wave_nm, opts)?;
    for (r, n) in rel_pc.iter().zip(frames) {
        let t = opts.ogse.exptime_flat_s(wave_nm, r / 100.0)?;
        b.col(
            *n,
            vals(&[("exptime", f(t)), ("comments", s(&format!("EXP{t}")))]),
        );
    }
    b.params.rel_fluences_pc = rel_pc.to_vec();
    Ok(b.finish(name, opts))
}

/// Non-linearity sequence: BGD (3 x 0 s), STAB, then each fluence column followed by a STAB frame.
fn nl_sequence(b: &mut Builder, fluence_cols: &[(f64, u8, f64)], stab: (u8, f64)) {
    b.col(
        3,
        vals(&[
            ("exptime", f(0.0)),
            ("comments", s("BGD")),
            ("wave", i(i64::from(stab.0))),
        ]),
    );
    let stab_col = vals(&[
        ("exptime", f(stab.1)),
        ("comments", s("STAB")),
        ("wave", i(i64::from(stab.0))),
    ]);
    b.col(1, stab_col.clone());
    for (k, (_, filter, t)) in fluence_cols.iter().enumerate() {
        b.col(
            4,
            vals(&[
                ("exptime", f(*t)),
                ("comments", s(&format!("Fluence{}", k + 1))),
                ("wave", i(i64::from(*filter))),
            ]),
        );
        b.col(1, stab_col.clone());
    }
}

fn nl01(opts: &TestOptions) -> Result<TestDef, Error> {
    let rel = [
        0.5, 0.7, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 55.0, 70.0, 80.0, 85.0, 90.0, 95.0, 100.0,
        110.0,
    ];
    let mut b = flat_common("NL01", 0, opts)?;
    let filter = opts.ogse.filter_for_wavelength(0)?;
    let cols: Vec<(f64, u8, f64)> = rel
        .iter()
        .map(|r| Ok((*r, filter, opts.ogse.exptime_flat_s(0, r / 100.0)?)))
        .collect::<Result<_, Error>>()?;
    let stab = (filter, opts.ogse.exptime_flat_s(0, 0.5)?);
    nl_sequence(&mut b, &cols, stab);
    b.params.rel_fluences_pc = rel.to_vec();
    Ok(b.finish("NL01", opts))
}

fn nl02(name: &str, suffix: Option<&str>, opts: &TestOptions) -> Result<TestDef, Error> {
    let rd = match suffix {
        None => None,
        Some(sfx) => Some(
            sfx.strip_suffix('R')
                .and_then(|x| x.parse::<f64>().ok())
                .map(|x| x / 10.0)
                .ok_or_else(|| {
                    bad(
                        name,
                        format!("NL02 takes a `_<RD*10>R` suffix, got `_{sfx}`"),
                    )
                })?,
        ),
    };
    let rel = [
        0.5, 0.7, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 25.0, 50.0, 70.0, 80.0, 85.0, 90.0, 95.0,
        100.0, 110.0,
    ];
    let (wa, wb) = (0, 880);
    let mut b = flat_common(name, wb, opts)?;
    let (fa, fb) = (
        opts.ogse.filter_for_wavelength(wa)?,
        opts.ogse.filter_for_wavelength(wb)?,
    );
    let mut cols = Vec::new();
    let mut rels = Vec::new();
    for r in rel.iter().filter(|r| **r <= 20.0) {
        cols.push((*r, fa, opts.ogse.exptime_flat_s(wa, r / 100.0)?));
        rels.push(*r);
    }
    for r in rel.iter().filter(|r| **r >= 15.0) {
        cols.push((*r, fb, opts.ogse.exptime_flat_s(wb, r / 100.0)?));
        rels.push(*r);
    }
    nl_sequence(&mut b, &cols, (fb, opts.ogse.exptime_flat_s(wb, 0.5)?));
    if let Some(v) = rd {
        rd_both(&mut b.common, v);
    }
    b.colorblind = true;
    b.params.rel_fluences_pc = rels;
    Ok(b.finish(name, opts))
}

fn ptc_columns(
    b: &mut Builder,
    wave_nm: u32,
    rel_pc: &[f64],
    frames: &[u32],
    opts: &TestOptions,
) -> Result<(), Error> {
    for (r, n) in rel_pc.iter().zip(frames) {
        let t = opts.ogse.exptime_flat_s(wave_nm, r / 100.0)?;
        b.col(*n, vals(&[("exptime", f(t))]));
    }
    b.params.rel_fluences_pc = rel_pc.to_vec();
    Ok(())
}

fn ptc01(name: &str, test: &str, opts: &TestOptions) -> Result<TestDef, Error> {
    let rel = [
        5.0, 10.0, 20.0, 30.0, 50.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0,
    ];
    let frames = [10, 10, 10, 10, 10, 10, 10, 10, 4, 4, 4];
    let mut b = flat_common(test, 800, opts)?;
    ptc_columns(&mut b, 800, &rel, &frames, opts)?;
    Ok(b.finish(name, opts))
}

fn ptc02_wave(name: &str, wave_nm: u32, opts: &TestOptions) -> Result<TestDef, Error> {
    let rel = [10.0, 30.0, 50.0, 70.0, 80.0, 90.0];
    let mut b = flat_common(name, wave_nm, opts)?;
    ptc_columns(&mut b, wave_nm, &rel, &[4; 6], opts)?;
    Ok(b.finish(name, opts))
}

fn ptc02(name: &str, suffix: Option<&str>, opts: &TestOptions) -> Result<TestDef, Error> {
    match suffix {
        Some(t) if t.ends_with('K') => ptc02_wave(name, 800, opts),
        Some(r) if r.ends_with('R') => {
            let rd = r
                .strip_suffix('R')
                .and_then(|x| x.parse::<f64>().ok())
                .ok_or_else(|| bad(name, format!("bad RD suffix `_{r}`")))?;
            let mut d = ptc02_wave(name, 800, opts)?;
            for c in &mut d.columns {
                rd_both(&mut c.values, rd / 10.0);
                c.values
                    .extend(opts.diffvalues.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Ok(d)
        }
        _ => {
            let w = wave_of(name, suffix, opts, 800)?;
            ptc02_wave(&format!("PTC02_{w}"), w, opts)
        }
    }
}

fn flatflux00(name: &str, wave_nm: u32, opts: &TestOptions) -> Result<TestDef, Error> {
    let rel = [5.0, 20.0, 50.0, 80.0];
    let mut b = flat_common(name, wave_nm, opts)?;
    ptc_columns(&mut b, wave_nm, &rel, &[1; 4], opts)?;
    Ok(b.finish(name, opts))
}

/// Common values of the point-source tests at a wavelength.
fn point_common(test: &str, wave_nm: u32, opts: &TestOptions) -> Result<Builder, Error> {
    let filter = opts.ogse.filter_for_wavelength(wave_nm)?;
    let mut b = Builder::new(
        test,
        &[
            ("mirr_on", i(1)),
            ("mirr_pos", f(opts.ogse.mirror_nom_mm(wave_nm)?)),
            ("shuttr", i(1)),
            ("source", s("point")),
            ("wave", i(i64::from(filter))),
            ("chinj", i(0)),
            ("v_tpump", i(0)),
            ("s_tpump", i(0)),
        ],
    );
    b.params.wavelength_nm = Some(wave_nm);
    b.params.filter = Some(filter);
    b.params.t_fwc_s = Some(opts.ogse.t_fwc_point_s(wave_nm)?);
    b.colorblind = false;
    Ok(b)
}

fn focus00(name: &str, wave_nm: u32, opts: &TestOptions, campaign: bool) -> Result<TestDef, Error> {
    let delta_mm = if campaign { 0.2 } else { 0.1 };
    let mut b = point_common(name, wave_nm, opts)?;
    let nom = opts.ogse.mirror_nom_mm(wave_nm)?;
    b.common.insert(
        "exptime".into(),
        f(opts.ogse.exptime_point_s(wave_nm, 0.6)?),
    );
    let mut offsets = Vec::new();
    for j in -4i32..=4 {
        let off = f64::from(j) * delta_mm;
        let pos = ((nom + off) * 1e6).round() / 1e6;
        offsets.push((off * 1e6).round() / 1e6);
        b.col(
            1,
            vals(&[("mirr_pos", f(pos)), ("comments", s(&format!("F{j}")))]),
        );
    }
    b.params.scanned_key = Some("mirr_pos".into());
    b.params.scanned_values = offsets;
    b.params.rel_fluences_pc = vec![60.0];
    Ok(b.finish(name, opts))
}

fn psf_common(name: &str, wave_nm: u32, opts: &TestOptions) -> Result<Builder, Error> {
    let mut b = point_common(name, wave_nm, opts)?;
    b.common.insert("motr_on".into(), i(1));
    b.common.insert("motr_cnt".into(), i(2));
    b.common.insert("motr_siz".into(), f(120.0));
    Ok(b)
}

fn psf(name: &str, wave_nm: u32, frames: &[u32], opts: &TestOptions) -> Result<TestDef, Error> {
    let rel = [5.0, 25.0, 50.0, 75.0, 90.0];
    let mut b = psf_common(name, wave_nm, opts)?;
    for (r, n) in rel.iter().zip(frames) {
        let t = opts.ogse.exptime_point_s(wave_nm, r / 100.0)?;
        b.col(*n, vals(&[("exptime", f(t))]));
    }
    b.params.rel_fluences_pc = rel.to_vec();
    Ok(b.finish(name, opts))
}

fn psflux00(name: &str, wave_nm: u32, opts: &TestOptions) -> Result<TestDef, Error> {
    let rel = [10.0, 30.0, 60.0, 80.0];
    let mut b = psf_common(name, wave_nm, opts)?;
    for r in rel {
        let t = opts.ogse.exptime_point_s(wave_nm, r / 100.0)?;
        b.col(1, vals(&[("exptime", f(t))]));
    }
    b.params.rel_fluences_pc = rel.to_vec();
    Ok(b.finish(name, opts))
}

fn persist01(opts: &TestOptions, campaign: bool) -> Result<TestDef, Error> {
    let o = &opts.ogse;
    let t_satur = if campaign {
        600.0
    } else {
        round_ms(100.0 * o.t_fwc_point_s(590)?)
    };
    let t_laten = 565.0;
    let f4 = o.filter_wheel_nm.get(&4).copied().unwrap_or(800);
    let f2 = o.filter_wheel_nm.get(&2).copied().unwrap_or(640);
    let nom4 = o.mirror_nom_mm(f4)?;
    let nom2 = o.mirror_nom_mm(f2)?;
    let mut b = Builder::new(
        "PERSIST01",
        &[
            ("flushes", i(3)),
            ("mirr_on", i(1)),
            ("wave", i(4)),
            ("mirr_pos", f(nom4)),
            ("source", s("flat")),
            ("shuttr", i(0)),
        ],
    );
    b.col(5, vals(&[("exptime", f(0.0)), ("comments", s("RESET"))]));
    b.col(
        3,
        vals(&[("exptime", f(t_laten)), ("comments", s("REFER."))]),
    );
    b.col(
        1,
        vals(&[
            ("exptime", f(t_satur)),
            ("shuttr", i(1)),
            ("wave", i(2)),
            ("mirr_pos", f(((nom2 - 10.0) * 1e6).round() / 1e6)),
            ("source", s("point")),
            ("comments", s("EXPOSE")),
        ]),
    );
    b.col(
        3,
        vals(&[("exptime", f(t_laten)), ("comments", s("LATENT"))]),
    );
    b.params.wavelength_nm = Some(f2);
    b.params.filter = Some(2);
    Ok(b.finish("PERSIST01", opts))
}

fn cosmetics00(opts: &TestOptions) -> Result<TestDef, Error> {
    let filter = opts.ogse.filter_for_wavelength(800)?;
    let t = opts.ogse.exptime_flat_s(800, 0.5)?;
    let mut b = Builder::new(
        "COSMETICS00",
        &[
            ("source", s("flat")),
            ("mirr_on", i(0)),
            ("vstart", i(0)),
            ("vend", i(2086)),
        ],
    );
    b.col(
        5,
        vals(&[
            ("exptime", f(0.0)),
            ("shuttr", i(0)),
            ("wave", i(4)),
            ("comments", s("BIAS")),
        ]),
    );
    b.col(
        5,
        vals(&[
            ("exptime", f(t)),
            ("shuttr", i(1)),
            ("wave", i(i64::from(filter))),
            ("comments", s("FLAT")),
        ]),
    );
    b.params.wavelength_nm = Some(800);
    b.params.filter = Some(filter);
    b.params.rel_fluences_pc = vec![50.0];
    Ok(b.finish("COSMETICS00", opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(range_incl(2.0, 7.0, 0.25).len(), 21);
        assert_eq!(range_incl(2.5, 6.75, 0.25).len(), 18);
        assert_eq!(range_incl(10.0, 13.0, 0.25).len(), 13);
    }

    #[test]
    fn every_known_test_builds() {
        let opts = TestOptions::default();
        for t in known_tests() {
            let d = test_def(t, &opts).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert!(d.expected_frame_count() > 0, "{t}");
        }
        assert!(matches!(
            test_def("NOPE01", &opts),
            Err(Error::UnknownTest(_))
        ));
        assert!(test_def("BIAS01_800", &opts).is_err());
        assert!(
            test_def("PTC02_640", &opts).is_err(),
            "B chamber has no 640 nm filter"
        );
    }
}
