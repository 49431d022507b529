//! Blocklist entries (`value`, `kind:value`, with a `*` glob at either end) and their matching.

use tessera_model::Identifier;

/// One parsed entry of `[identity] blocked`. Entries borrow from the config; a
/// [`crate::Normalizer`] parses them once for many identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockRule<'a> {
    /// `None` matches every kind (`value` and `*:value` entries).
    kind: Option<&'a str>,
    pattern: Pattern<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern<'a> {
    Exact(&'a str),
    Prefix(&'a str),
    Suffix(&'a str),
    Contains(&'a str),
    Any,
}

impl<'a> BlockRule<'a> {
    /// Parses an entry. The part before the first `:` is a kind when it looks like a kind
    /// name (letters, digits, `_`) or is `*`; otherwise the whole entry is a value for any kind.
    pub(crate) fn parse(entry: &'a str) -> Result<BlockRule<'a>, String> {
        let (kind, value) = match entry.split_once(':') {
            Some(("*", value)) => (None, value),
            Some((kind, value))
                if !kind.is_empty()
                    && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                (Some(kind), value)
            }
            _ => (None, entry),
        };
        let pattern = match value {
            "" => return Err("the value is empty".to_string()),
            "*" | "**" => Pattern::Any,
            _ => {
                let starts = value.starts_with('*');
                let ends = value.len() > 1 && value.ends_with('*');
                let inner = &value[usize::from(starts)..value.len() - usize::from(ends)];
                if inner.contains('*') {
                    return Err("`*` may only start or end a value".to_string());
                }
                match (starts, ends) {
                    (false, false) => Pattern::Exact(inner),
                    (false, true) => Pattern::Prefix(inner),
                    (true, false) => Pattern::Suffix(inner),
                    (true, true) => Pattern::Contains(inner),
                }
            }
        };
        // A phone entry that is not E.164 could never equal a normalised phone; say so rather
        // than silently block nothing.
        if let (Some("phone"), Pattern::Exact(number)) = (kind, pattern) {
            let digits = number.strip_prefix('+').unwrap_or("");
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(
                    "phones are compared in normalised E.164 form; write e.g. `phone:+10000000000`"
                        .to_string(),
                );
            }
        }
        Ok(BlockRule { kind, pattern })
    }

    /// Whether this rule blocks the (normalised) identifier, ignoring ASCII case.
    pub(crate) fn matches(&self, id: &Identifier) -> bool {
        if self.kind.is_some_and(|kind| kind != id.kind.as_str()) {
            return false;
        }
        let value = id.value.as_bytes();
        match self.pattern {
            Pattern::Exact(p) => id.value.eq_ignore_ascii_case(p),
            Pattern::Prefix(p) => {
                value.len() >= p.len() && value[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            }
            Pattern::Suffix(p) => {
                value.len() >= p.len()
                    && value[value.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())
            }
            Pattern::Contains(p) => {
                p.is_empty()
                    || value
                        .windows(p.len())
                        .any(|w| w.eq_ignore_ascii_case(p.as_bytes()))
            }
            Pattern::Any => true,
        }
    }
}

/// The first entry of `blocked` that blocks `id`. Entries that do not parse never match;
/// configuration loading has already rejected them with a message.
pub(crate) fn blocking_rule<'a>(
    rules: &[(&'a str, BlockRule<'a>)],
    id: &Identifier,
) -> Option<&'a str> {
    rules
        .iter()
        .find(|(_, rule)| rule.matches(id))
        .map(|(entry, _)| *entry)
}

/// Parses every valid entry once (invalid ones are reported by `IdentityConfig::validate`).
pub(crate) fn parse_rules(blocked: &[String]) -> Vec<(&str, BlockRule<'_>)> {
    blocked
        .iter()
        .filter_map(|e| BlockRule::parse(e).ok().map(|r| (e.as_str(), r)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(entry: &str, id: &str) -> bool {
        BlockRule::parse(entry)
            .unwrap()
            .matches(&id.parse().unwrap())
    }

    #[test]
    fn kind_prefix_restricts_the_rule() {
        assert!(blocks("null", "email:null"));
        assert!(
            blocks("null", "user_id:NULL"),
            "matching ignores ASCII case"
        );
        assert!(blocks("user_id:null", "user_id:null"));
        assert!(!blocks("user_id:null", "anonymous_id:null"));
        assert!(blocks("crm_id:0", "crm_id:0"));
    }

    #[test]
    fn globs_at_either_end() {
        assert!(blocks("email:noemail@*", "email:noemail@shop.com"));
        assert!(!blocks("email:noemail@*", "email:ana.noemail@shop.com"));
        assert!(blocks("*@mailinator.com", "email:x@mailinator.com"));
        assert!(!blocks("*@mailinator.com", "email:x@mailinator.com.au"));
        assert!(blocks("*test*", "user_id:my-TEST-user"));
        assert!(blocks("device_id:*", "device_id:abc"));
        assert!(!blocks("device_id:*", "user_id:abc"));
    }

    #[test]
    fn values_with_colons_need_an_explicit_any_kind() {
        assert!(blocks("*:urn:x", "user_id:urn:x"));
        assert!(
            blocks("n/a:x", "email:n/a:x"),
            "a prefix that is no kind name is part of the value"
        );
    }

    #[test]
    fn malformed_entries_are_rejected() {
        assert!(BlockRule::parse("a*b").is_err());
        assert!(BlockRule::parse("email:").is_err());
        assert!(BlockRule::parse("phone:555-0000").is_err());
        assert!(BlockRule::parse("phone:+1555*").is_ok());
    }
}
