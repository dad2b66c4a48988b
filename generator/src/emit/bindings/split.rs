//! windows-bindgen's output split between the generator's two threads.
//!
//! Parsing the bindings is most of the generator's own work, and syntax trees do not cross
//! threads. The fixes edit only `impl` blocks and traits (three quarters of the text); the
//! other items (structs, constants, functions, macro calls) are parsed and printed on the
//! other thread, which also reads the `_Impl` traits, tuple structs and type aliases the
//! skeleton model needs. A scan of the text finds the items: depth of brackets outside string
//! and character literals; an item ends at a `;` or a closing brace at depth 0 (a `;` right
//! after the brace belongs to the item).

use std::collections::BTreeSet;

/// The split text.
pub struct Split {
    /// The `impl` blocks and traits, in order: what the fixes edit.
    pub fixed: String,
    /// The other items, in order, then the traits again: what the model reads.
    pub rest: String,
    /// How many items of `rest` come before the traits (those are printed from `rest`).
    pub rest_count: usize,
    /// For each item of the whole text in order, whether it is in `fixed`.
    pub order: Vec<bool>,
}

/// The share (percent) of the `impl` blocks and traits' bytes that may go to the other
/// thread when no fix can edit them (inherent wrappers of interfaces without S_FALSE entries,
/// trait impls): the binding thread also runs windows-bindgen (391 M instructions), while the
/// other renders the contract table and report meanwhile and then waits. Tuned with callgrind
/// per thread on the default selection (instructions of each thread up to its end, counting
/// the wait for windows-bindgen): with nothing moved 1,107 M (binding) against 969 M; 8 %
/// moved, 1,053 M against 1,017 M; 11 %, 1,038 M against 1,035 M; 20 %, 978 M against
/// about 1,180 M (an item costs the other thread more, for its tree is built beside the
/// model's).
const MOVABLE_SHARE: usize = 11;

/// Splits `text` into items; `None` when the scan does not end at depth 0 (text this scan
/// does not understand: the caller parses it whole). `s_false` names the interfaces whose
/// callers' wrappers a fix edits.
pub fn split(text: &str, s_false: &BTreeSet<&str>) -> Option<Split> {
    let items = items(text)?;
    let mut fixed = String::with_capacity(text.len());
    let mut rest = String::with_capacity(text.len() / 3);
    let mut traits = String::new();
    let mut order = Vec::with_capacity(items.len());
    let mut rest_count = 0;
    let kinds: Vec<Kind> = items.iter().map(|r| kind(&text[r.clone()])).collect();
    let fixable_bytes: usize = items
        .iter()
        .zip(&kinds)
        .filter(|(_, k)| matches!(k, Kind::Impl | Kind::Trait))
        .map(|(r, _)| r.len())
        .sum();
    let mut movable = fixable_bytes * MOVABLE_SHARE / 100;
    for (range, kind) in items.into_iter().zip(kinds) {
        let item = &text[range];
        let mut in_fixed = matches!(kind, Kind::Impl | Kind::Trait);
        if kind == Kind::Impl && item.len() <= movable && !impl_may_need_fixes(item, s_false) {
            movable -= item.len();
            in_fixed = false;
        }
        order.push(in_fixed);
        if in_fixed {
            fixed.push_str(item);
            fixed.push('\n');
        } else {
            rest.push_str(item);
            rest.push('\n');
            rest_count += 1;
        }
        if kind == Kind::Trait {
            traits.push_str(item);
            traits.push('\n');
        }
    }
    rest.push_str(&traits);
    Some(Split {
        fixed,
        rest,
        rest_count,
        order,
    })
}

/// Whether an `impl` item may hold what a fix edits: the vtable shims (`impl X_Vtbl`) and the
/// callers' wrappers of the interfaces in `s_false`. Trait impls (`impl Trait for X`) and the
/// other wrappers hold nothing a fix edits; a header this reading does not understand counts
/// as fixable.
fn impl_may_need_fixes(item: &str, s_false: &BTreeSet<&str>) -> bool {
    let Some(at) = item.find("impl") else {
        return true;
    };
    let Some(end) = item[at..].find('{') else {
        return true;
    };
    let header = item[at + "impl".len()..at + end].trim();
    if header.starts_with('<') {
        // A generic impl: not read further.
        return true;
    }
    if header.contains(" for ") {
        return false;
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    if header.is_empty() || !header.chars().all(ident) {
        return true;
    }
    header.ends_with("_Vtbl") || s_false.contains(header)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Impl,
    Trait,
    Other,
}

/// The byte ranges of the top-level items of `text`.
fn items(text: &str) -> Option<Vec<std::ops::Range<usize>>> {
    let bytes = text.as_bytes();
    let skip_space = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    };
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = skip_space(0);
    let mut at = start;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                at = end_of_string(bytes, at)?;
                continue;
            }
            b'r' if raw_string_start(bytes, at) => {
                at = end_of_raw_string(bytes, at)?;
                continue;
            }
            b'\'' => {
                // A character literal (`'x'`, `'\n'`, `'\u{..}'`) or a lifetime (`'a`).
                if bytes.get(at + 1) == Some(&b'\\') {
                    let close = bytes[at + 2..].iter().position(|b| *b == b'\'')?;
                    at += close + 3;
                    continue;
                }
                let width = text[at + 1..].chars().next().map_or(1, char::len_utf8);
                if bytes.get(at + 1 + width) == Some(&b'\'') {
                    at += width + 2;
                    continue;
                }
            }
            b'{' | b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.checked_sub(1)?,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    let next = skip_space(at + 1);
                    let end = if bytes.get(next) == Some(&b';') {
                        next + 1
                    } else {
                        at + 1
                    };
                    items.push(start..end);
                    start = skip_space(end);
                    at = start;
                    continue;
                }
            }
            b';' if depth == 0 => {
                items.push(start..at + 1);
                start = skip_space(at + 1);
                at = start;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    (depth == 0 && start >= bytes.len()).then_some(items)
}

fn end_of_string(bytes: &[u8], open: usize) -> Option<usize> {
    let mut at = open + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

/// `r"` or `r#..."` not inside an identifier.
fn raw_string_start(bytes: &[u8], at: usize) -> bool {
    let after_ident = at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
    let mut next = at + 1;
    while bytes.get(next) == Some(&b'#') {
        next += 1;
    }
    !after_ident && bytes.get(next) == Some(&b'"')
}

fn end_of_raw_string(bytes: &[u8], r: usize) -> Option<usize> {
    let mut at = r + 1;
    let mut hashes = 0;
    while bytes.get(at) == Some(&b'#') {
        hashes += 1;
        at += 1;
    }
    at += 1;
    while at < bytes.len() {
        if bytes[at] == b'"'
            && bytes[at + 1..]
                .iter()
                .take(hashes)
                .filter(|b| **b == b'#')
                .count()
                == hashes
        {
            return Some(at + 1 + hashes);
        }
        at += 1;
    }
    None
}

/// What an item is, read from its first words after its attributes and visibility.
fn kind(item: &str) -> Kind {
    let mut rest = item.trim_start();
    // Attributes: `#[...]` / `# [...]`, brackets balanced outside string literals (a
    // deprecation note may hold a bracket).
    while let Some(after) = rest.strip_prefix('#') {
        let after = after.trim_start();
        let Some(body) = after.strip_prefix('[') else {
            break;
        };
        let mut depth = 1;
        let mut end = None;
        let mut in_string = false;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                _ if in_string => {}
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return Kind::Other;
        };
        rest = body[end..].trim_start();
    }
    for word in rest.split(|c: char| c.is_whitespace() || c == '<' || c == '(') {
        match word {
            "" | "pub" | "unsafe" | "crate)" | "super)" => {}
            "impl" => return Kind::Impl,
            "trait" => return Kind::Trait,
            _ => return Kind::Other,
        }
    }
    Kind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_end_at_semicolons_and_closing_braces() {
        let text = "pub const A: T = T { a: 1 }; # [repr (C)] pub struct S { pub s: * const u8 , } \
                    impl S { fn f (& self) -> & 'static str { \"}\" } } pub trait X_Impl { fn g (& self) ; } \
                    windows_core::link!(\"a.dll\" \"system\" fn F () -> u32) ; unsafe impl Send for S { }";
        let split = split(text, &BTreeSet::new()).unwrap();
        assert_eq!(split.order, [false, false, true, true, false, true]);
        assert_eq!(split.rest_count, 3);
        assert!(split.fixed.starts_with("impl S {"), "{}", split.fixed);
        assert!(
            split
                .rest
                .ends_with("pub trait X_Impl { fn g (& self) ; }\n"),
            "{}",
            split.rest
        );
        syn::parse_file(&split.fixed).unwrap();
        syn::parse_file(&split.rest).unwrap();
    }

    #[test]
    fn text_the_scan_does_not_understand_is_not_split() {
        assert!(split("impl S { fn f() {", &BTreeSet::new()).is_none());
        assert!(split("pub const A: u8 = 1", &BTreeSet::new()).is_none());
        assert!(split("const C: &str = \"unterminated;", &BTreeSet::new()).is_none());
    }

    #[test]
    fn brackets_in_attribute_strings_do_not_hide_an_impl() {
        let text = "#[deprecated(note = \"use ]x[ instead\")] impl S { fn f() {} } \
                    #[doc = \"a \\\" ] quote\"] pub struct T;";
        assert_eq!(split(text, &BTreeSet::new()).unwrap().order, [true, false]);
    }

    #[test]
    fn character_literals_and_raw_strings_hold_no_brackets() {
        let text = "const A: char = '{'; const B: &str = r#\"}\"#; fn f<'a>(x: &'a u8) {}";
        assert_eq!(
            split(text, &BTreeSet::new()).unwrap().order,
            [false, false, false]
        );
    }
}
