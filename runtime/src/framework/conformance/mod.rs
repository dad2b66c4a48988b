//! A conformance suite for `IKnowledgeSyncProvider` implementations: it drives fresh provider
//! objects through correct and incorrect call orders, through their vtables, and reports each
//! session-contract rule kept or broken, with the rule's source page.
//!
//! It works on any provider: one made with `#[derive(SyncProvider)]` keeps every rule it
//! checks; a hand-written one shows what it misses. Every scenario uses a new provider (from
//! the factory it is given) and a new [`SessionState`], and ends every session it opened.
//!
//! The knowledge and change batches handed to the provider are real: empty knowledge of a
//! stand-in remote replica in the provider's ID formats ([`crate::framework::knowledge`];
//! `GUID_GID` formats when the provider reports none it can use), and a last batch from it
//! with one empty ordered group and a data retriever ([`crate::framework::batch`]), so a
//! provider that goes on to use them gets real answers; `ProcessFullEnumerationChangeBatch` gets
//! a real last full-enumeration batch from the smallest item ID the same way.

pub mod stand_ins;

use std::fmt;
use std::sync::Arc;

use windows_core::{ComObject, HRESULT, IUnknown, IUnknown_Vtbl, Interface};

use crate::bindings::ID_PARAMETERS;
use crate::bindings::{
    CRP_NONE, E_INVALIDARG, E_POINTER, IKnowledgeSyncProvider, ISyncCallback, ISyncChangeBatch,
    ISyncFullEnumerationChangeBatch, ISyncKnowledge, ISyncSessionState, SPR_DESTINATION,
    SPR_SOURCE, SYNC_PROVIDER_ROLE, SYNC_SESSION_STATISTICS,
};
use crate::contract::Rule;
use crate::contracts as rules;
use crate::framework::batch;
use crate::framework::callback::{CallbackObject, NullCallback};
use crate::framework::knowledge;
use crate::framework::replica::data;
use crate::framework::session_state::SessionState;
use crate::hresults::{SYNC_E_INVALID_OPERATION, hresult_name};
use stand_ins::{LastChangeBatch, NullKnowledge, NullRetriever};
use winsync_engine::batch::ChangeBatch;
use winsync_engine::{IdFormats, Knowledge};

/// What the suite found for one rule in one scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule checked.
    pub rule: &'static Rule,
    /// `None` when the provider kept it; else what it did instead.
    pub broken: Option<String>,
}

/// Every finding of a run, in the order checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConformanceReport {
    /// One entry per rule per scenario.
    pub findings: Vec<Finding>,
}

impl ConformanceReport {
    /// The rules broken, with what happened.
    pub fn violations(&self) -> impl Iterator<Item = (&'static Rule, &str)> {
        self.findings
            .iter()
            .filter_map(|f| f.broken.as_deref().map(|detail| (f.rule, detail)))
    }

    /// The ids of the rules broken, in order, each once.
    pub fn broken_rule_ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = Vec::new();
        for (rule, _) in self.violations() {
            if !ids.contains(&rule.id) {
                ids.push(rule.id);
            }
        }
        ids
    }

    /// Whether every rule checked was kept.
    pub fn is_conformant(&self) -> bool {
        self.violations().next().is_none()
    }

    fn check(&mut self, rule: &'static Rule, kept: bool, detail: impl FnOnce() -> String) {
        self.findings.push(Finding {
            rule,
            broken: (!kept).then(detail),
        });
    }
}

impl fmt::Display for ConformanceReport {
    /// One line per finding: `kept` or `BROKEN`, the rule id, its source, and for a broken rule
    /// what the provider did.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            match &finding.broken {
                None => writeln!(f, "kept    {} ({})", finding.rule.id, finding.rule.source)?,
                Some(detail) => writeln!(
                    f,
                    "BROKEN  {} ({}): {detail}",
                    finding.rule.id, finding.rule.source
                )?,
            }
        }
        Ok(())
    }
}

/// `S_OK`, `SYNC_E_INVALID_OPERATION`, or the code in hex.
fn show(code: HRESULT) -> String {
    match code.0 {
        0 => "S_OK".to_string(),
        _ if code == E_INVALIDARG => "E_INVALIDARG".to_string(),
        _ if code == E_POINTER => "E_POINTER".to_string(),
        _ => hresult_name(code).map_or_else(|| format!("0x{:08X}", code.0 as u32), str::to_string),
    }
}

/// The raw calls of the suite: through the vtable, as a Sync Framework session makes them.
struct Calls<'a> {
    provider: &'a IKnowledgeSyncProvider,
}

impl Calls<'_> {
    fn begin(&self, role: SYNC_PROVIDER_ROLE, state: Option<&ISyncSessionState>) -> HRESULT {
        let state = state.map_or(std::ptr::null_mut(), Interface::as_raw);
        unsafe { (self.provider.vtable().BeginSession)(self.provider.as_raw(), role, state) }
    }

    fn end(&self, state: &ISyncSessionState) -> HRESULT {
        unsafe { (self.provider.vtable().EndSession)(self.provider.as_raw(), state.as_raw()) }
    }

    /// Ends a session the suite opened, as clean-up: what EndSession answers is checked by the
    /// scenarios about it.
    fn close(&self, state: &ISyncSessionState) {
        let _ = self.end(state);
    }

    /// The provider's ID formats, or `GUID_GID` when it reports none the engine accepts.
    fn formats(&self) -> IdFormats {
        let mut parameters = ID_PARAMETERS {
            dwSize: u32::try_from(size_of::<ID_PARAMETERS>()).unwrap_or(u32::MAX),
            ..Default::default()
        };
        let hr = unsafe {
            (self.provider.vtable().base__.GetIdParameters)(self.provider.as_raw(), &mut parameters)
        };
        hr.ok()
            .and_then(|()| knowledge::formats_of(&parameters))
            .unwrap_or(IdFormats::GUID_GID)
    }

    /// Empty knowledge of a stand-in remote replica, in the provider's ID formats.
    fn remote_knowledge(&self) -> ISyncKnowledge {
        let formats = self.formats();
        let owner = vec![0x5A; formats.replica.min_data()];
        match Knowledge::new(formats, &owner) {
            Ok(empty) => knowledge::to_com(empty),
            // Unreachable with formats the engine accepted; a stand-in all the same.
            Err(_) => ComObject::new(NullKnowledge).to_interface(),
        }
    }

    fn get_change_batch(&self) -> HRESULT {
        let knowledge = self.remote_knowledge();
        let (mut batch, mut retriever) = (std::ptr::null_mut(), std::ptr::null_mut());
        let hr = unsafe {
            (self.provider.vtable().GetChangeBatch)(
                self.provider.as_raw(),
                10,
                knowledge.as_raw(),
                &mut batch,
                &mut retriever,
            )
        };
        release(batch);
        release(retriever);
        hr
    }

    fn get_full_enumeration_change_batch(&self) -> HRESULT {
        let knowledge = self.remote_knowledge();
        let format = self.formats().item;
        // The smallest item ID, in its wire form.
        let bound = format.to_wire(&format.min_id());
        let (mut batch, mut retriever) = (std::ptr::null_mut(), std::ptr::null_mut());
        let hr = unsafe {
            (self.provider.vtable().GetFullEnumerationChangeBatch)(
                self.provider.as_raw(),
                10,
                bound.as_ptr(),
                knowledge.as_raw(),
                &mut batch,
                &mut retriever,
            )
        };
        release(batch);
        release(retriever);
        hr
    }

    /// A real last batch from the stand-in remote replica: one empty ordered group over every
    /// item, made with its (empty) knowledge; a full-enumeration batch from `lower` when given.
    /// `None` only for ID formats the engine refuses.
    fn remote_last_batch(&self, lower: Option<&[u8]>) -> Option<ChangeBatch> {
        let formats = self.formats();
        let owner = vec![0x5A; formats.replica.min_data()];
        (|| -> winsync_engine::Result<ChangeBatch> {
            let remote = Knowledge::new(formats, &owner)?;
            let destination = Arc::new(Knowledge::new(formats, &owner)?);
            let mut batch = match lower {
                Some(lower) => {
                    ChangeBatch::new_full_enumeration(formats, &owner, destination, None, lower)?
                }
                None => ChangeBatch::new(formats, &owner, destination, None)?,
            };
            batch.begin_ordered_group(None)?;
            batch.end_ordered_group(None, &remote)?;
            batch.set_last_batch();
            Ok(batch)
        })()
        .ok()
    }

    /// The stand-in remote replica's data retriever: it holds no item.
    fn remote_retriever(&self) -> IUnknown {
        data::retriever(
            self.formats(),
            Arc::new(|_: &[u8]| {
                Err(windows_core::Error::new(
                    E_INVALIDARG,
                    "the stand-in source holds no item",
                ))
            }),
        )
        .into()
    }

    /// [`Self::remote_last_batch`] as `ISyncChangeBatch`, with [`Self::remote_retriever`].
    fn remote_batch(&self) -> (ISyncChangeBatch, IUnknown) {
        match self
            .remote_last_batch(None)
            .and_then(|batch| batch::to_com(batch).cast::<ISyncChangeBatch>().ok())
        {
            Some(batch) => (batch, self.remote_retriever()),
            // Unreachable with formats the engine accepted; stand-ins all the same.
            None => (
                ComObject::new(LastChangeBatch).to_interface(),
                ComObject::new(NullRetriever).to_interface(),
            ),
        }
    }

    /// `ProcessFullEnumerationChangeBatch` with a last full-enumeration batch from the smallest
    /// item ID ([`Self::remote_last_batch`]); `None` when no batch could be made (then the
    /// scenario is not run).
    fn process_full_enumeration_change_batch(&self) -> Option<HRESULT> {
        let format = self.formats().item;
        let lower = format.to_wire(&format.min_id());
        let batch: ISyncFullEnumerationChangeBatch =
            batch::to_com(self.remote_last_batch(Some(&lower))?)
                .cast()
                .ok()?;
        let retriever = self.remote_retriever();
        let callback: ISyncCallback = CallbackObject::new(NullCallback).to_interface();
        let mut statistics = SYNC_SESSION_STATISTICS::default();
        Some(unsafe {
            (self.provider.vtable().ProcessFullEnumerationChangeBatch)(
                self.provider.as_raw(),
                CRP_NONE,
                batch.as_raw(),
                retriever.as_raw(),
                callback.as_raw(),
                &mut statistics,
            )
        })
    }

    fn process_change_batch(&self) -> HRESULT {
        let (batch, retriever) = self.remote_batch();
        let callback: ISyncCallback = CallbackObject::new(NullCallback).to_interface();
        let mut statistics = SYNC_SESSION_STATISTICS::default();
        unsafe {
            (self.provider.vtable().ProcessChangeBatch)(
                self.provider.as_raw(),
                CRP_NONE,
                batch.as_raw(),
                retriever.as_raw(),
                callback.as_raw(),
                &mut statistics,
            )
        }
    }

    fn get_sync_batch_parameters(&self, knowledge_out: bool) -> HRESULT {
        let mut knowledge = std::ptr::null_mut();
        let out = if knowledge_out {
            &mut knowledge as *mut _
        } else {
            std::ptr::null_mut()
        };
        let mut size = 0u32;
        let hr = unsafe {
            (self.provider.vtable().GetSyncBatchParameters)(self.provider.as_raw(), out, &mut size)
        };
        release(knowledge);
        hr
    }
}

/// Releases an interface pointer a provider wrote, if it wrote one.
fn release(pointer: *mut core::ffi::c_void) {
    if !pointer.is_null() {
        drop(unsafe { IUnknown::from_raw(pointer) });
    }
}

/// The object's current reference count, read through its own `AddRef`/`Release` (which
/// return the new count): what tests of reference handling compare before and after a call.
pub fn refcount(interface: &impl Interface) -> u32 {
    unsafe {
        let raw = interface.as_raw();
        let vtable = *(raw as *const *const IUnknown_Vtbl);
        ((*vtable).AddRef)(raw);
        ((*vtable).Release)(raw)
    }
}

fn new_state() -> ISyncSessionState {
    SessionState::new(None).to_interface()
}

/// Runs every scenario on providers made by `make` (called once per scenario).
pub fn check_provider(mut make: impl FnMut() -> IKnowledgeSyncProvider) -> ConformanceReport {
    let mut report = ConformanceReport::default();

    // EndSession without BeginSession (NF:winsync.IKnowledgeSyncProvider.EndSession).
    let provider = make();
    let calls = Calls {
        provider: &provider,
    };
    let hr = calls.end(&new_state());
    report.check(
        &rules::PROVIDER_END_SESSION_WITHOUT_BEGIN,
        hr == SYNC_E_INVALID_OPERATION,
        || format!("EndSession without BeginSession returned {}", show(hr)),
    );

    // BeginSession while a session is active.
    let provider = make();
    let calls = Calls {
        provider: &provider,
    };
    let (first, second) = (new_state(), new_state());
    let hr = calls.begin(SPR_SOURCE, Some(&first));
    report.check(&rules::PROVIDER_SESSION_ORDER, hr.is_ok(), || {
        format!("a first BeginSession returned {}", show(hr))
    });
    let hr = calls.begin(SPR_DESTINATION, Some(&second));
    report.check(
        &rules::PROVIDER_BEGIN_SESSION_ALREADY_ACTIVE,
        hr == SYNC_E_INVALID_OPERATION,
        || {
            format!(
                "a second BeginSession during a session returned {}",
                show(hr)
            )
        },
    );
    if hr.is_ok() {
        calls.close(&second);
    }
    calls.close(&first);

    // An invalid role and a null session state.
    let provider = make();
    let calls = Calls {
        provider: &provider,
    };
    let state = new_state();
    let hr = calls.begin(7, Some(&state));
    report.check(
        &rules::PROVIDER_BEGIN_SESSION_INVALID_ROLE,
        hr == E_INVALIDARG,
        || format!("BeginSession with role 7 returned {}", show(hr)),
    );
    if hr.is_ok() {
        calls.close(&state);
    }
    let hr = calls.begin(SPR_SOURCE, None);
    report.check(
        &rules::PROVIDER_BEGIN_SESSION_NULL_SESSION_STATE,
        hr == E_POINTER,
        || {
            format!(
                "BeginSession with a null session state returned {}",
                show(hr)
            )
        },
    );

    // EndSession with another session state: refused, and the session stays open.
    let provider = make();
    let calls = Calls {
        provider: &provider,
    };
    let (state, other) = (new_state(), new_state());
    if calls.begin(SPR_SOURCE, Some(&state)).is_ok() {
        let hr = calls.end(&other);
        let then = calls.end(&state);
        report.check(&rules::PROVIDER_END_SESSION_SAME_SESSION_STATE, hr.is_err() && then.is_ok(), || {
            format!(
                "EndSession with another session state returned {}, then EndSession with the session's own returned {}",
                show(hr),
                show(then)
            )
        });
    }

    // EndSession releases every reference to the session state.
    let provider = make();
    let calls = Calls {
        provider: &provider,
    };
    let state = new_state();
    let baseline = refcount(&state);
    if calls.begin(SPR_DESTINATION, Some(&state)).is_ok() {
        calls.close(&state);
        let after = refcount(&state);
        report.check(&rules::PROVIDER_END_SESSION_RELEASE_SESSION_STATE, after == baseline, || {
            format!("after EndSession the provider still holds {} reference(s) to the session state", after.saturating_sub(baseline))
        });
    }

    // Session methods outside a session.
    let provider = make();
    let calls = Calls {
        provider: &provider,
    };
    let hr = calls.get_change_batch();
    report.check(
        &rules::PROVIDER_GET_CHANGE_BATCH_OUTSIDE_SESSION,
        hr == SYNC_E_INVALID_OPERATION,
        || format!("GetChangeBatch outside a session returned {}", show(hr)),
    );
    let hr = calls.get_full_enumeration_change_batch();
    report.check(
        &rules::PROVIDER_GET_FULL_ENUMERATION_CHANGE_BATCH_OUTSIDE_SESSION,
        hr == SYNC_E_INVALID_OPERATION,
        || {
            format!(
                "GetFullEnumerationChangeBatch outside a session returned {}",
                show(hr)
            )
        },
    );
    let hr = calls.process_change_batch();
    report.check(
        &rules::PROVIDER_PROCESS_CHANGE_BATCH_OUTSIDE_SESSION,
        hr == SYNC_E_INVALID_OPERATION,
        || format!("ProcessChangeBatch outside a session returned {}", show(hr)),
    );
    if let Some(hr) = calls.process_full_enumeration_change_batch() {
        report.check(
            &rules::PROVIDER_PROCESS_FULL_ENUMERATION_CHANGE_BATCH_OUTSIDE_SESSION,
            hr == SYNC_E_INVALID_OPERATION,
            || {
                format!(
                    "ProcessFullEnumerationChangeBatch outside a session returned {}",
                    show(hr)
                )
            },
        );
    }
    // GetSyncBatchParameters is not session-bound; a null out-pointer is E_POINTER.
    let hr = calls.get_sync_batch_parameters(true);
    report.check(
        &rules::PROVIDER_GET_SYNC_BATCH_PARAMETERS_OUTSIDE_SESSION_ALLOWED,
        hr != SYNC_E_INVALID_OPERATION,
        || {
            format!(
                "GetSyncBatchParameters outside a session returned {}",
                show(hr)
            )
        },
    );
    let hr = calls.get_sync_batch_parameters(false);
    report.check(
        &rules::PROVIDER_GET_SYNC_BATCH_PARAMETERS_NULL_OUT_POINTER,
        hr == E_POINTER,
        || {
            format!(
                "GetSyncBatchParameters with a null ppSyncKnowledge returned {}",
                show(hr)
            )
        },
    );

    // Each role answers its own methods only.
    let provider = make();
    let calls = Calls {
        provider: &provider,
    };
    let state = new_state();
    if calls.begin(SPR_DESTINATION, Some(&state)).is_ok() {
        let hr = calls.get_change_batch();
        report.check(
            &rules::PROVIDER_ROLE_SOURCE_GET_CHANGE_BATCH,
            hr == SYNC_E_INVALID_OPERATION,
            || format!("GetChangeBatch on the destination returned {}", show(hr)),
        );
        let hr = calls.get_full_enumeration_change_batch();
        report.check(
            &rules::PROVIDER_ROLE_SOURCE_GET_FULL_ENUMERATION_CHANGE_BATCH,
            hr == SYNC_E_INVALID_OPERATION,
            || {
                format!(
                    "GetFullEnumerationChangeBatch on the destination returned {}",
                    show(hr)
                )
            },
        );
        calls.close(&state);
    }
    if calls.begin(SPR_SOURCE, Some(&state)).is_ok() {
        let hr = calls.process_change_batch();
        report.check(
            &rules::PROVIDER_ROLE_DESTINATION_PROCESS_CHANGE_BATCH,
            hr == SYNC_E_INVALID_OPERATION,
            || format!("ProcessChangeBatch on the source returned {}", show(hr)),
        );
        if let Some(hr) = calls.process_full_enumeration_change_batch() {
            report.check(
                &rules::PROVIDER_ROLE_DESTINATION_PROCESS_FULL_ENUMERATION_CHANGE_BATCH,
                hr == SYNC_E_INVALID_OPERATION,
                || {
                    format!(
                        "ProcessFullEnumerationChangeBatch on the source returned {}",
                        show(hr)
                    )
                },
            );
        }
        calls.close(&state);
    }

    report
}
