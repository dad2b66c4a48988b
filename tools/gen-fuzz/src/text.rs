//! Mutations of `contracts.toml` and `supplement.toml`: lines and blocks deleted, duplicated or
//! swapped, values exchanged between entries, names misspelt, numbers pushed to edges, quotes
//! and bytes broken.

use crate::rng::Rng;

/// The mutations, by name.
pub const KINDS: &[&str] = &[
    "delete-line",
    "duplicate-line",
    "duplicate-block",
    "swap-lines",
    "exchange-value",
    "misspell",
    "number",
    "break-quote",
    "not-utf8",
    "truncate",
];

/// Mutates a copy of `original` with `kind`; returns the bytes and what changed.
pub fn mutate(original: &str, kind: &str, rng: &mut Rng) -> (Vec<u8>, String) {
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    let line = rng.below(lines.len());
    // Lines that hold data (comments change nothing).
    let data = |lines: &[String], wanted: &dyn Fn(&str) -> bool| -> Vec<usize> {
        (0..lines.len())
            .filter(|&i| !lines[i].trim_start().starts_with('#') && wanted(&lines[i]))
            .collect()
    };
    let what = match kind {
        "delete-line" => {
            lines.remove(line);
            format!("line {} deleted", line + 1)
        }
        "duplicate-line" => {
            lines.insert(line, lines[line].clone());
            format!("line {} duplicated", line + 1)
        }
        "duplicate-block" => {
            // A `[[...]]` block and everything up to the next one.
            let starts: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].starts_with("[["))
                .collect();
            match rng.pick(&starts).copied() {
                Some(start) => {
                    let end = starts
                        .iter()
                        .copied()
                        .find(|&s| s > start)
                        .unwrap_or(lines.len());
                    let block: Vec<String> = lines[start..end].to_vec();
                    lines.extend(block);
                    format!("block at line {} duplicated at the end", start + 1)
                }
                None => "no blocks".into(),
            }
        }
        "swap-lines" => {
            // Another line with other text (a few tries: blank lines are many).
            let mut other = rng.below(lines.len());
            for _ in 0..8 {
                if lines[other] != lines[line] {
                    break;
                }
                other = rng.below(lines.len());
            }
            lines.swap(line, other);
            format!("lines {} and {} swapped", line + 1, other + 1)
        }
        "exchange-value" => {
            // A quoted value replaced by another quoted value of the file.
            let values: Vec<String> = original
                .split('"')
                .skip(1)
                .step_by(2)
                .filter(|v| !v.is_empty() && !v.contains('\n'))
                .map(str::to_string)
                .collect();
            let candidates = data(&lines, &|l| l.contains(" = \""));
            match (rng.pick(&candidates).copied(), rng.pick(&values).cloned()) {
                (Some(at), Some(value)) => {
                    let (key, _) = lines[at].split_once(" = ").unwrap_or_default();
                    let key = key.to_string();
                    lines[at] = format!("{key} = \"{value}\"");
                    format!("line {}: {key} = \"{value}\"", at + 1)
                }
                _ => "no quoted values".into(),
            }
        }
        "misspell" => {
            let candidates = data(&lines, &|l| l.contains('"'));
            match rng.pick(&candidates).copied() {
                Some(at) => {
                    let mut chars: Vec<char> = lines[at].chars().collect();
                    let quote = chars.iter().position(|c| *c == '"').unwrap_or(0);
                    let i = (quote + 1 + rng.below(4)).min(chars.len().saturating_sub(1));
                    chars[i] = if chars[i] == 'x' { 'y' } else { 'x' };
                    lines[at] = chars.into_iter().collect();
                    format!("line {} misspelt", at + 1)
                }
                None => "no strings".into(),
            }
        }
        "number" => {
            // A number pushed to an edge; in a file without numbers, a string made a number.
            let numeric = |line: &str| {
                line.split_once(" = ")
                    .is_some_and(|(_, v)| v.trim_start_matches('-').starts_with(char::is_numeric))
            };
            let mut candidates = data(&lines, &numeric);
            if candidates.is_empty() {
                candidates = data(&lines, &|l| l.contains(" = \""));
            }
            match rng.pick(&candidates).copied() {
                Some(at) => {
                    let (key, _) = lines[at].split_once(" = ").unwrap_or_default();
                    let value = *rng
                        .pick(&["0", "-1", "0xFFFFFFFF", "18446744073709551616", "1e9"])
                        .unwrap_or(&"0");
                    lines[at] = format!("{key} = {value}");
                    format!("line {}: number {value}", at + 1)
                }
                None => "no values".into(),
            }
        }
        "break-quote" => {
            let quoted = data(&lines, &|l| l.contains('"'));
            match rng.pick(&quoted).copied() {
                Some(at) => {
                    if let Some(i) = lines[at].rfind('"') {
                        lines[at].remove(i);
                    }
                    format!("line {}: a quote removed", at + 1)
                }
                None => "no quotes".into(),
            }
        }
        "not-utf8" | "truncate" => String::new(),
        _ => String::new(),
    };
    let mut bytes = (lines.join("\n") + "\n").into_bytes();
    let what = match kind {
        "not-utf8" => {
            let at = rng.below(bytes.len());
            bytes.insert(at, 0xFF);
            format!("byte 0xFF inserted at {at}")
        }
        "truncate" => {
            let cut = rng.below(bytes.len());
            bytes.truncate(cut);
            format!("cut to {cut} bytes")
        }
        _ => what,
    };
    // A swap of equal lines (or a cut at the end) is no case at all.
    if bytes == original.as_bytes() {
        let at = rng.below(bytes.len());
        bytes.insert(at, b'\n');
        return (
            bytes,
            format!("{what}, which changed nothing: a line break inserted at {at}"),
        );
    }
    (bytes, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use winsync_gen::bundled;

    /// Every mutation changes the contract data and the supplement.
    #[test]
    fn every_kind_changes_the_text() {
        for original in [bundled::CONTRACTS, bundled::SUPPLEMENT] {
            for kind in KINDS {
                let changed = (1..=20)
                    .filter(|seed| {
                        mutate(original, kind, &mut Rng::new(*seed)).0 != original.as_bytes()
                    })
                    .count();
                assert_eq!(changed, 20, "{kind}: {changed} of 20 changed");
            }
        }
    }
}
