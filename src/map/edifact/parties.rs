//! The NAD group: NAD opens a party; RFF, CTA and COM right after it belong to it.

use super::common::Ctx;
use crate::model::{Party, PartyId};
use crate::syntax::Fields;

#[derive(Default)]
pub struct NadGroup {
    open: Option<Party>,
}

impl NadGroup {
    /// Takes NAD and its RFF/CTA/COM, returning true; any other segment closes the open party.
    pub fn take(&mut self, ctx: &Ctx<'_>, seg: &Fields<'_>, parties: &mut Vec<Party>) -> bool {
        match (seg.tag, self.open.as_mut()) {
            (b"NAD", _) => {
                parties.extend(self.open.take());
                self.open = Some(ctx.party(seg));
                true
            }
            (b"RFF", Some(p)) => {
                if let Some(r) = ctx.reference(seg) {
                    p.ids.push(PartyId {
                        qualifier: r.qualifier,
                        id: r.value,
                    });
                }
                true
            }
            (b"CTA" | b"COM", Some(p)) => {
                ctx.contact_detail(p, seg);
                true
            }
            _ => {
                parties.extend(self.open.take());
                false
            }
        }
    }

    pub fn finish(&mut self, parties: &mut Vec<Party>) {
        parties.extend(self.open.take());
    }
}
