//! Every injected fault is flagged with the right flag and a reason naming it; the rest runs.

use vison_sim::FaultKind;

use crate::common::*;

#[test]
fn every_fault_is_flagged_and_the_rest_completes() {
    let c = campaign(&["BIAS01", "DARK01"], &FaultKind::ALL, 2);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &["BIAS01", "DARK01"], &out, cfg, "faults");
    let b = results(&s, "BIAS01");
    let d = results(&s, "DARK01");
    for r in [&b, &d] {
        assert_ne!(r.status, "crashed", "{}: {:?}", r.test, r.flag_reasons);
    }
    for f in &c.truth.faults {
        let test = &c.truth.frames[&f.obsid.to_string()].test;
        let r = if test == "BIAS01" { &b } else { &d };
        let flag = match f.kind.as_str() {
            "missing-frame" | "extra-exposure" => "MISSDATA",
            "truncated-fits" => "BADDATA",
            "hk-ool" => "HK_OOL",
            "saturated-quadrant" => "SATURATION",
            other => panic!("unknown fault {other}"),
        };
        let reasons = r
            .flag_reasons
            .0
            .get(flag)
            .cloned()
            .unwrap_or_default()
            .join("\n");
        assert!(
            r.flags.contains(&flag.to_string()),
            "{}: {} not flagged for {f:?}; flags {:?}",
            r.test,
            flag,
            r.flag_reasons
        );
        let named = match f.kind.as_str() {
            "saturated-quadrant" => {
                reasons.contains("saturated fraction") && reasons.contains(&f.obsid.to_string())
            }
            _ => reasons.contains(&f.obsid.to_string()),
        };
        assert!(
            named,
            "{}: reason for {f:?} does not name ObsID {}: {reasons}",
            r.test, f.obsid
        );
    }
    // The analyses completed: master products and figures for every CCD.
    for ccd in 1..=3 {
        assert!(
            s.join(format!("BIAS01/products/EUC_MASTERBIAS_CCD{ccd}.fits"))
                .is_file()
        );
        assert!(
            s.join(format!("DARK01/products/EUC_DK_ROE1_CCD{ccd}.fits"))
                .is_file()
        );
    }
    assert!(b.ccds["CCD1"]["E"]["ron_adu"].as_f64().is_some());
}
