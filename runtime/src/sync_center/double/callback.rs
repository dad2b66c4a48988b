//! The double as Sync Center's `ISyncMgrSyncCallback`: what a handler reports during
//! `Synchronize` (progress, events, cancellation queries, additional items), recorded and
//! checked against the session's rules (see the table in [`super`]).

use super::*;

impl SyncMgrSyncCallback for Host<'_> {
    fn report_progress(
        &self,
        item_id: &str,
        progress_text: &str,
        status: SyncmgrProgressStatus,
        current_step: u32,
        max_step: u32,
    ) -> Result<SyncmgrCancelRequest> {
        let mut state = self.double.state();
        let result = if !state.is_known(item_id) {
            Err(refused(
                E_INVALIDARG,
                &contracts::SYNCMGR_SESSION_CAN_CONTINUE_UNKNOWN_ITEM,
                &format!("ReportProgress for {item_id:?}, an item unknown to Sync Center"),
            ))
        } else if state.final_status.contains_key(item_id)
            && status != SyncmgrProgressStatus::Failed
        {
            state
                .final_status
                .insert(item_id.to_string(), SyncmgrProgressStatus::Failed);
            Err(refused(
                E_ACCESSDENIED,
                &contracts::SYNC_CENTER_REPORT_PROGRESS_AFTER_FINAL_STATUS,
                &format!("{status:?} reported for {item_id:?} after its completion status"),
            ))
        } else {
            if status == SyncmgrProgressStatus::Succeeded
                && (state.all_canceled || state.canceled.contains(item_id))
            {
                // The page asks for CANCELED after a cancel request; accepted (as Sync Center
                // would), and recorded for `cancel_ignored`.
                state.cancel_ignored.push(item_id.to_string());
            }
            if matches!(
                status,
                SyncmgrProgressStatus::Succeeded
                    | SyncmgrProgressStatus::Failed
                    | SyncmgrProgressStatus::Canceled
            ) {
                state.final_status.insert(item_id.to_string(), status);
            }
            *state.reports.entry(item_id.to_string()).or_insert(0) += 1;
            state.total_reports += 1;
            state.apply_scripts();
            Ok(state.cancel_request(Some(item_id)))
        };
        let cancel = result
            .as_ref()
            .copied()
            .unwrap_or(SyncmgrCancelRequest::None);
        state.transcript.push(Call::ReportProgress {
            item_id: item_id.to_string(),
            text: progress_text.to_string(),
            status,
            current: current_step,
            max: max_step,
            answer: answer_of(&result),
            cancel,
        });
        result
    }

    fn set_handler_progress_text(&self, progress_text: &str) -> Result<SyncmgrCancelRequest> {
        let mut state = self.double.state();
        let cancel = state.cancel_request(None);
        state.transcript.push(Call::SetHandlerProgressText {
            text: progress_text.to_string(),
            cancel,
        });
        Ok(cancel)
    }

    fn report_event(
        &self,
        item_id: &str,
        level: SyncmgrEventLevel,
        flags: SYNCMGR_EVENT_FLAGS,
        name: &str,
        description: &str,
        link_text: Option<&str>,
        link_reference: Option<&str>,
        context: &str,
    ) -> Result<GUID> {
        let mut state = self.double.state();
        state.events += 1;
        let event_id = GUID::from_u128(state.events);
        state.transcript.push(Call::ReportEvent {
            item_id: item_id.to_string(),
            level,
            flags,
            name: name.to_string(),
            description: description.to_string(),
            link_text: link_text.map(str::to_string),
            link_reference: link_reference.map(str::to_string),
            context: context.to_string(),
            event_id,
        });
        Ok(event_id)
    }

    fn can_continue(&self, item_id: Option<&str>) -> Result<HRESULT> {
        let mut state = self.double.state();
        let answer = match item_id {
            None | Some("") => {
                if state.all_canceled {
                    S_FALSE
                } else {
                    S_OK
                }
            }
            Some(item) if !state.is_known(item) => E_INVALIDARG,
            Some(item) => {
                if state.all_canceled || state.canceled.contains(item) {
                    S_FALSE
                } else {
                    S_OK
                }
            }
        };
        state.transcript.push(Call::CanContinue {
            item_id: item_id.map(str::to_string),
            answer,
        });
        if answer == E_INVALIDARG {
            return Err(refused(
                E_INVALIDARG,
                &contracts::SYNCMGR_SESSION_CAN_CONTINUE_UNKNOWN_ITEM,
                &format!("CanContinue for {item_id:?}, an item unknown to Sync Center"),
            ));
        }
        Ok(answer)
    }

    fn query_for_additional_items(
        &self,
    ) -> Result<(HRESULT, Option<IEnumString>, Option<IEnumUnknown>)> {
        let mut state = self.double.state();
        let answer = if state.pending_ids.is_empty() {
            S_FALSE
        } else {
            S_OK
        };
        state
            .transcript
            .push(Call::QueryForAdditionalItems { answer });
        if answer == S_FALSE {
            return Ok((S_FALSE, None, None));
        }
        let ids = additional_items::string_enumerator(state.pending_ids.clone());
        let punks = (!state.pending_punks.is_empty())
            .then(|| additional_items::unknown_enumerator(state.pending_punks.clone()));
        Ok((S_OK, Some(ids), punks))
    }

    fn add_item_to_session(&self, item_id: &str) -> Result<()> {
        let mut state = self.double.state();
        let result = if state.is_known(item_id) {
            Err(refused(
                E_INVALIDARG,
                &contracts::SYNC_CENTER_ADD_ITEM_TO_SESSION_ALREADY_IN_SESSION,
                &format!("{item_id:?} is already part of the session"),
            ))
        } else {
            state.items.push(item_id.to_string());
            Ok(())
        };
        state.transcript.push(Call::AddItemToSession {
            item_id: item_id.to_string(),
            answer: answer_of(&result),
        });
        result
    }

    fn add_i_unknown_to_session(&self, _punk: &IUnknown) -> Result<()> {
        self.double.record(Call::AddIUnknownToSession);
        Ok(())
    }

    fn propose_item(&self, new_item: &ISyncMgrSyncItem) -> Result<()> {
        // GetItemID runs before the lock is taken: the item may call back into the double.
        let id = Self::proposed_id(new_item);
        let mut state = self.double.state();
        let result = match &id {
            Err(error) => Err(error.clone()),
            Ok(id) => Self::check_proposed_id(id).and_then(|()| {
                if state.is_known(id) || state.proposed.contains_key(id) {
                    Err(refused(
                        E_INVALIDARG,
                        &contracts::SYNC_CENTER_PROPOSE_ITEM_ALREADY_EXISTS,
                        &format!("an item with the id {id:?} already exists"),
                    ))
                } else {
                    state.proposed.insert(id.clone(), new_item.clone());
                    Ok(())
                }
            }),
        };
        state.transcript.push(Call::ProposeItem {
            item_id: id.ok(),
            answer: answer_of(&result),
        });
        result
    }

    fn commit_item(&self, item_id: &str) -> Result<()> {
        let mut state = self.double.state();
        let result = if state.is_known(item_id) {
            Err(refused(
                E_INVALIDARG,
                &contracts::SYNC_CENTER_COMMIT_ITEM_NOT_PROPOSED,
                &format!("{item_id:?} is already part of the session"),
            ))
        } else if state.proposed.remove(item_id).is_none() {
            Err(refused(
                E_INVALIDARG,
                &contracts::SYNC_CENTER_COMMIT_ITEM_NOT_PROPOSED,
                &format!("{item_id:?} was not proposed with ProposeItem"),
            ))
        } else {
            state.items.push(item_id.to_string());
            Ok(())
        };
        state.transcript.push(Call::CommitItem {
            item_id: item_id.to_string(),
            answer: answer_of(&result),
        });
        result
    }

    fn report_manual_sync(&self) -> Result<()> {
        self.double.record(Call::ReportManualSync);
        Ok(())
    }
}
