//! Rebuild when migrations change: they are embedded into the binary. Tests on PostgreSQL
//! need `REALDQ_TEST_POSTGRES_URL`: when it is unset at build time they are compiled as
//! ignored (`cfg(realdq_postgres)`), so that a run without PostgreSQL shows them as
//! ignored, not as passed. The dashboard's browser tests need Chromium's WebDriver
//! (`REALDQ_TEST_CHROMEDRIVER`, the path of `chromedriver`), likewise (`cfg(realdq_browser)`).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=REALDQ_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(realdq_postgres)");
    let configured = std::env::var("REALDQ_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty());
    if configured {
        println!("cargo:rustc-cfg=realdq_postgres");
    }
    println!("cargo:rerun-if-env-changed=REALDQ_TEST_CHROMEDRIVER");
    println!("cargo::rustc-check-cfg=cfg(realdq_browser)");
    if std::env::var("REALDQ_TEST_CHROMEDRIVER").is_ok_and(|path| !path.is_empty()) {
        println!("cargo:rustc-cfg=realdq_browser");
    }
}
