//! What a change of a batch tells beyond `ISyncChange`: the prerequisite knowledge a destination
//! must have to apply it (`NN:winsync.ISyncChangeWithPrerequisite`) and, during recovery
//! synchronization, what the destination learns from it (`NN:winsync.ISyncFullEnumerationChange`).
//!
//! Every change object answers both interfaces; what it answers depends on where it comes from:
//! - a change of a batch answers the batch's prerequisite knowledge, and learned knowledge with
//!   that prerequisite: the change's learned knowledge kept where the destination's knowledge
//!   meets the prerequisite, as the batch's own method does
//!   (`NF:winsync.ISyncChangeWithPrerequisite.GetLearnedKnowledgeWithPrerequisite`);
//! - a change made outside a batch (the destination's version of an item in a conflict) has no
//!   prerequisite: `GetPrerequisiteKnowledge` answers S_FALSE and NULL,
//!   `GetLearnedKnowledgeWithPrerequisite` `SYNC_E_CHANGE_NEEDS_KNOWLEDGE`
//!   (`NF:winsync.ISyncChangeWithPrerequisite.GetPrerequisiteKnowledge`);
//! - only a change of a full-enumeration batch is in a recovery: any other answers
//!   `SYNC_E_INVALID_OPERATION` to `GetLearnedKnowledgeAfterRecoveryComplete`
//!   (`NF:winsync.ISyncFullEnumerationChange.GetLearnedKnowledgeAfterRecoveryComplete`), and
//!   S_FALSE and NULL to `GetLearnedForgottenKnowledge` like a recovery whose source forgot
//!   nothing; in a recovery, the change teaches its learned knowledge, and the source's
//!   forgotten knowledge projected onto its item
//!   (`NF:winsync.ISyncFullEnumerationChange.GetLearnedForgottenKnowledge`).

use windows_core::{Error, Ref, Result};
use winsync_engine::ForgottenKnowledge;

use super::change::{ChangeObjectImpl, MergeTombstoneObjectImpl};
use crate::bindings::{
    IForgottenKnowledge, ISyncChangeWithPrerequisite_Impl, ISyncFullEnumerationChange_Impl,
    ISyncKnowledge, S_FALSE,
};
use crate::com::abi;
use crate::framework::knowledge::wire::engine;
use crate::framework::knowledge::{forgotten_to_com, from_com, to_com};
use crate::hresults::{SYNC_E_CHANGE_NEEDS_KNOWLEDGE, SYNC_E_INVALID_OPERATION};

/// S_FALSE with a NULL out-pointer: a success code carried by the error path leaves the
/// out-pointer NULL (the shims set it to NULL first).
fn none<T>() -> Result<T> {
    Err(Error::from_hresult(S_FALSE))
}

/// `ISyncChangeWithPrerequisite_Impl` and `ISyncFullEnumerationChange_Impl` for a change
/// object type.
macro_rules! prerequisite_impl {
    ($object:ident) => {
        impl ISyncChangeWithPrerequisite_Impl for $object {
            fn GetPrerequisiteKnowledge(&self) -> Result<ISyncKnowledge> {
                match &self.data().batch {
                    Some(batch) => Ok(to_com((*batch.prerequisite).clone())),
                    None => none(),
                }
            }

            fn GetLearnedKnowledgeWithPrerequisite(
                &self,
                destination: Ref<ISyncKnowledge>,
            ) -> Result<ISyncKnowledge> {
                abi::guard(|| {
                    let data = self.data();
                    let batch = data.batch.as_ref().ok_or_else(|| {
                        Error::new(
                            SYNC_E_CHANGE_NEEDS_KNOWLEDGE,
                            "the change has no prerequisite knowledge: it was not made in a batch",
                        )
                    })?;
                    let destination = from_com(destination.ok()?, Some(&data.formats))?;
                    let made_with = self.made_with()?;
                    let learned = engine(data.change.learned_knowledge(made_with))?;
                    Ok(to_com(engine(
                        learned.project_onto_knowledge_with_prerequisite(&batch.prerequisite, &destination),
                    )?))
                })
            }
        }

        impl ISyncFullEnumerationChange_Impl for $object {
            fn GetLearnedKnowledgeAfterRecoveryComplete(&self) -> Result<ISyncKnowledge> {
                abi::guard(|| {
                    let data = self.data();
                    if data.batch.as_ref().is_none_or(|b| b.recovery.is_none()) {
                        return Err(Error::new(
                            SYNC_E_INVALID_OPERATION,
                            "the change is not part of a recovery synchronization (a full-enumeration batch)",
                        ));
                    }
                    let made_with = self.made_with()?;
                    Ok(to_com(engine(data.change.learned_knowledge(made_with))?))
                })
            }

            fn GetLearnedForgottenKnowledge(&self) -> Result<IForgottenKnowledge> {
                abi::guard(|| {
                    let data = self.data();
                    let Some(forgotten) = data
                        .batch
                        .as_ref()
                        .and_then(|b| b.recovery.as_ref())
                        .and_then(|recovery| recovery.source_forgotten.as_ref())
                    else {
                        return none();
                    };
                    let projected = engine(forgotten.knowledge().project_onto_item(&data.change.item))?;
                    Ok(forgotten_to_com(ForgottenKnowledge::from_knowledge(
                        projected,
                    )))
                })
            }
        }
    };
}

prerequisite_impl!(ChangeObjectImpl);
prerequisite_impl!(MergeTombstoneObjectImpl);
