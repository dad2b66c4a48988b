//! Two in-memory key/value replicas and a folder replica: A → B and B → A with a conflict the
//! application merges, then A → the folder; the contents of all three after each step.

use std::process::ExitCode;

use windows_core::Result;
use winsync::bindings::{IKnowledgeSyncProvider, ISyncCallback, SRA_MERGE};
use winsync::framework::callback::DerivedCallback;
use winsync::framework::driver::{SyncOptions, synchronize};
use winsync::framework::provider::DerivedProvider;
use winsync_example_kv_replica::{KvReplica, Reporter, folder_replica};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "kv-replica: {error} (HRESULT 0x{:08X})",
                error.code().0 as u32
            );
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let a = KvReplica::new(1, 2)?.into_object();
    let b = KvReplica::new(2, 2)?.into_object();
    a.provider().put("color", "red")?;
    a.provider().put("owner", "alice")?;
    b.provider().put("shape", "round")?;
    let reporter = Reporter::new(SRA_MERGE, true).into_object();
    let callback: ISyncCallback = reporter.to_interface();
    let (pa, pb): (IKnowledgeSyncProvider, IKnowledgeSyncProvider) =
        (a.to_interface(), b.to_interface());
    let sync =
        |from: &IKnowledgeSyncProvider, to: &IKnowledgeSyncProvider, name: &str| -> Result<()> {
            println!("synchronizing {name}");
            let report = synchronize(from, to, Some(&callback), &SyncOptions::default())?;
            println!(
                "  {} batch(es), {} change(s) applied",
                report.batches, report.changes_applied
            );
            Ok(())
        };
    sync(&pa, &pb, "A → B")?;
    // Both change `color` before they meet again: a conflict, merged by the application.
    a.provider().put("color", "blue")?;
    b.provider().put("color", "green")?;
    sync(&pa, &pb, "A → B")?;
    sync(&pb, &pa, "B → A")?;
    println!(
        "A: {:?}\nB: {:?}",
        a.provider().values(),
        b.provider().values()
    );

    let folder = std::env::temp_dir().join(format!("kv-replica-{}", std::process::id()));
    let files = folder_replica(3, &folder, 10)?;
    let pf: IKnowledgeSyncProvider = files.to_interface();
    sync(&pa, &pf, "A → folder")?;
    let in_files = files.provider().store().values();
    println!("folder {}: {in_files:?}", folder.display());
    let _ = std::fs::remove_dir_all(&folder);
    if a.provider().values() == b.provider().values() && in_files == a.provider().values() {
        println!(
            "the three replicas agree ({} conflict(s) merged)",
            reporter.callback().conflicts()
        );
        Ok(())
    } else {
        Err(windows_core::Error::new(
            winsync::bindings::E_FAIL,
            "the replicas disagree",
        ))
    }
}
