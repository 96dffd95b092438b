//! Synthetic demographic records for benchmarks, load tests and demos: a deterministic,
//! realistic mix (complete records, missing and declined answers, bad codes, detailed
//! races, caregivers with other languages). Never real patients.

pub mod render;

use serde_json::{json, Value};

/// Hospital units the generator spreads patients over.
pub const UNITS: [&str; 6] = [
    "ED",
    "NICU",
    "PICU",
    "Oncology",
    "Clinic-North",
    "Clinic-South",
];

const RACES: [&[&str]; 10] = [
    &["2106-3"],
    &["2054-5"],
    &["2028-9", "2040-4"],
    &["2106-3", "2054-5"],
    &["1002-5"],
    &["2076-8", "2086-7"],
    &["2106-3", "2118-8"],
    &["2131-1"],
    &["2028-9", "2047-9"],
    &["2054-5", "2060-2"],
];
const LANGUAGES: [&str; 10] = ["en", "en", "en", "es", "es", "zh", "vi", "ar", "so", "yue"];

/// A small, fast, deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Generator {
    state: u64,
}

impl Generator {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Generator {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// The `index`-th record of a run; `recorded_at` is a day in 2026.
    pub fn record(&mut self, index: u64) -> Value {
        let unit = UNITS[self.below(UNITS.len() as u64) as usize];
        let day = 1 + self.below(300);
        let recorded_at = format!(
            "2026-{:02}-{:02}T{:02}:{:02}:00Z",
            1 + (day / 28).min(11),
            1 + day % 28,
            self.below(24),
            self.below(60)
        );
        let age = self.below(18);
        let birth_date = format!(
            "{}-{:02}-{:02}",
            2025 - age,
            1 + self.below(12),
            1 + self.below(28)
        );
        let mut record = json!({
            "source": "synthetic",
            "patient_id": format!("SYN-{index:08}"),
            "unit": unit,
            "recorded_at": recorded_at,
            "birth_date": birth_date,
        });
        let reporter = if age >= 12 && self.chance(60) {
            "self"
        } else {
            "caregiver"
        };
        record["race"] = match self.below(100) {
            0..=6 => Value::Null,
            7..=9 => json!({"null_flavor": "ASKU", "reported_by": reporter}),
            10..=12 => json!({"null_flavor": "UNK"}),
            13 => json!({"codes": [{"code": "2135-2"}], "reported_by": reporter}),
            14 => json!({"codes": [{"code": "2106-4"}], "reported_by": reporter}),
            _ => {
                let codes = RACES[self.below(RACES.len() as u64) as usize];
                let codes: Vec<Value> = codes.iter().map(|c| json!({"code": c})).collect();
                json!({"codes": codes, "reported_by": reporter})
            }
        };
        record["ethnicity"] = match self.below(100) {
            0..=7 => Value::Null,
            8..=10 => json!({"null_flavor": "ASKU", "reported_by": reporter}),
            11..=30 => {
                json!({"codes": [{"code": "2135-2"}, {"code": "2148-5"}], "reported_by": reporter})
            }
            31 => {
                json!({"codes": [{"code": "2186-5"}, {"code": "2148-5"}], "reported_by": reporter})
            }
            _ => json!({"codes": [{"code": "2186-5"}], "reported_by": reporter}),
        };
        let language = LANGUAGES[self.below(LANGUAGES.len() as u64) as usize];
        let interpreter = language != "en" && self.chance(80);
        record["language"] = match self.below(100) {
            0..=5 => Value::Null,
            6..=8 => json!({"preferred": language}),
            _ => json!({"preferred": language, "interpreter_needed": interpreter,
                        "english_proficiency": if interpreter { "not_well" } else { "very_well" }}),
        };
        if age < 18 && !self.chance(8) {
            let count = 1 + self.below(2);
            let caregivers: Vec<Value> = (0..count)
                .map(|i| {
                    json!({
                        "relationship": if i == 0 { "MTH" } else { "FTH" },
                        "legal_guardian": i == 0 || self.chance(50),
                        "language": {"preferred": language, "interpreter_needed": interpreter}
                    })
                })
                .collect();
            record["caregivers"] = Value::Array(caregivers);
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_records() {
        let a: Vec<Value> = (0..50).map(|i| Generator::new(7).record(i)).collect();
        let b: Vec<Value> = (0..50).map(|i| Generator::new(7).record(i)).collect();
        assert_eq!(a, b);
        assert_ne!(Generator::new(7).record(0), Generator::new(8).record(0));
    }

    #[test]
    fn generated_records_pass_the_envelope_checks() {
        let mut generator = Generator::new(1);
        for i in 0..500 {
            let text = generator.record(i).to_string();
            assert!(
                crate::record::Record::from_json(text.as_bytes()).is_ok(),
                "{text}"
            );
        }
    }
}
