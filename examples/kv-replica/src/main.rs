//! Two key/value replicas with a few items each (some keys on both), synchronized A→B, then
//! B→A, through the session driver, with the progress of each session printed; then the
//! final contents of both.

use std::process::ExitCode;

use windows_core::Result;
use winsync::bindings::{IKnowledgeSyncProvider, ISyncCallback};
use winsync::framework::callback::DerivedCallback;
use winsync::framework::driver::{SyncOptions, synchronize};
use winsync::framework::provider::DerivedProvider;
use winsync_example_kv_replica::{KvReplica, ProgressPrinter, ReplicaId};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "kv-replica: synchronization failed: {error} (HRESULT 0x{:08X})",
                error.code().0 as u32
            );
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let a = KvReplica::new(ReplicaId(1)).into_object();
    let b = KvReplica::new(ReplicaId(2)).into_object();

    // Both write `color` and `size`: last writer wins, by the higher tick, then the higher
    // replica id. A's `size` (tick 2) beats B's (tick 1); B's `color` (tick 3) beats A's (tick 1).
    a.provider().put("color", "red");
    a.provider().put("size", "large");
    a.provider().put("owner", "alice");
    b.provider().put("size", "small");
    b.provider().put("shape", "round");
    b.provider().put("color", "green");

    print_replica("A", a.provider());
    print_replica("B", b.provider());

    let printer = ProgressPrinter::printing().into_object();
    let callback: ISyncCallback = printer.to_interface();
    let (a_provider, b_provider): (IKnowledgeSyncProvider, IKnowledgeSyncProvider) =
        (a.to_interface(), b.to_interface());

    for (name, source, destination) in [
        ("A → B", &a_provider, &b_provider),
        ("B → A", &b_provider, &a_provider),
    ] {
        println!("\nsynchronizing {name}");
        let report = synchronize(
            source,
            destination,
            Some(&callback),
            &SyncOptions::default(),
        )?;
        println!(
            "  {} batch(es) of up to {}, {} change(s) applied, {} failed",
            report.batches, report.batch_size, report.changes_applied, report.changes_failed
        );
    }

    println!();
    print_replica("A", a.provider());
    print_replica("B", b.provider());
    let same = a.provider().values() == b.provider().values();
    println!("\nthe replicas {}", if same { "agree" } else { "DISAGREE" });
    println!(
        "progress events recorded: {}",
        printer.callback().events().len()
    );
    if same {
        Ok(())
    } else {
        Err(windows_core::Error::new(
            winsync::bindings::E_FAIL,
            "the replicas hold different items after synchronizing both ways",
        ))
    }
}

fn print_replica(name: &str, replica: &KvReplica) {
    println!(
        "replica {name} ({}), knowledge {}:",
        replica.id(),
        replica.knowledge()
    );
    for (key, item) in replica.items() {
        println!("  {key:<6} = {:<7} (version {})", item.value, item.version);
    }
}
