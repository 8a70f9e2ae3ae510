//! The sample report in headless Chromium: no console errors, figures decode at the expected
//! size, and a screenshot is saved for a person to look at.
//!
//! Chromium missing: the test fails with the command that installs it
//! (`apt-get install -y chromium`); it never passes silently.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vison_report::{IndexEntry, SessionIndex, Status, png_size_px, write_html};

const CANDIDATES: [&str; 4] = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
];

/// Script injected into a probe copy: records errors and each image's decoded size.
const PROBE_HEAD: &str = "<script>window.__errs=[];window.addEventListener('error',function(e){window.__errs.push(String(e.message||e.type));},true);</script>";
const PROBE_BODY: &str = "<script>window.addEventListener('load',function(){var s=[];for(var i=0;i<document.images.length;i++){var m=document.images[i];s.push(m.naturalWidth+'x'+m.naturalHeight+(m.complete?'':'-incomplete'));}document.body.setAttribute('data-probe-images',s.join(' '));document.body.setAttribute('data-probe-errors',String(window.__errs.length)+':'+window.__errs.join('|'));});</script>";

fn find_chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    if let Some(p) = CANDIDATES.iter().map(PathBuf::from).find(|p| p.exists()) {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Runs Chromium headless on `page` with extra arguments; returns (stdout, stderr).
fn run_chromium(
    chromium: &Path,
    page: &Path,
    extra: &[String],
    profile: &Path,
) -> (String, String) {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()));
    // Output goes to files, not pipes: a multi-megabyte --dump-dom would fill a pipe that is
    // not being read while we wait, and Chromium would block.
    std::fs::create_dir_all(profile).unwrap_or_else(|e| panic!("{e}"));
    let out_path = profile.join("stdout.txt");
    let err_path = profile.join("stderr.txt");
    let file =
        |p: &Path| std::fs::File::create(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    cmd.stdin(Stdio::null())
        .stdout(file(&out_path))
        .stderr(file(&err_path));
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > Duration::from_secs(90) => {
                // The child is ours; stop it by its handle.
                let _ = child.kill();
                panic!("chromium did not finish within 90 s on {}", page.display());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("waiting for chromium: {e}"),
        }
    }
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    (read(&out_path), read(&err_path))
}

/// Console messages of level warning/error and CSP refusals found in Chromium's log.
fn console_problems(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            (l.contains(":CONSOLE") && !l.contains(":INFO:CONSOLE") && !l.contains(":VERBOSE"))
                || l.contains("Uncaught")
                || l.contains("Refused to")
                || l.contains("Content Security Policy")
                || l.contains("ERR_FILE_NOT_FOUND")
        })
        .map(str::to_owned)
        .collect()
}

/// Copy of `html` with the probe scripts (and a CSP allowing them).
fn probe_copy(html: &str) -> String {
    html.replacen(
        "default-src 'none';",
        "default-src 'none'; script-src 'unsafe-inline';",
        1,
    )
    .replacen("<head>\n", &format!("<head>\n{PROBE_HEAD}\n"), 1)
    .replacen("</body>", &format!("{PROBE_BODY}\n</body>"), 1)
}

/// Number of page objects (`/Type /Page`, not `/Pages`) in a PDF file.
fn pdf_page_count(pdf: &[u8]) -> usize {
    let key = b"/Type /Page";
    (0..pdf.len().saturating_sub(key.len()))
        .filter(|&i| pdf[i..].starts_with(key) && pdf.get(i + key.len()) != Some(&b's'))
        .count()
}

fn attr<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=\"");
    let start = dom.find(&key)? + key.len();
    let end = dom[start..].find('"')? + start;
    Some(&dom[start..end])
}

#[test]
fn sample_report_renders_in_headless_chromium() {
    let Some(chromium) = find_chromium() else {
        panic!(
            "Chromium not found: install it (apt-get install -y chromium) or set CHROMIUM=/path/to/chromium"
        );
    };
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let session = tmp.path().join("OUT/20261125_synthetic");
    let report_path = session.join("BIAS01/report.html");
    let (report, sizes) = crate::sample::sample_report();
    write_html(&report, &report_path).unwrap_or_else(|e| panic!("{e}"));
    let index = SessionIndex::new(
        "VIS ground calibration session 20261125_synthetic",
        "20261125_synthetic",
    )
    .with_info("vison-rs", env!("CARGO_PKG_VERSION"))
    .with_entry(IndexEntry {
        test: "BIAS01".into(),
        status: Status::Fail,
        flags: vec!["RON_OOL".into(), "POORQUALDATA".into()],
        report_href: "BIAS01/report.html".into(),
        summary: "6 frames; CCD2 G RON out of limits".into(),
    });
    let index_path = session.join("index.html");
    index
        .write_html(&index_path)
        .unwrap_or_else(|e| panic!("{e}"));

    let out = crate::output_dir();
    let html = std::fs::read_to_string(&report_path).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out.join("sample_report.html"), &html).unwrap_or_else(|e| panic!("{e}"));

    // 1. The report as written: console clean, and a screenshot for a person.
    let shot = out.join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let (_, stderr) = run_chromium(
        &chromium,
        &report_path,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2000".to_owned(),
        ],
        &tmp.path().join("profile-shot"),
    );
    let problems = console_problems(&stderr);
    assert!(
        problems.is_empty(),
        "console problems in the report:\n{}",
        problems.join("\n")
    );
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}\n{stderr}", shot.display()));
    assert_eq!(png_size_px(&png), Some((1200, 2000)), "screenshot size");

    // The print layout: Chromium's own PDF export must succeed (a person can look at it).
    let pdf = out.join("sample_report.pdf");
    let _ = std::fs::remove_file(&pdf);
    let (_, stderr) = run_chromium(
        &chromium,
        &report_path,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_owned(),
        ],
        &tmp.path().join("profile-pdf"),
    );
    let pdf_bytes = std::fs::read(&pdf)
        .unwrap_or_else(|e| panic!("no PDF at {}: {e}\n{stderr}", pdf.display()));
    assert!(pdf_bytes.starts_with(b"%PDF-"), "not a PDF");
    let pages = pdf_page_count(&pdf_bytes);
    assert!(
        pages >= 3,
        "a report with 6 figures should print on several pages, got {pages}"
    );

    // 2. A probe copy: every image decodes at its intended size, no script errors.
    let probe_path = report_path.with_file_name("report_probe.html");
    std::fs::write(&probe_path, probe_copy(&html)).unwrap_or_else(|e| panic!("{e}"));
    let (dom, stderr) = run_chromium(
        &chromium,
        &probe_path,
        &[
            "--dump-dom".to_owned(),
            "--virtual-time-budget=5000".to_owned(),
        ],
        &tmp.path().join("profile-probe"),
    );
    let images = attr(&dom, "data-probe-images")
        .unwrap_or_else(|| panic!("probe did not run; stderr:\n{stderr}"));
    let expected: Vec<String> = sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect();
    assert_eq!(
        images.split(' ').collect::<Vec<_>>(),
        expected,
        "decoded image sizes"
    );
    assert_eq!(attr(&dom, "data-probe-errors"), Some("0:"), "script errors");
    // The hostile header text is shown as text, not turned into elements.
    assert!(
        dom.contains("alert('x')"),
        "hostile text should be visible as text"
    );
    assert_eq!(
        dom.matches("<img").count(),
        sizes.len(),
        "no injected <img> elements"
    );

    // 3. The session index loads cleanly and links to the report.
    let (dom, stderr) = run_chromium(
        &chromium,
        &index_path,
        &["--dump-dom".to_owned()],
        &tmp.path().join("profile-index"),
    );
    assert!(
        console_problems(&stderr).is_empty(),
        "index console problems:\n{stderr}"
    );
    assert!(
        dom.contains("href=\"BIAS01/report.html\""),
        "index lacks the report link"
    );
}

#[test]
fn console_check_detects_errors() {
    // Negative control: the same checks must fail on a broken page.
    let Some(chromium) = find_chromium() else {
        panic!("Chromium not found: install it (apt-get install -y chromium)");
    };
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let page = tmp.path().join("broken.html");
    let broken = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>broken</title></head><body>\
                  <img src=\"missing.png\" width=\"10\" height=\"10\"><script>undefinedFunction();</script></body></html>";
    std::fs::write(&page, broken).unwrap_or_else(|e| panic!("{e}"));
    let (_, stderr) = run_chromium(
        &chromium,
        &page,
        &["--dump-dom".to_owned()],
        &tmp.path().join("p"),
    );
    let problems = console_problems(&stderr);
    assert!(
        problems.iter().any(|l| l.contains("undefinedFunction")),
        "the script error was not detected; stderr:\n{stderr}"
    );
    // The probe reports the broken image as 0x0 and counts the errors.
    let probe = tmp.path().join("broken_probe.html");
    let with_head = broken.replacen("<head>", "<head>\n", 1);
    std::fs::write(&probe, probe_copy(&with_head)).unwrap_or_else(|e| panic!("{e}"));
    let (dom, stderr) = run_chromium(
        &chromium,
        &probe,
        &[
            "--dump-dom".to_owned(),
            "--virtual-time-budget=5000".to_owned(),
        ],
        &tmp.path().join("p2"),
    );
    assert_eq!(
        attr(&dom, "data-probe-images"),
        Some("0x0"),
        "stderr:\n{stderr}"
    );
    let errors = attr(&dom, "data-probe-errors").unwrap_or("");
    assert!(!errors.starts_with("0:"), "errors not counted: {errors}");
}
