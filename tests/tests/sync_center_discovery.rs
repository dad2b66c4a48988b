//! Sync Center's discovery path, walked by the checking double
//! (`winsync::sync_center::double::discovery`) through the real vtables: a good collection is
//! enumerated, bound, read and synchronized without a broken rule; each check of the walk
//! catches the collection (or handler) that breaks it; a failure within the contract is a
//! failure, not a broken rule.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync_center_fixtures;

use sync_center_fixtures::{Device, Loose, Raw, RawCollection, names, scripted_ids, steps};
use winsync::bindings::{E_FAIL, ISyncMgrHandler, ISyncMgrHandlerCollection, S_FALSE, S_OK};
use winsync::contract::Rule;
use winsync::contracts as rules;
use winsync::skeletons::{SyncmgrHandlerType, SyncmgrProgressStatus};
use winsync::sync_center::collection::HandlerCollection;
use winsync::sync_center::double::discovery::{Discovery, discover};

/// The two partnerships of the SDK sample's device, as a winsync collection.
fn partnerships() -> ISyncMgrHandlerCollection {
    HandlerCollection::new()
        .handler("{partner-1}", || {
            Ok(Device::new("{partner-1}", &["music", "photos"]))
        })
        .unwrap()
        .handler("{partner-2}", || {
            Ok(Device::new("{partner-2}", &["contacts"]))
        })
        .unwrap()
        .into()
}

/// The ids of the rules `discovery` broke.
fn broken(discovery: &Discovery) -> Vec<&'static str> {
    discovery
        .broken
        .iter()
        .map(|broken| broken.rule.id)
        .collect()
}

fn assert_breaks(discovery: &Discovery, rule: &Rule) {
    assert!(
        discovery.breaks(rule),
        "{} not broken: {discovery:?}",
        rule.id
    );
    let error = discovery.check().unwrap_err();
    assert_eq!(error.code(), E_FAIL);
    names(&error, rule.id);
}

/// A collection that enumerates `steps` and binds each of `ids` to a [`Device`].
fn loose(
    steps: Vec<sync_center_fixtures::Step>,
    ids: &'static [&'static str],
) -> ISyncMgrHandlerCollection {
    let steps = std::sync::Mutex::new(Some(steps));
    Loose {
        ids: Box::new(move || scripted_ids(steps.lock().unwrap().take().unwrap_or_default())),
        bind: Box::new(move |id| ids.contains(&id).then(|| Device::new(id, &["only"]).into())),
    }
    .into()
}

#[test]
fn a_good_collection_is_found_bound_read_and_synchronized_without_a_broken_rule() {
    let mut discovery = discover(&partnerships());
    assert_eq!(discovery.ids, ["{partner-1}", "{partner-2}"]);
    assert!(discovery.failures.is_empty(), "{:?}", discovery.failures);
    let first = discovery.handler("{partner-1}").unwrap();
    assert_eq!(first.name.as_deref(), Some("Device {partner-1}"));
    assert_eq!(first.handler_type, Some(SyncmgrHandlerType::Device));
    assert_eq!(first.type_label.as_deref(), Some("Sample device"));
    let items: Vec<_> = first.items.iter().map(|item| item.id.as_str()).collect();
    assert_eq!(items, ["music", "photos"]);
    assert_eq!(
        first.items[0].name.as_deref(),
        Some("Item music"),
        "the item's GetName"
    );

    discovery.synchronize();
    discovery.check().unwrap();
    assert_eq!(discovery.synchronized.len(), 2);
    for run in &discovery.synchronized {
        assert_eq!(run.answer, S_OK, "{run:?}");
        for item in &run.item_ids {
            assert_eq!(
                run.sync_center.final_status(item),
                Some(SyncmgrProgressStatus::Succeeded),
                "{run:?}"
            );
        }
    }
}

#[test]
fn a_collection_without_handlers_is_found_empty() {
    let discovery = discover(&HandlerCollection::new().into());
    assert!(discovery.ids.is_empty() && discovery.handlers.is_empty());
    discovery.check().unwrap();
}

#[test]
fn empty_overlong_and_repeated_ids_break_the_id_rule_and_are_not_bound() {
    let long = "x".repeat(64);
    let mut script = steps(&["a", "a", ""]);
    script.push((S_OK, Some(long), 1));
    script.extend(steps(&["b"]));
    let discovery = discover(&loose(script, &["a", "b"]));
    assert_eq!(discovery.ids, ["a", "b"], "each usable id once");
    assert_eq!(discovery.handlers.len(), 2);
    assert_eq!(
        broken(&discovery),
        [rules::SYNC_CENTER_DISCOVERY_HANDLER_IDS.id; 3],
        "the repeat, the empty id, the long id"
    );
    assert_breaks(&discovery, &rules::SYNC_CENTER_DISCOVERY_HANDLER_IDS);
}

#[test]
fn an_id_of_the_longest_length_is_usable() {
    let longest: &'static str = Box::leak("y".repeat(63).into_boxed_str());
    let ids: &'static [&'static str] = Box::leak(vec![longest].into_boxed_slice());
    let discovery = discover(&loose(steps(ids), ids));
    discovery.check().unwrap();
    assert_eq!(discovery.ids, [longest]);
}

#[test]
fn next_answering_s_ok_without_an_id_breaks_the_enumerator_rule() {
    let script = vec![(S_OK, None, 0)];
    let discovery = discover(&loose(script, &[]));
    assert_breaks(&discovery, &rules::SYNC_CENTER_DISCOVERY_ENUMERATOR_NEXT);
}

#[test]
fn next_answering_s_false_with_an_id_breaks_the_enumerator_rule() {
    let script = vec![(S_FALSE, Some("a".to_string()), 1)];
    let discovery = discover(&loose(script, &["a"]));
    assert_breaks(&discovery, &rules::SYNC_CENTER_DISCOVERY_ENUMERATOR_NEXT);
    assert_eq!(
        discovery.ids,
        ["a"],
        "the id it did hand out is still read (and freed)"
    );
}

#[test]
fn a_failing_next_is_a_failure_not_a_broken_rule() {
    let mut script = steps(&["a"]);
    script.push((E_FAIL, None, 0));
    let discovery = discover(&loose(script, &["a"]));
    discovery.check().unwrap();
    assert_eq!(discovery.ids, ["a"]);
    assert!(
        discovery
            .failures
            .iter()
            .any(|f| f.call == "IEnumString::Next" && f.code == E_FAIL),
        "{:?}",
        discovery.failures
    );
}

#[test]
fn a_collection_that_binds_an_id_it_never_enumerated_breaks_the_unknown_id_rule() {
    let anything: ISyncMgrHandlerCollection = Loose {
        ids: Box::new(|| scripted_ids(steps(&["a"]))),
        bind: Box::new(|id| Some(Device::new(id, &["only"]).into())),
    }
    .into();
    let discovery = discover(&anything);
    assert_eq!(
        broken(&discovery),
        [rules::SYNC_CENTER_DISCOVERY_UNKNOWN_ID_FAILS.id]
    );
}

#[test]
fn a_failing_get_handler_enumerator_that_leaves_its_out_pointer_breaks_the_null_rule() {
    let raw = RawCollection::new(Raw::FailUntouched, Raw::Behave, &[]);
    let discovery = discover(&raw.interface());
    assert_breaks(&discovery, &rules::SYNC_CENTER_DISCOVERY_NULL_ON_FAILURE);
    assert_eq!(discovery.failures[0].call, "GetHandlerEnumerator");
}

#[test]
fn a_failing_bind_to_handler_that_leaves_its_out_pointer_breaks_the_null_rule() {
    let raw = RawCollection::new(Raw::Behave, Raw::FailUntouched, &["a"]);
    let discovery = discover(&raw.interface());
    // Once for "a", once for the unknown id.
    assert_eq!(
        broken(&discovery),
        [rules::SYNC_CENTER_DISCOVERY_NULL_ON_FAILURE.id; 2]
    );
    assert!(discovery.handlers.is_empty());
}

#[test]
fn a_successful_call_without_an_interface_breaks_the_interface_rule() {
    let raw = RawCollection::new(Raw::SucceedWithNull, Raw::Behave, &[]);
    let discovery = discover(&raw.interface());
    assert_breaks(
        &discovery,
        &rules::SYNC_CENTER_DISCOVERY_INTERFACE_ON_SUCCESS,
    );

    let raw = RawCollection::new(Raw::Behave, Raw::SucceedWithNull, &["a"]);
    let discovery = discover(&raw.interface());
    assert!(discovery.breaks(&rules::SYNC_CENTER_DISCOVERY_INTERFACE_ON_SUCCESS));
    assert!(
        discovery.breaks(&rules::SYNC_CENTER_DISCOVERY_UNKNOWN_ID_FAILS),
        "S_OK for the unknown id too"
    );
}

#[test]
fn a_well_behaved_raw_collection_breaks_nothing() {
    let raw = RawCollection::new(Raw::Behave, Raw::Behave, &["a", "b"]);
    let mut discovery = discover(&raw.interface());
    discovery.synchronize();
    discovery.check().unwrap();
    assert_eq!(discovery.handlers.len(), 2);
}

#[test]
fn a_session_created_under_another_id_breaks_the_session_rule() {
    let collection: ISyncMgrHandlerCollection = HandlerCollection::new()
        .handler("{partner-1}", || {
            Ok(Device::new("{partner-1}", &["music"]).reporting_as("my-device"))
        })
        .unwrap()
        .into();
    let mut discovery = discover(&collection);
    discovery.check().unwrap();
    discovery.synchronize();
    assert_eq!(
        broken(&discovery),
        [rules::SYNC_CENTER_DISCOVERY_SESSION_HANDLER_ID.id]
    );
    assert!(discovery.broken[0].detail.contains("my-device"));
}

#[test]
fn a_handler_without_a_name_is_a_failure_sync_center_hides_not_a_broken_rule() {
    let collection: ISyncMgrHandlerCollection = HandlerCollection::new()
        .handler("a", || Ok(Device::new("a", &["one"]).nameless()))
        .unwrap()
        .into();
    let discovery = discover(&collection);
    discovery.check().unwrap();
    let handler = discovery.handler("a").unwrap();
    assert_eq!(handler.name, None);
    assert!(
        discovery
            .failures
            .iter()
            .any(|f| f.call == r#"GetName of "a""# && f.code == E_FAIL),
        "{:?}",
        discovery.failures
    );
}

#[test]
fn a_collection_whose_binding_fails_is_a_failure_and_the_handler_is_missing() {
    let collection: ISyncMgrHandlerCollection = HandlerCollection::new()
        .handler("a", || -> windows_core::Result<ISyncMgrHandler> {
            Err(windows_core::Error::new(E_FAIL, "device unplugged"))
        })
        .unwrap()
        .into();
    let discovery = discover(&collection);
    discovery.check().unwrap();
    assert!(discovery.handlers.is_empty());
    let failure = &discovery.failures[0];
    assert_eq!(
        (failure.call.as_str(), failure.code),
        (r#"BindToHandler("a")"#, E_FAIL)
    );
}

/// An item whose capabilities ask Sync Center to query it before it is enabled or disabled
/// keeps its own state: its info's `IsEnabled` answers S_OK or S_FALSE
/// (`handler.sync-item-info.is-enabled.query-before`).
#[test]
fn an_item_that_keeps_its_state_answers_s_ok_or_s_false() {
    use winsync::bindings::{SYNCMGR_ICM_NONE, SYNCMGR_ICM_QUERY_BEFORE_ENABLE};
    let rule = &rules::HANDLER_SYNC_ITEM_INFO_IS_ENABLED_QUERY_BEFORE;
    let found = |capabilities, enabled| {
        let collection: ISyncMgrHandlerCollection = HandlerCollection::new()
            .handler("{d}", move || {
                Ok(Device::with_item("{d}", "one", capabilities, enabled))
            })
            .unwrap()
            .into();
        discover(&collection)
    };
    assert!(!found(SYNCMGR_ICM_NONE, None).breaks(rule));
    assert_breaks(&found(SYNCMGR_ICM_QUERY_BEFORE_ENABLE, None), rule);
    assert!(!found(SYNCMGR_ICM_QUERY_BEFORE_ENABLE, Some(S_FALSE)).breaks(rule));
    assert!(!found(SYNCMGR_ICM_QUERY_BEFORE_ENABLE, Some(S_OK)).breaks(rule));
}
