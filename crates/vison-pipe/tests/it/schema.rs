//! The layout of results.json and results.csv is an API boundary (docs/pipeline.md): a
//! snapshot of every key path (CCD and quadrant names folded) and of the CSV header guards
//! it. Values are not snapshot: they are tested against truth elsewhere.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{campaign, config_from_truth, run};

/// Every key path of a JSON value: `CCDn` -> `<CCD>`, `E..H` under a CCD -> `<Q>`, numeric
/// ObsIDs -> `<ObsID>`, array elements -> `[]`.
fn key_paths(v: &Value, path: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let k = if k.starts_with("CCD") && k[3..].chars().all(|c| c.is_ascii_digit()) {
                    "<CCD>"
                } else if path.ends_with("<CCD>") && ["E", "F", "G", "H"].contains(&k.as_str()) {
                    "<Q>"
                } else if !k.is_empty() && k.chars().all(|c| c.is_ascii_digit()) {
                    "<ObsID>"
                } else {
                    k.as_str()
                };
                let p = format!("{path}.{k}");
                out.insert(p.clone());
                key_paths(x, &p, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                key_paths(x, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn results_layout_is_stable() {
    let tests = ["BIAS01", "DARK01", "CHINJ01"];
    let c = campaign(&tests, &[], 5);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &tests, &out, cfg, "schema");
    let mut text = String::new();
    for t in tests {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(s.join(t).join("results.json")).unwrap())
                .unwrap();
        let mut paths = BTreeSet::new();
        key_paths(&v, "", &mut paths);
        // Flag reasons and details vary with the data, and `inputs.config` mirrors the session
        // configuration (documented in session-example.toml): their keys are not this contract.
        let paths: Vec<String> = paths
            .into_iter()
            .filter(|p| {
                !p.starts_with(".flag_reasons.")
                    && !p.starts_with(".details.")
                    && !p.starts_with(".inputs.config.")
            })
            .collect();
        text.push_str(&format!("# {t} results.json\n{}\n", paths.join("\n")));
        let csv = std::fs::read_to_string(s.join(t).join("results.csv")).unwrap();
        text.push_str(&format!(
            "# {t} results.csv header\n{}\n",
            csv.lines().next().unwrap_or_default()
        ));
    }
    insta::assert_snapshot!(text);
}
