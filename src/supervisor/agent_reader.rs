//! Reading the agent records `warden hook` saves: only those whose file changed since the
//! last read (a stat per live job), so a burst of hook events costs one read each.

use std::collections::BTreeMap;
use std::path::Path;

use crate::agent::{AgentRecord, agent_path, read_agent_record};
use crate::register::Register;
use crate::state::{Stamp, stamp};

#[derive(Debug, Default)]
pub(crate) struct AgentReader {
    stamps: BTreeMap<String, Stamp>,
}

impl AgentReader {
    /// The records of live jobs expected to report whose file changed since the last read.
    pub(crate) fn read(&mut self, jobs: &Path, register: Option<&Register>) -> Vec<AgentRecord> {
        let Some(register) = register else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen = BTreeMap::new();
        for job in register.live_jobs().filter(|j| j.agent.is_some()) {
            let Some(now) = stamp(&agent_path(jobs, &job.job)) else {
                continue;
            };
            seen.insert(job.job.clone(), now);
            if self.stamps.get(&job.job) == Some(&now) {
                continue;
            }
            if let Some(record) = read_agent_record(jobs, &job.job) {
                out.push(record);
            }
        }
        self.stamps = seen;
        out
    }
}
