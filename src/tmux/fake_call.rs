//! The calls `FakeTmux` records: each verb of `TmuxPort` with the arguments a test would
//! check.

/// The verbs of `TmuxPort`, to count calls and script failures. `new_window` goes through
/// `new_windows`, so it shows as a batch of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    StartSession,
    HasSession,
    ServerPid,
    NewWindows,
    SplitWindow,
    ListPanes,
    CapturePane,
    RespawnPane,
    KillPane,
    KillServer,
    SetOptions,
    TypeLine,
    DisplayMessage,
    Attach,
}

/// One window asked for in a `new_windows` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WindowCall {
    pub(crate) name: String,
    pub(crate) job: Option<String>,
    pub(crate) argv: Vec<String>,
    pub(crate) pipe: Option<String>,
}

/// One option set in a `set_options` call: where (`global`, `window <pane>`, `pane <pane>`),
/// its name and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetCall {
    pub(crate) scope: String,
    pub(crate) name: String,
    pub(crate) value: String,
}

impl From<&super::port::OptionSet<'_>> for SetCall {
    fn from(o: &super::port::OptionSet<'_>) -> Self {
        use super::port::Scope;
        Self {
            scope: match o.scope {
                Scope::Global => "global".to_owned(),
                Scope::Window(p) => format!("window {p}"),
                Scope::Pane(p) => format!("pane {p}"),
            },
            name: o.name.to_owned(),
            value: o.value.to_owned(),
        }
    }
}

/// One recorded call with its interesting arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    StartSession {
        session: String,
        window: String,
        argv: Vec<String>,
    },
    HasSession {
        session: String,
    },
    ServerPid {
        session: String,
    },
    NewWindows {
        session: String,
        windows: Vec<WindowCall>,
    },
    SplitWindow {
        target: String,
        job: Option<String>,
        argv: Vec<String>,
    },
    ListPanes {
        session: String,
    },
    CapturePane {
        pane: String,
    },
    RespawnPane {
        pane: String,
        argv: Vec<String>,
    },
    KillPane {
        pane: String,
    },
    KillServer,
    SetOptions {
        options: Vec<SetCall>,
    },
    TypeLine {
        pane: String,
        text: String,
    },
    DisplayMessage {
        session: String,
        message: String,
        /// Shown longer than tmux's default.
        held: bool,
    },
    Attach {
        pane: String,
        how: super::AttachHow,
    },
}

impl Call {
    pub(crate) fn verb(&self) -> Verb {
        match self {
            Self::StartSession { .. } => Verb::StartSession,
            Self::HasSession { .. } => Verb::HasSession,
            Self::ServerPid { .. } => Verb::ServerPid,
            Self::NewWindows { .. } => Verb::NewWindows,
            Self::SplitWindow { .. } => Verb::SplitWindow,
            Self::ListPanes { .. } => Verb::ListPanes,
            Self::CapturePane { .. } => Verb::CapturePane,
            Self::RespawnPane { .. } => Verb::RespawnPane,
            Self::KillPane { .. } => Verb::KillPane,
            Self::KillServer => Verb::KillServer,
            Self::SetOptions { .. } => Verb::SetOptions,
            Self::TypeLine { .. } => Verb::TypeLine,
            Self::DisplayMessage { .. } => Verb::DisplayMessage,
            Self::Attach { .. } => Verb::Attach,
        }
    }
}
