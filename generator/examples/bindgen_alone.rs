//! The benchmark's baseline: windows-bindgen alone emitting the default selection from
//! Microsoft's full Win32 metadata, with nothing of this project around it.
//!
//! `bindgen_alone filters <FILE>` writes the default selection's filter list (the same precise
//! names `winsync-gen generate` hands windows-bindgen); `bindgen_alone emit <FULL.winmd>
//! <FILTERS> <OUT.rs>` runs windows-bindgen on it. See `scripts/bench-generate.sh`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["filters", out] => {
            let metadata =
                winsync_gen::parse::winmd::Metadata::load(&[winsync_gen::Input::Bytes {
                    origin: winsync_gen::bundled::WINMD_NAME.into(),
                    bytes: winsync_gen::bundled::WINMD.to_vec(),
                }]);
            let selection =
                metadata.and_then(|m| winsync_gen::model::selection::resolve(&m.index, &[]));
            match selection {
                Ok(selection) => {
                    match std::fs::write(out, selection.bindgen_filters().join("\n")) {
                        Ok(()) => ExitCode::SUCCESS,
                        Err(e) => {
                            eprintln!("error: {out}: {e}");
                            ExitCode::FAILURE
                        }
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        ["emit", winmd, filters, out] => {
            let filters = std::fs::read_to_string(filters).unwrap_or_default();
            windows_bindgen::builder()
                .input(winmd)
                .output(out)
                .flat()
                .filters(filters.lines())
                .write();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage: bindgen_alone filters <FILE> | bindgen_alone emit <FULL.winmd> <FILTERS> <OUT.rs>"
            );
            ExitCode::FAILURE
        }
    }
}
