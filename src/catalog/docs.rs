//! `docs/rules.md`, generated from the catalog (`real-dq rules --markdown`); a test fails
//! when the file and the code disagree.

use std::fmt::Write;

use super::{Domain, QuestionFormat, Rule, ALL};

/// The rule catalog as Markdown.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("# Rule catalog\n\n");
    out.push_str(
        "Generated from `src/catalog/` by `real-dq rules --markdown > docs/rules.md`; \
         do not edit by hand (a test compares this file with the code).\n\n\
         Rule IDs are a stable public contract. Severities are the defaults; a profile may \
         override them or turn a rule off.\n",
    );
    let domains = Domain::STATUS_DOMAINS
        .iter()
        .chain(&Domain::OPTIONAL_DOMAINS)
        .chain([&Domain::Collection]);
    for domain in domains {
        let rules: Vec<_> = ALL.iter().filter(|r| r.domain == *domain).collect();
        if rules.is_empty() {
            continue;
        }
        let _ = write!(out, "\n## Domain `{}`\n", domain.as_str());
        for rule in rules {
            let _ = write!(
            out,
            "\n### {}\n\n- **Severity:** {}\n- **Question formats:** {}\n- **Fires when:** {}\n- **Why it matters:** {}\n- **Source:** {}\n- **HL7 ERR-3 (table 0357):** {}\n- **Hint for staff:** {}\n",
            rule.id,
            rule.severity.as_str(),
            formats(rule),
            rule.description,
            rule.why,
            rule.source,
            hl7_code(rule),
            rule.hint
        );
        }
    }
    out
}

fn hl7_code(rule: &Rule) -> String {
    let (code, name) = rule.condition.hl7_code();
    format!("`{code}` {name}")
}

fn formats(rule: &Rule) -> &'static str {
    match rule.formats {
        [_, _] => "both (omb1997, spd15)",
        [QuestionFormat::Omb1997] => "omb1997 only (off under SPD-15)",
        _ => "spd15 only",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn docs_rules_md_is_what_the_catalog_generates() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
        let file = std::fs::read_to_string(path).expect("docs/rules.md exists");
        assert!(
            file == super::markdown(),
            "docs/rules.md is stale: run `cargo run -- rules --markdown > docs/rules.md`"
        );
    }

    #[test]
    fn every_catalogued_rule_has_its_section_once() {
        let markdown = super::markdown();
        for rule in super::ALL {
            let heading = format!("\n### {}\n", rule.id);
            assert_eq!(markdown.matches(&heading).count(), 1, "{}", rule.id);
        }
    }
}
