//! Makes a source and a destination folder under the system's temporary folder with a few
//! files, then runs the folder-sync handler's `Synchronize` through its `ISyncMgrHandler`
//! vtable against `winsync::sync_center::double::SyncCenterDouble` (a stand-in for Sync Center,
//! which only exists on Windows), and prints what Sync Center was told and the destination.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use windows_core::{HRESULT, Interface, PCWSTR, PWSTR};
use winsync::bindings::{HWND, ISyncMgrHandler, ISyncMgrSessionCreator};
use winsync::com::abi::take_co_task_wide;
use winsync::sync_center::double::{Call, SyncCenterDouble};
use winsync::sync_center::handler::DerivedHandler;
use winsync_example_folder_sync::{CHUNK_BYTES, FolderSync};

fn main() -> ExitCode {
    let root = std::env::temp_dir().join(format!("winsync-folder-sync-{}", std::process::id()));
    let result = run(&root);
    // Best effort: the folders are only a demonstration.
    let _ = fs::remove_dir_all(&root);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("folder-sync: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(root: &Path) -> Result<(), String> {
    let source = root.join("source");
    let destination = root.join("destination");
    for folder in [&source, &destination] {
        fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    let files: [(&str, Vec<u8>); 4] = [
        ("notes.txt", b"remember the milk\n".to_vec()),
        ("empty.log", Vec::new()),
        (
            "photo.raw",
            (0..CHUNK_BYTES * 2 + 1000).map(|i| i as u8).collect(),
        ),
        (
            &"x".repeat(70),
            b"a name longer than an item id may be".to_vec(),
        ),
    ];
    for (name, contents) in &files {
        let path = source.join(name);
        fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    println!("source:      {}", source.display());
    println!("destination: {}", destination.display());

    let handler = FolderSync::new(&source, &destination);
    let items = handler
        .items()
        .map_err(|e| format!("cannot list {}: {e}", source.display()))?;
    println!("\nitems: {}", items.ids.join(", "));
    for skipped in &items.skipped {
        println!("skipped: {:?} ({:?})", skipped.name, skipped.reason);
    }

    let handler: ISyncMgrHandler = handler.into_handler();
    println!(
        "handler name: {}",
        name(&handler).map_err(|e| format!("GetName: {e}"))?
    );

    // Sync Center knows the handler's items; the double stands in for it.
    let ids: Vec<&str> = items.ids.iter().map(String::as_str).collect();
    let sync_center = SyncCenterDouble::new(&ids);
    let hr = synchronize(&handler, &ids, &sync_center.to_interface());
    println!("\nSynchronize: 0x{:08X}", hr.0 as u32);

    println!("\nwhat Sync Center was told:");
    for call in sync_center.transcript() {
        println!("  {}", describe(&call));
    }
    println!("\nfinal status per item:");
    for id in &ids {
        println!("  {id}: {:?}", sync_center.final_status(id));
    }
    println!("\ndestination:");
    for (name, size) in
        listing(&destination).map_err(|e| format!("cannot list {}: {e}", destination.display()))?
    {
        println!("  {name} ({size} bytes)");
    }
    hr.ok().map_err(|e| format!("Synchronize failed: {e}"))
}

/// `ISyncMgrHandler::GetName` through the vtable; the string is freed with `CoTaskMemFree`.
fn name(handler: &ISyncMgrHandler) -> windows_core::Result<String> {
    let mut name = PWSTR::null();
    // SAFETY: `handler` is live and `name` a writable out-pointer.
    unsafe { (handler.vtable().GetName)(handler.as_raw(), &mut name) }.ok()?;
    // SAFETY: GetName handed over a CoTaskMemAlloc string.
    unsafe { take_co_task_wide(name) }
}

/// `ISyncMgrHandler::Synchronize` through the vtable, as Sync Center calls it: wide item ids,
/// no owner window, no `IUnknown`.
fn synchronize(
    handler: &ISyncMgrHandler,
    ids: &[&str],
    creator: &ISyncMgrSessionCreator,
) -> HRESULT {
    let wide: Vec<Vec<u16>> = ids
        .iter()
        .map(|id| id.encode_utf16().chain(std::iter::once(0)).collect())
        .collect();
    let pointers: Vec<PCWSTR> = wide.iter().map(|id| PCWSTR(id.as_ptr())).collect();
    // SAFETY: every pointer is live for the call; `pointers` holds `ids.len()` strings.
    unsafe {
        (handler.vtable().Synchronize)(
            handler.as_raw(),
            pointers.as_ptr(),
            pointers.len() as u32,
            HWND::default(),
            creator.as_raw(),
            std::ptr::null_mut(),
        )
    }
}

/// One transcript line.
fn describe(call: &Call) -> String {
    match call {
        Call::CreateSession {
            handler_id,
            item_ids,
        } => format!("CreateSession({handler_id}, [{}])", item_ids.join(", ")),
        Call::ReportProgress {
            item_id,
            text,
            status,
            current,
            max,
            answer,
            cancel,
        } => format!(
            "ReportProgress({item_id}, {status:?} {current}/{max}, {text:?}) -> 0x{:08X}, {cancel:?}",
            answer.0 as u32
        ),
        Call::ReportEvent {
            item_id,
            level,
            name,
            description,
            ..
        } => format!("ReportEvent({item_id}, {level:?}, {name:?}, {description:?})"),
        Call::CanContinue { item_id, answer } => {
            format!("CanContinue({item_id:?}) -> 0x{:08X}", answer.0 as u32)
        }
        other => format!("{other:?}"),
    }
}

/// The files of `folder`, sorted, with their sizes.
fn listing(folder: &PathBuf) -> std::io::Result<Vec<(String, u64)>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        files.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.metadata()?.len(),
        ));
    }
    files.sort();
    Ok(files)
}
