//! Wall time of `generate` for the default selection (bindings + skeletons + report, from the
//! bundled subset), side by side with windows-bindgen alone emitting the same selection from
//! Microsoft's full Win32 metadata. Peak memory is measured by `scripts/bench-generate.sh`.

use criterion::{Criterion, criterion_group, criterion_main};
use winsync_gen::{Options, generate, model::selection, parse::winmd::Metadata};

fn default_selection(c: &mut Criterion) {
    let upstream = winsync_gen::upstream::locate(
        &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"),
    )
    .expect("cargo metadata finds windows-bindgen 0.66.0's Windows.Win32.winmd");
    let bundled = Metadata::load(&[winsync_gen::Input::Bytes {
        origin: winsync_gen::bundled::WINMD_NAME.into(),
        bytes: winsync_gen::bundled::WINMD.to_vec(),
    }])
    .expect("the bundled metadata loads");
    let filters = selection::resolve(&bundled.index, &[])
        .expect("the default selection resolves")
        .bindgen_filters();
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let out = scratch.path().join("bindings.rs");

    let mut group = c.benchmark_group("default selection");
    group.sample_size(10);
    group.bench_function("winsync-gen generate (bundled subset)", |b| {
        b.iter(|| generate(&Options::default()).expect("generation succeeds"));
    });
    group.bench_function("windows-bindgen alone (full Win32 metadata)", |b| {
        b.iter(|| {
            windows_bindgen::builder()
                .input(&upstream)
                .output(&out)
                .flat()
                .filters(&filters)
                .write()
        });
    });
    group.finish();
}

criterion_group!(benches, default_selection);
criterion_main!(benches);
