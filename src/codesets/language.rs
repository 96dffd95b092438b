//! BCP 47 language tags (RFC 5646) checked against the IANA Language Subtag Registry
//! shipped with the project: well-formedness, registration of every subtag, deprecation
//! with the preferred value, and the scope (macrolanguage, collection) of the language.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use serde::Deserialize;

/// The most tags a thread remembers the answer for (see [`LanguageRegistry::check`]).
const MEMO_AT_MOST: usize = 1024;

/// The answers one thread has worked out, for one registry.
struct Memo {
    registry: u64,
    answers: HashMap<String, Result<CheckedTag, TagProblem>>,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo {
        registry: u64::MAX,
        answers: HashMap::new(),
    });
}

/// The IANA registry as JSON (npm `language-subtag-registry`, see `data/codesets/SOURCES.md`).
const REGISTRY_JSON: &str = include_str!("../../data/codesets/iana-language-subtag-registry.json");
/// The registry's `File-Date`.
const REGISTRY_META_JSON: &str =
    include_str!("../../data/codesets/iana-language-subtag-registry.meta.json");

/// The scope the registry gives a language subtag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// An individual language (the default).
    Individual,
    /// A macrolanguage such as `zh` or `ar`, covering several individual languages.
    Macrolanguage,
    /// A collection such as `sgn` (sign languages).
    Collection,
    /// A special code such as `mul` or `und`.
    Special,
    /// Reserved for private use (`qaa..qtz`).
    PrivateUse,
}

/// What the registry says about one language subtag.
#[derive(Debug, Clone)]
pub struct LanguageEntry {
    /// The first description, e.g. `Chinese`.
    pub description: String,
    /// Its scope.
    pub scope: Scope,
    /// The preferred replacement when the subtag is deprecated.
    pub deprecated: Option<Deprecation>,
}

/// A deprecated subtag or tag and what to use instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    /// The preferred value, when the registry gives one.
    pub preferred: Option<String>,
}

/// A tag split into its RFC 5646 parts (lower-cased).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedTag {
    /// The primary language subtag; empty for a private-use-only tag.
    pub language: String,
    /// Extended language subtags.
    pub extlangs: Vec<String>,
    /// Script subtag.
    pub script: Option<String>,
    /// Region subtag.
    pub region: Option<String>,
    /// Variant subtags.
    pub variants: Vec<String>,
}

/// Why a tag is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagProblem {
    /// Not well-formed per RFC 5646.
    Malformed,
    /// Well-formed, but this subtag is not in the registry.
    Unregistered(String),
}

/// The outcome of checking a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTag {
    /// The primary language subtag, lower-cased (after a whole-tag preferred value).
    pub language: String,
    /// The scope of the primary language.
    pub scope: Scope,
    /// Set when the tag, or one of its subtags, is deprecated: the replacement to suggest.
    pub deprecated: Option<Deprecation>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Subtag")]
    subtag: Option<String>,
    #[serde(rename = "Tag")]
    tag: Option<String>,
    #[serde(rename = "Description", default)]
    description: Vec<String>,
    #[serde(rename = "Scope")]
    scope: Option<String>,
    #[serde(rename = "Deprecated")]
    deprecated: Option<String>,
    #[serde(rename = "Preferred-Value")]
    preferred_value: Option<String>,
}

/// The loaded registry.
#[derive(Debug)]
pub struct LanguageRegistry {
    /// Tells this registry's entries apart in the per-thread memo of checked tags.
    id: u64,
    file_date: String,
    languages: HashMap<String, LanguageEntry>,
    extlangs: HashSet<String>,
    scripts: HashSet<String>,
    regions: HashMap<String, Option<Deprecation>>,
    variants: HashSet<String>,
    /// Grandfathered and redundant whole tags.
    whole_tags: HashMap<String, Option<Deprecation>>,
}

impl LanguageRegistry {
    /// Loads the embedded registry.
    pub fn load() -> Self {
        let raw: Vec<RawEntry> =
            serde_json::from_str(REGISTRY_JSON).expect("embedded IANA registry is valid JSON");
        let meta: HashMap<String, String> =
            serde_json::from_str(REGISTRY_META_JSON).expect("embedded registry meta is JSON");
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let mut registry = LanguageRegistry {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            file_date: meta.get("File-Date").cloned().unwrap_or_default(),
            languages: HashMap::with_capacity(9_000),
            extlangs: HashSet::new(),
            scripts: HashSet::new(),
            regions: HashMap::new(),
            variants: HashSet::new(),
            whole_tags: HashMap::new(),
        };
        for entry in raw {
            let deprecation = entry.deprecated.as_ref().map(|_| Deprecation {
                preferred: entry.preferred_value.clone(),
            });
            if let Some(tag) = entry.tag {
                registry.whole_tags.insert(tag.to_lowercase(), deprecation);
                continue;
            }
            let Some(subtag) = entry.subtag else { continue };
            for subtag in expand_range(&subtag.to_lowercase()) {
                match entry.kind.as_str() {
                    "language" => {
                        let scope = match entry.scope.as_deref() {
                            Some("macrolanguage") => Scope::Macrolanguage,
                            Some("collection") => Scope::Collection,
                            Some("special") => Scope::Special,
                            Some("private-use") => Scope::PrivateUse,
                            _ => Scope::Individual,
                        };
                        let language = LanguageEntry {
                            description: entry.description.first().cloned().unwrap_or_default(),
                            scope,
                            deprecated: deprecation.clone(),
                        };
                        registry.languages.insert(subtag, language);
                    }
                    "extlang" => {
                        registry.extlangs.insert(subtag);
                    }
                    "script" => {
                        registry.scripts.insert(subtag);
                    }
                    "region" => {
                        registry.regions.insert(subtag, deprecation.clone());
                    }
                    "variant" => {
                        registry.variants.insert(subtag);
                    }
                    _ => {}
                }
            }
        }
        registry
    }

    /// The registry's `File-Date`, its version.
    pub fn file_date(&self) -> &str {
        &self.file_date
    }

    /// How many language subtags are registered.
    pub fn language_count(&self) -> usize {
        self.languages.len()
    }

    /// The registry entry of a primary language subtag.
    pub fn language(&self, subtag: &str) -> Option<&LanguageEntry> {
        self.languages.get(&subtag.to_ascii_lowercase())
    }

    /// Whether a primary language subtag is a sign language (its registry description
    /// names one, e.g. `ase` American Sign Language, `sgn` Sign languages).
    pub fn is_sign_language(&self, subtag: &str) -> bool {
        self.language(subtag).is_some_and(|entry| {
            entry
                .description
                .to_ascii_lowercase()
                .contains("sign language")
        })
    }

    /// Checks a tag: well-formed, every subtag registered, deprecation, primary scope.
    ///
    /// A feed repeats a few dozen tags, so each thread keeps the answers it has worked out
    /// (up to 1,024 tags, then it starts again): parsing a tag allocated its
    /// subtags, a tenth of the time of judging a record.
    pub fn check(&self, tag: &str) -> Result<CheckedTag, TagProblem> {
        let known = MEMO.with(|memo| {
            let memo = memo.borrow();
            (memo.registry == self.id)
                .then(|| memo.answers.get(tag).cloned())
                .flatten()
        });
        if let Some(answer) = known {
            return answer;
        }
        let answer = self.check_unmemoised(tag);
        MEMO.with(|memo| {
            let mut memo = memo.borrow_mut();
            if memo.registry != self.id || memo.answers.len() >= MEMO_AT_MOST {
                memo.registry = self.id;
                memo.answers.clear();
            }
            memo.answers.insert(tag.to_owned(), answer.clone());
        });
        answer
    }

    fn check_unmemoised(&self, tag: &str) -> Result<CheckedTag, TagProblem> {
        let lower = tag.trim().to_ascii_lowercase();
        if let Some(deprecation) = self.whole_tags.get(&lower) {
            // Grandfathered or redundant tag: judge it by its preferred value when it has one.
            if let Some(Deprecation {
                preferred: Some(preferred),
            }) = deprecation
            {
                let checked = self.check_unmemoised(preferred)?;
                return Ok(CheckedTag {
                    deprecated: deprecation.clone(),
                    ..checked
                });
            }
            if let Ok(parsed) = parse_tag(&lower) {
                if let Some(entry) = self.languages.get(&parsed.language) {
                    return Ok(CheckedTag {
                        language: parsed.language,
                        scope: entry.scope,
                        deprecated: deprecation.clone(),
                    });
                }
            }
            return match deprecation {
                Some(_) => Err(TagProblem::Unregistered(lower)),
                None => Ok(CheckedTag {
                    language: lower,
                    scope: Scope::Individual,
                    deprecated: None,
                }),
            };
        }
        let parsed = parse_tag(&lower)?;
        if parsed.language.is_empty() {
            return Ok(CheckedTag {
                language: String::new(),
                scope: Scope::PrivateUse,
                deprecated: None,
            });
        }
        let mut entry = self
            .languages
            .get(&parsed.language)
            .ok_or_else(|| TagProblem::Unregistered(parsed.language.clone()))?;
        for subtag in &parsed.extlangs {
            if !self.extlangs.contains(subtag) {
                return Err(TagProblem::Unregistered(subtag.clone()));
            }
        }
        // The extlang form (`zh-yue-HK`) names the member language itself (`yue`).
        let mut language = parsed.language.clone();
        if let Some(member) = parsed.extlangs.first() {
            if let Some(member_entry) = self.languages.get(member) {
                entry = member_entry;
                language = member.clone();
            }
        }
        if let Some(script) = &parsed.script {
            if !self.scripts.contains(script) {
                return Err(TagProblem::Unregistered(script.clone()));
            }
        }
        let mut deprecated = entry.deprecated.clone();
        if let Some(region) = &parsed.region {
            match self.regions.get(region) {
                None => return Err(TagProblem::Unregistered(region.clone())),
                Some(Some(region_deprecation)) if deprecated.is_none() => {
                    deprecated = Some(Deprecation {
                        preferred: region_deprecation
                            .preferred
                            .as_ref()
                            .map(|p| replace_region(tag.trim(), region, p)),
                    });
                }
                Some(_) => {}
            }
        }
        for variant in &parsed.variants {
            if !self.variants.contains(variant) {
                return Err(TagProblem::Unregistered(variant.clone()));
            }
        }
        Ok(CheckedTag {
            language,
            scope: entry.scope,
            deprecated,
        })
    }
}

/// The tag with its region subtag (the first subtag after the primary equal to it)
/// replaced by `preferred`, other subtags as sent.
fn replace_region(tag: &str, region: &str, preferred: &str) -> String {
    let mut replaced = false;
    tag.split('-')
        .enumerate()
        .map(|(i, subtag)| {
            if i > 0 && !replaced && subtag.eq_ignore_ascii_case(region) {
                replaced = true;
                preferred.to_string()
            } else {
                subtag.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Splits a tag into its RFC 5646 parts, or says it is malformed.
pub fn parse_tag(tag: &str) -> Result<ParsedTag, TagProblem> {
    let lower = tag.to_ascii_lowercase();
    let subtags: Vec<&str> = lower.split('-').collect();
    let alpha = |s: &str| s.bytes().all(|b| b.is_ascii_lowercase());
    let alnum = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if subtags
        .iter()
        .any(|s| s.is_empty() || s.len() > 8 || !alnum(s))
    {
        return Err(TagProblem::Malformed);
    }
    let mut parsed = ParsedTag::default();
    let mut rest = subtags.as_slice();
    let first = rest[0];
    if first == "x" {
        return private_use(&rest[1..]).map(|()| parsed);
    }
    if !alpha(first) || !(2..=8).contains(&first.len()) {
        return Err(TagProblem::Malformed);
    }
    parsed.language = first.to_string();
    rest = &rest[1..];
    if (2..=3).contains(&first.len()) {
        while let Some(next) = rest.first() {
            if next.len() == 3 && alpha(next) && parsed.extlangs.len() < 3 {
                parsed.extlangs.push(next.to_string());
                rest = &rest[1..];
            } else {
                break;
            }
        }
    }
    if let Some(next) = rest.first() {
        if next.len() == 4 && alpha(next) {
            parsed.script = Some(next.to_string());
            rest = &rest[1..];
        }
    }
    if let Some(next) = rest.first() {
        let is_region = (next.len() == 2 && alpha(next))
            || (next.len() == 3 && next.bytes().all(|b| b.is_ascii_digit()));
        if is_region {
            parsed.region = Some(next.to_string());
            rest = &rest[1..];
        }
    }
    while let Some(next) = rest.first() {
        let starts_with_digit = next.as_bytes()[0].is_ascii_digit();
        if (5..=8).contains(&next.len()) || (next.len() == 4 && starts_with_digit) {
            if parsed.variants.iter().any(|v| v == next) {
                return Err(TagProblem::Malformed);
            }
            parsed.variants.push(next.to_string());
            rest = &rest[1..];
        } else {
            break;
        }
    }
    let mut singletons = HashSet::new();
    while let Some(next) = rest.first() {
        if next.len() != 1 {
            return Err(TagProblem::Malformed);
        }
        if *next == "x" {
            return private_use(&rest[1..]).map(|()| parsed);
        }
        if !singletons.insert(*next) {
            return Err(TagProblem::Malformed);
        }
        rest = &rest[1..];
        let count = rest.iter().take_while(|s| s.len() >= 2).count();
        if count == 0 {
            return Err(TagProblem::Malformed);
        }
        rest = &rest[count..];
    }
    Ok(parsed)
}

fn private_use(rest: &[&str]) -> Result<(), TagProblem> {
    if rest.is_empty() {
        Err(TagProblem::Malformed)
    } else {
        Ok(())
    }
}

/// Expands a registry range such as `qaa..qtz` into its members; a plain subtag to itself.
fn expand_range(subtag: &str) -> Vec<String> {
    let Some((from, to)) = subtag.split_once("..") else {
        return vec![subtag.to_string()];
    };
    let mut current = from.as_bytes().to_vec();
    let mut out = vec![from.to_string()];
    while current.as_slice() < to.as_bytes() {
        let mut i = current.len();
        while i > 0 {
            i -= 1;
            if current[i] == b'z' {
                current[i] = b'a';
            } else if current[i] == b'9' {
                current[i] = b'0';
            } else {
                current[i] += 1;
                break;
            }
        }
        out.push(String::from_utf8_lossy(&current).into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::LazyLock;

    static REGISTRY: LazyLock<LanguageRegistry> = LazyLock::new(LanguageRegistry::load);

    #[test]
    fn a_remembered_answer_is_the_answer_worked_out() {
        let tags = [
            "en",
            "EN",
            " es ",
            "zh-yue-HK",
            "i-klingon",
            "iw",
            "xx",
            "en-US-x-twain",
            "",
            "q-",
        ];
        for _ in 0..2 {
            for tag in tags {
                assert_eq!(
                    REGISTRY.check(tag),
                    REGISTRY.check_unmemoised(tag),
                    "{tag:?}"
                );
            }
        }
        // A memo full of other tags starts again and still answers.
        for n in 0..MEMO_AT_MOST + 10 {
            let _ = REGISTRY.check(&format!("x{n}"));
        }
        assert_eq!(REGISTRY.check("en"), REGISTRY.check_unmemoised("en"));
    }

    #[test]
    fn the_registry_loads_every_language_subtag() {
        // 8,268 entries, one of which is the qaa..qtz range of 520 private-use subtags.
        assert_eq!(REGISTRY.language_count(), 8_268 - 1 + 520);
        assert_eq!(REGISTRY.file_date(), "2025-08-25");
    }

    #[test]
    fn common_tags_are_valid() {
        for tag in [
            "en",
            "es",
            "es-MX",
            "zh-Hant-TW",
            "yue",
            "ase",
            "sr-Latn-RS",
            "de-CH-1996",
        ] {
            assert!(REGISTRY.check(tag).is_ok(), "{tag}");
        }
    }

    #[test]
    fn malformed_tags_are_rejected() {
        for tag in [
            "",
            "e",
            "spanish language",
            "es_MX",
            "en--US",
            "123",
            "en-x",
            "a-b",
            "en-a",
            "en-US-a",
        ] {
            assert_eq!(
                REGISTRY.check(tag).err(),
                Some(TagProblem::Malformed),
                "{tag}"
            );
        }
    }

    #[test]
    fn unregistered_subtags_are_named() {
        assert_eq!(
            REGISTRY.check("qq").err(),
            Some(TagProblem::Unregistered("qq".into()))
        );
        assert_eq!(
            REGISTRY.check("en-999").err(),
            Some(TagProblem::Unregistered("999".into()))
        );
        assert_eq!(
            REGISTRY.check("English").err(),
            Some(TagProblem::Unregistered("english".into()))
        );
    }

    #[test]
    fn deprecated_subtags_suggest_their_preferred_value() {
        let hebrew = REGISTRY.check("iw").unwrap();
        assert_eq!(
            hebrew.deprecated,
            Some(Deprecation {
                preferred: Some("he".into())
            })
        );
        assert!(REGISTRY.check("he").unwrap().deprecated.is_none());
    }

    #[test]
    fn redundant_tags_resolve_to_their_preferred_value() {
        let cantonese = REGISTRY.check("zh-yue").unwrap();
        assert_eq!(cantonese.language, "yue");
        assert!(cantonese.deprecated.is_some());
    }

    #[test]
    fn a_deprecated_region_suggests_the_tag_with_its_replacement() {
        let burma = REGISTRY.check("bug-BU").unwrap();
        assert_eq!(
            burma.deprecated,
            Some(Deprecation {
                preferred: Some("bug-MM".into())
            })
        );
    }

    #[test]
    fn the_extlang_form_names_the_member_language() {
        let cantonese = REGISTRY.check("zh-yue-HK").unwrap();
        assert_eq!(cantonese.language, "yue");
        assert_eq!(cantonese.scope, Scope::Individual);
    }

    #[test]
    fn scopes_are_read_from_the_registry() {
        assert_eq!(REGISTRY.check("zh").unwrap().scope, Scope::Macrolanguage);
        assert_eq!(REGISTRY.check("sgn").unwrap().scope, Scope::Collection);
        assert_eq!(REGISTRY.check("cmn").unwrap().scope, Scope::Individual);
    }

    proptest! {
        #[test]
        fn checking_arbitrary_text_never_panics(tag in "\\PC{0,40}") {
            let checked = REGISTRY.check(&tag);
            // Whatever it says, an accepted tag is never blank.
            prop_assert!(checked.is_err() || !tag.trim().is_empty());
        }

        #[test]
        fn well_formed_language_region_tags_parse(lang in "[a-z]{2,3}", region in "[A-Z]{2}") {
            let parsed = parse_tag(&format!("{lang}-{region}")).unwrap();
            prop_assert_eq!(parsed.language, lang);
            prop_assert_eq!(parsed.region, Some(region.to_ascii_lowercase()));
        }
    }
}
