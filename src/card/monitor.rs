//! Reader and card hot-plug events, from `SCardGetStatusChange` on a thread of
//! its own, delivered on a channel so the UI thread never blocks.
//!
//! The thread owns one `pcsc::Context` (one per thread, as the pcsc crate asks);
//! a clone kept in [`Monitor`] calls `cancel()` to unblock it on shutdown.
//! pcscd's "\\?PnP?\Notification" pseudo-reader tells us when readers come and go.

use super::pcsc::ReaderFilter;
use pcsc::{Context, ReaderState, Scope, State};
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// What happened on the readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardEvent {
    ReaderAdded(String),
    ReaderRemoved(String),
    /// A card arrived; its ATR.
    CardInserted {
        reader: String,
        atr: Vec<u8>,
    },
    CardRemoved(String),
    /// pcscd went away or failed; the monitor retries every second.
    ServiceUnavailable(String),
}

/// A running monitor; dropping it stops the thread.
pub struct Monitor {
    ctx: Option<Context>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Monitor {
    /// Start watching the readers the filter accepts.
    pub fn start(filter: ReaderFilter) -> (Monitor, Receiver<CardEvent>) {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = Context::establish(Scope::User).ok();
        let thread_ctx = ctx.clone();
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("card-monitor".into())
            .spawn(move || run(thread_ctx, filter, tx, thread_stop))
            .ok();
        (Monitor { ctx, stop, thread }, rx)
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(ctx) = &self.ctx {
            let _ = ctx.cancel();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    mut ctx: Option<Context>,
    filter: ReaderFilter,
    tx: Sender<CardEvent>,
    stop: Arc<AtomicBool>,
) {
    let pnp = CString::from(pcsc::PNP_NOTIFICATION());
    let mut states: Vec<ReaderState> = vec![ReaderState::new(pnp.clone(), State::UNAWARE)];
    let mut present: Vec<(String, bool)> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let Some(c) = ctx.as_ref() else {
            std::thread::sleep(Duration::from_secs(1));
            ctx = Context::establish(Scope::User).ok();
            continue;
        };
        // Sync the watched list with the readers pcscd has now.
        let names: Vec<CString> = match c.list_readers_owned() {
            Ok(n) => n,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => {
                let _ = tx.send(CardEvent::ServiceUnavailable(e.to_string()));
                ctx = None;
                continue;
            }
        };
        let names: Vec<CString> = names
            .into_iter()
            .filter(|n| filter.accepts(&n.to_string_lossy()))
            .collect();
        for (name, had_card) in present.clone() {
            if !names.iter().any(|n| n.to_string_lossy() == name) {
                if had_card {
                    let _ = tx.send(CardEvent::CardRemoved(name.clone()));
                }
                let _ = tx.send(CardEvent::ReaderRemoved(name.clone()));
                present.retain(|(n, _)| *n != name);
                states.retain(|s| s.name().to_string_lossy() != name);
            }
        }
        for n in &names {
            let s = n.to_string_lossy().into_owned();
            if !present.iter().any(|(p, _)| *p == s) {
                let _ = tx.send(CardEvent::ReaderAdded(s.clone()));
                present.push((s, false));
                states.push(ReaderState::new(n.clone(), State::UNAWARE));
            }
        }
        for s in states.iter_mut() {
            s.sync_current_state();
        }
        match c.get_status_change(Duration::from_secs(1), &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(pcsc::Error::Cancelled) => break,
            Err(pcsc::Error::UnknownReader) => continue,
            Err(e) => {
                let _ = tx.send(CardEvent::ServiceUnavailable(e.to_string()));
                std::thread::sleep(Duration::from_secs(1));
                ctx = None;
                continue;
            }
        }
        for s in states.iter().skip(1) {
            let name = s.name().to_string_lossy().into_owned();
            let has = s.event_state().contains(State::PRESENT);
            if let Some(entry) = present.iter_mut().find(|(n, _)| *n == name) {
                if has != entry.1 {
                    entry.1 = has;
                    let ev = if has {
                        CardEvent::CardInserted {
                            reader: name,
                            atr: s.atr().to_vec(),
                        }
                    } else {
                        CardEvent::CardRemoved(name)
                    };
                    if tx.send(ev).is_err() {
                        return;
                    }
                }
            }
        }
    }
}
