//! An attribute list with map semantics, as the OpenTelemetry Collector's translators build
//! them: putting an existing key replaces its value in place, removing a key moves the last
//! attribute into its slot. Receivers' outputs depend on that order, so conversions that
//! mirror a Collector translator use this type.

use std::collections::HashMap;

use crate::proto::common::{AnyValue, KeyValue, any_value::Value};

/// Past this many attributes, lookups go through a hash index instead of a scan.
const INDEX_FROM: usize = 16;

#[derive(Default)]
pub(crate) struct AttrMap {
    kvs: Vec<KeyValue>,
    index: Option<HashMap<String, usize>>,
}

impl AttrMap {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.kvs.iter().position(|kv| kv.key == key),
        }
    }

    pub(crate) fn put(&mut self, key: String, value: Value) {
        let value = Some(AnyValue { value: Some(value) });
        if let Some(i) = self.position(&key) {
            self.kvs[i].value = value;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.kvs.len());
        }
        self.kvs.push(KeyValue {
            key,
            value,
            ..Default::default()
        });
        if self.index.is_none() && self.kvs.len() > INDEX_FROM {
            self.index = Some(
                self.kvs
                    .iter()
                    .enumerate()
                    .map(|(i, kv)| (kv.key.clone(), i))
                    .collect(),
            );
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        let i = self.position(key)?;
        self.kvs[i].value.as_ref()?.value.as_ref()
    }

    /// The value's string form as the Collector's `Value.Str()` gives it: the string for a
    /// string value, "" for any other type.
    pub(crate) fn get_str(&self, key: &str) -> Option<&str> {
        let i = self.position(key)?;
        Some(
            match self.kvs[i].value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) => s.as_str(),
                _ => "",
            },
        )
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Removes `key`, moving the last attribute into its slot.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        let removed = self.kvs.swap_remove(i);
        if let Some(index) = &mut self.index {
            index.remove(key);
            if let Some(moved) = self.kvs.get(i) {
                index.insert(moved.key.clone(), i);
            }
        }
        removed.value.and_then(|v| v.value)
    }

    pub(crate) fn into_vec(self) -> Vec<KeyValue> {
        self.kvs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(m: &AttrMap) -> Vec<&str> {
        m.kvs.iter().map(|kv| kv.key.as_str()).collect()
    }

    #[test]
    fn put_replaces_in_place_and_remove_swaps_the_last_in() {
        for n in [3usize, 40] {
            let mut m = AttrMap::new();
            for i in 0..n {
                m.put(format!("k{i}"), Value::IntValue(i64::try_from(i).unwrap()));
            }
            m.put("k1".into(), Value::StringValue("x".into()));
            assert_eq!(m.get_str("k1"), Some("x"));
            assert_eq!(m.get_str("k2"), Some(""));
            assert_eq!(m.remove("k0"), Some(Value::IntValue(0)));
            let last = format!("k{}", n - 1);
            assert_eq!(keys(&m)[0], last);
            assert_eq!(
                m.get(&last),
                Some(&Value::IntValue(i64::try_from(n - 1).unwrap()))
            );
            assert!(!m.contains("k0"));
            assert_eq!(m.into_vec().len(), n - 1);
        }
    }
}
