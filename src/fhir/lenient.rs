//! Lenient JSON element types for the FHIR model ([`super::model`]): each takes any JSON
//! value and keeps it only when it has the expected shape, so an oddly shaped element reads
//! as absent instead of failing the resource, and what is then missing is reported by the
//! rules. Structs are declared with [`lenient_struct!`]: unknown keys are skipped and a key
//! given twice keeps its last value, as in a JSON tree. They read straight from the request
//! text in one pass (no JSON tree), and from a `serde_json::Value` the same way.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// Answers `$value` for every JSON shape listed (`bool`, `number`, `str`, `unit`, `seq`,
/// `map`), skipping what it holds.
macro_rules! absent_for {
    ($value:expr; $($shape:ident),*) => {
        $(absent_for!(@ $shape, $value);)*
    };
    (@ bool, $value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ number, $value:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ str, $value:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ unit, $value:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
    (@ seq, $value:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
    (@ map, $value:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
}

/// Reads an object key as the name of a modelled field (`None`: a key the model skips),
/// without allocating.
#[derive(Clone, Copy)]
pub struct FieldName(pub &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldName {
    type Value = Option<&'static str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldName {
    type Value = Option<&'static str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().find(|name| **name == key).copied())
    }
    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> Result<Self::Value, E> {
        Ok(self.0.iter().find(|name| name.as_bytes() == key).copied())
    }
}

/// Declares a struct of lenient fields, each read from the JSON key written beside it, with
/// a `Deserialize` that reads any object: unknown keys are skipped, a repeated key keeps its
/// last value (serde's derive would fail the whole document), absent keys keep the default.
/// Read through [`Node`], anything but an object gives the empty struct.
macro_rules! lenient_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $key:literal => $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                const FIELDS: &[&str] = &[$($key),*];
                struct StructVisitor;
                impl<'de> serde::de::Visitor<'de> for StructVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a JSON object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        let mut out = $name::default();
                        while let Some(field) =
                            map.next_key_seed($crate::fhir::lenient::FieldName(FIELDS))?
                        {
                            match field {
                                $( Some($key) => out.$field = map.next_value()?, )*
                                _ => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(StructVisitor)
            }
        }
    };
}
pub(crate) use {absent_for, lenient_struct};

/// A string element: `None` when absent or not a string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

impl Text {
    /// The string as sent.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The string trimmed, when anything is left.
    pub fn trimmed(&self) -> Option<String> {
        self.get()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Text, E> {
                Ok(Text(Some(value.to_string())))
            }
            fn visit_string<E: de::Error>(self, value: String) -> Result<Text, E> {
                Ok(Text(Some(value)))
            }
            absent_for!(Text(None); bool, number, unit, seq, map);
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A boolean element: `None` when absent or not a boolean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FlagVisitor;
        impl<'de> Visitor<'de> for FlagVisitor {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Flag, E> {
                Ok(Flag(Some(value)))
            }
            absent_for!(Flag(None); number, str, unit, seq, map);
        }
        deserializer.deserialize_any(FlagVisitor)
    }
}

/// A repeating element: empty when absent or not an array. Every item keeps its place (an
/// item of the wrong shape reads as an empty `T`), so indexes in FHIRPaths stay true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<T> std::ops::Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(List(items))
            }
            absent_for!(List(Vec::new()); bool, number, str, unit, map);
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// A complex element: `T` read from a JSON object, or an empty `T` for anything else.
/// `T` is a `#[serde(default)]` struct of lenient fields, so it reads from any object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node<T>(pub T);

impl<T> std::ops::Deref for Node<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Node<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodeVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for NodeVisitor<T> {
            type Value = Node<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Node<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Node)
            }
            absent_for!(Node(T::default()); bool, number, str, unit, seq);
        }
        deserializer.deserialize_any(NodeVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    lenient_struct! {
        /// A test struct.
        pub struct Thing {
            "name" => name: Text,
            "on" => on: Flag,
            "parts" => parts: List<Node<Thing>>,
        }
    }

    fn debug<T: std::fmt::Debug>(value: &T) -> String {
        format!("{value:?}")
    }

    #[test]
    fn every_shape_reads_and_only_the_expected_one_is_kept() {
        let text = r#"{"name": 7, "on": "yes", "parts": [{"name": "a", "on": true}, 5, [], {"parts": {"x": 1}}], "other": {"deep": [1, {"a": null}]}}"#;
        let thing: Node<Thing> = serde_json::from_str(text).unwrap();
        assert_eq!(thing.name, Text(None));
        assert_eq!(thing.on, Flag(None));
        assert_eq!(
            thing.parts.len(),
            4,
            "items of the wrong shape keep their place"
        );
        assert_eq!(thing.parts[0].name.get(), Some("a"));
        assert_eq!(thing.parts[0].on, Flag(Some(true)));
        assert_eq!(debug(&thing.parts[1].0), debug(&Thing::default()));
        assert!(thing.parts[3].parts.is_empty());
        let from_value: Node<Thing> =
            Node::deserialize(&serde_json::from_str::<serde_json::Value>(text).unwrap()).unwrap();
        assert_eq!(debug(&from_value), debug(&thing));
        for odd in [json!(null), json!([1]), json!("s"), json!(1.5)] {
            let node = Node::<Thing>::deserialize(&odd).unwrap();
            assert_eq!(debug(&node.0), debug(&Thing::default()));
        }
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_as_in_a_tree() {
        let text = r#"{"name": "first", "on": true, "name": "last", "on": 3}"#;
        let thing: Node<Thing> = serde_json::from_str(text).unwrap();
        assert_eq!(thing.name.get(), Some("last"));
        assert_eq!(thing.on, Flag(None));
        let tree: serde_json::Value = serde_json::from_str(text).unwrap();
        let from_tree = Node::<Thing>::deserialize(&tree).unwrap();
        assert_eq!(debug(&from_tree), debug(&thing));
    }

    #[test]
    fn text_is_trimmed_on_request() {
        let text: Text = serde_json::from_str(r#""  MRN-7 ""#).unwrap();
        assert_eq!(text.get(), Some("  MRN-7 "));
        assert_eq!(text.trimmed().as_deref(), Some("MRN-7"));
        let blank: Text = serde_json::from_str(r#""   ""#).unwrap();
        assert_eq!(blank.trimmed(), None);
    }
}
