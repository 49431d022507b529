//! The property paths of an event read straight from its JSON text, without building a
//! `serde_json::Map`: what [`super::build::for_each_path`] finds in the parsed map.
//!
//! Why: loading a store parses every event's properties. Parsing each into a map (a B-tree
//! node and a `String` per key, a `String` per value), walking it and freeing it was about
//! half of the thread that builds the index. Here strings without escapes are borrowed from
//! the text and only arrays become `Value`s.
//!
//! The paths and their values follow [`crate::property`]: a value at a path that walks nested
//! objects by keys without dots, unless a top-level key equal to the whole path has a value
//! (null is no value). Because the text is read once, front to back, that top-level key can
//! come after the walk reached its path: the callback is told which kind each value is
//! ([`Reached`]) and must let a [`Reached::TopLevelDotted`] value replace a walked one.
//!
//! The text must not repeat a key within one object. A parsed map keeps the last of repeated
//! keys; this reader would report both. The store writes properties by printing a parsed map,
//! so its texts never repeat a key.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::json_dict::DictValue;

/// How a path got its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reached {
    /// By walking objects from a top-level key without dots.
    Walked,
    /// A top-level key with a dot in it, which wins over a walked value at the same path.
    TopLevelDotted,
}

/// Calls `f(path, value, how)` for every non-null value at a path of the JSON object
/// `properties`, as [`super::build::for_each_path`] does for the parsed object. Each
/// `(key, text)` of `defaults` is a top-level member read as if it were in the object, when
/// the object has no member of that key (present but null included).
///
/// # Errors
/// When `properties` or a default's text is not JSON, or `properties` is not an object.
/// `f` may have been called for part of the object by then.
pub(crate) fn for_each_path_in_text(
    properties: &str,
    defaults: &[(&str, &str)],
    f: &mut impl FnMut(&str, DictValue<'_>, Reached),
) -> Result<(), serde_json::Error> {
    let mut path = String::new();
    let mut walker = Walker {
        path: &mut path,
        f,
        defaults,
        seen: 0,
    };
    let mut de = serde_json::Deserializer::from_str(properties);
    de.deserialize_map(Root(&mut walker))?;
    de.end()?;
    for (i, (key, text)) in defaults.iter().enumerate() {
        if walker.seen & (1 << i) == 0 {
            walker.path.clear();
            walker.path.push_str(key);
            let mut de = serde_json::Deserializer::from_str(text);
            de.deserialize_any(At {
                walker: &mut walker,
                reached: Reached::Walked,
            })?;
            de.end()?;
        }
    }
    Ok(())
}

struct Walker<'w, F> {
    /// The path of the value being read, dot-separated.
    path: &'w mut String,
    f: &'w mut F,
    defaults: &'w [(&'w str, &'w str)],
    /// Bit `i`: the object had a top-level member named like `defaults[i]`.
    seen: u64,
}

/// The top-level object.
struct Root<'r, 'w, F>(&'r mut Walker<'w, F>);

impl<'de, F: FnMut(&str, DictValue<'_>, Reached)> Visitor<'de> for Root<'_, '_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object of event properties")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let walker = self.0;
        while let Some(key) = map.next_key_seed(Key)? {
            if let Some(i) = walker.defaults.iter().position(|(d, _)| *d == key) {
                walker.seen |= 1 << i.min(63);
            }
            walker.path.clear();
            walker.path.push_str(&key);
            let reached = if key.contains('.') {
                Reached::TopLevelDotted
            } else {
                Reached::Walked
            };
            map.next_value_seed(Seed { walker, reached })?;
        }
        Ok(())
    }
}

/// A map key, borrowed from the text unless it has escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}

/// The value at the walker's path.
struct Seed<'s, 'w, F> {
    walker: &'s mut Walker<'w, F>,
    reached: Reached,
}

impl<'de, F: FnMut(&str, DictValue<'_>, Reached)> DeserializeSeed<'de> for Seed<'_, '_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(At {
            walker: self.walker,
            reached: self.reached,
        })
    }
}

struct At<'s, 'w, F> {
    walker: &'s mut Walker<'w, F>,
    reached: Reached,
}

impl<F: FnMut(&str, DictValue<'_>, Reached)> At<'_, '_, F> {
    fn emit(self, value: DictValue<'_>) {
        (self.walker.f)(self.walker.path, value, self.reached);
    }

    fn emit_json<E>(self, value: Value) -> Result<(), E> {
        self.emit(DictValue::Json(&value));
        Ok(())
    }
}

impl<'de, F: FnMut(&str, DictValue<'_>, Reached)> Visitor<'de> for At<'_, '_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.emit(DictValue::Text(s));
        Ok(())
    }

    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.emit_json(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        self.emit_json(Value::from(n))
    }

    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.emit_json(Value::from(n))
    }

    fn visit_f64<E>(self, n: f64) -> Result<(), E> {
        // As `Value` parses a number: JSON has no non-finite numbers, so this is never null.
        self.emit_json(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        self.emit_json(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let At { walker, reached } = self;
        (walker.f)(
            walker.path,
            DictValue::Json(&Value::Object(serde_json::Map::new())),
            reached,
        );
        // The walk starts only from top-level keys without dots, and steps only through keys
        // without dots (see `crate::property`).
        if reached == Reached::TopLevelDotted {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        while let Some(key) = map.next_key_seed(Key)? {
            if key.contains('.') {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let len = walker.path.len();
            walker.path.push('.');
            walker.path.push_str(&key);
            map.next_value_seed(Seed {
                walker: &mut *walker,
                reached,
            })?;
            walker.path.truncate(len);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde_json::{json, Map};

    use super::*;
    use crate::index::build::for_each_path;
    use crate::{IndexBuilder, ProfileData};

    /// A JSON value printed with its keys in the generated order (a printed map would sort
    /// them, and a top-level `"a.b"` would always come after `"a"`).
    #[derive(Debug, Clone)]
    enum Json {
        Leaf(Value),
        Object(Vec<(String, Json)>),
    }

    impl Json {
        fn print(&self) -> String {
            match self {
                Json::Leaf(v) => v.to_string(),
                Json::Object(members) => {
                    let members: Vec<String> = members
                        .iter()
                        .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v.print()))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }
            }
        }
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            prop::sample::select(vec![
                json!(0),
                json!(-0.0),
                json!(1),
                json!(1.0),
                json!(2.5)
            ]),
            prop::sample::select(vec!["", "a", "say \"hi\"", "é\n", "a.b"]).prop_map(Value::from),
            prop::collection::vec(prop::sample::select(vec![json!(1), json!("x")]), 0..3)
                .prop_map(Value::Array),
        ]
    }

    fn object(depth: u32) -> BoxedStrategy<Json> {
        let key = prop::sample::select(vec!["a", "b", "c", "a.b", "b.c", "a.b.c", "x\"y", "é"]);
        let value = if depth == 0 {
            leaf().prop_map(Json::Leaf).boxed()
        } else {
            prop_oneof![3 => leaf().prop_map(Json::Leaf), 2 => object(depth - 1)].boxed()
        };
        prop::collection::vec((key.prop_map(String::from), value), 0..6)
            .prop_map(|members| {
                // No key twice in one object, as in every printed map.
                let mut seen = std::collections::HashSet::new();
                Json::Object(
                    members
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            })
            .boxed()
    }

    /// Each path's value as the builder keeps it (first reached, unless a top-level dotted
    /// key replaces it), objects as `{}`.
    fn streamed(text: &str, defaults: &[(&str, &str)]) -> BTreeMap<String, Value> {
        let mut found = BTreeMap::new();
        for_each_path_in_text(text, defaults, &mut |path, value, reached| {
            if reached == Reached::TopLevelDotted || !found.contains_key(path) {
                found.insert(path.to_string(), value.to_json());
            }
        })
        .unwrap();
        found
    }

    /// The same from the parsed map, the defaults added as the store's reader adds its
    /// context summary (a member of the same key wins).
    fn parsed(text: &str, defaults: &[(&str, &str)]) -> BTreeMap<String, Value> {
        let mut map: Map<String, Value> = serde_json::from_str(text).unwrap();
        for (key, default) in defaults {
            if !map.contains_key(*key) {
                map.insert(key.to_string(), serde_json::from_str(default).unwrap());
            }
        }
        let mut found = BTreeMap::new();
        for_each_path(&map, &mut |path, value| {
            let value = if value.is_object() {
                json!({})
            } else {
                value.clone()
            };
            found.entry(path.to_string()).or_insert(value);
        });
        found
    }

    /// One profile with one event of `text`, added as a parsed map and as text; the event's
    /// properties as each index gives them back.
    fn built(text: &str) -> (Option<ProfileData>, Option<ProfileData>) {
        let map: Map<String, Value> = serde_json::from_str(text).unwrap();
        let mut from_map = IndexBuilder::new();
        let mut from_text = IndexBuilder::new();
        for builder in [&mut from_map, &mut from_text] {
            builder.add_profile(1);
        }
        from_map.add_event(0, "e", 5, &map);
        from_text.add_event_json(0, "e", 5, text, &[]).unwrap();
        (
            from_map.finish().profile_data(0),
            from_text.finish().profile_data(0),
        )
    }

    proptest! {
        #[test]
        fn text_and_parsed_map_give_the_same_paths(
            properties in object(2),
            context in prop::option::of(object(1)),
        ) {
            let text = properties.print();
            let context = context.map(|c| c.print());
            let defaults: Vec<(&str, &str)> =
                context.iter().map(|c| ("a", c.as_str())).collect();
            prop_assert_eq!(streamed(&text, &defaults), parsed(&text, &defaults));

            // And through the builder: the same rows come back out of the index.
            let (from_map, from_text) = built(&text);
            prop_assert_eq!(from_text, from_map);
        }
    }

    #[test]
    fn a_top_level_dotted_key_wins_in_either_order() {
        for text in [
            r#"{"a":{"b":1},"a.b":2}"#,
            r#"{"a.b":2,"a":{"b":1}}"#,
            r#"{"a.b":2,"a":{"b":null}}"#,
        ] {
            assert_eq!(streamed(text, &[])["a.b"], json!(2), "{text}");
            let (from_map, from_text) = built(text);
            assert_eq!(from_text, from_map, "{text}");
        }
        // A null top-level key leaves the walked value.
        assert_eq!(
            streamed(r#"{"a.b":null,"a":{"b":1}}"#, &[])["a.b"],
            json!(1)
        );
    }

    #[test]
    fn defaults_apply_only_where_the_key_is_missing() {
        let context = r#"{"channel":"email"}"#;
        let with = streamed(r#"{"x":1}"#, &[("context", context)]);
        assert_eq!(with["context.channel"], json!("email"));
        // A member of that key, even null, hides the default.
        for text in [r#"{"context":null}"#, r#"{"context":{"channel":"web"}}"#] {
            let found = streamed(text, &[("context", context)]);
            assert_ne!(
                found.get("context.channel"),
                Some(&json!("email")),
                "{text}"
            );
        }
    }

    #[test]
    fn text_that_is_not_an_object_is_an_error() {
        for text in ["[1]", "1", "{\"a\":", "{} x", ""] {
            assert!(
                for_each_path_in_text(text, &[], &mut |_, _, _| {}).is_err(),
                "{text}"
            );
        }
        assert!(for_each_path_in_text("{}", &[("c", "{")], &mut |_, _, _| {}).is_err());
    }
}
