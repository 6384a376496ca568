//! `cccd-kiosk kiosk --demo-tour DIR`: walk every screen with the emulated card
//! and the synthetic camera, save a PNG of each (egui's screenshot viewport
//! command, so the picture is what the GPU — Mesa llvmpipe under Xvfb — drew),
//! then close. Two citizens come: one whose card expires in three months (the
//! renewal offer on Review and Done), then one of 15 (the guardian screen);
//! officer mode shows the supervisor and the tracker over a seeded campaign
//! ([`super::tour_data`]). Typed input is filled in as if tapped; everything else (QR-less
//! key entry, the read with real progress, face checks and countdown) runs as
//! it does for a citizen.
//!
//! Timing (DESIGN.md "Measuring the UI"): per screen, the CPU time of our
//! `show` (egui layout and the app's logic) and eframe's frame time (layout,
//! tessellation and software rendering) are written to `DIR/frame-times.txt`.

use super::cards::EmulatedHandle;
use super::flow::{Event, Screen};
use super::sink::Service;
use super::{tour_data, KioskApp};
use crate::card::access_key::KeyPlan;
use crate::card::emulator::profile::CitizenProfile;
use crate::tracker::screens::TrackerScreen;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What the tour waits for, shoots and does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Welcome,
    WelcomeEn,
    Consent,
    PlaceCard,
    CardKey,
    Reading,
    Review,
    Photo,
    PhotoCaptured,
    Phone,
    Done,
    OfficerPin,
    OfficerSettings,
    Diagnostics,
    Supervisor,
    SupervisorExported,
    Tracker(TrackerScreen),
    ApplyProcedure,
    ApplyData,
    ApplyCheck,
    ApplySlot,
    ApplyDeclare,
    ApplyDone,
    Appointments,
    Guardian,
    Finished,
}

/// The tour driver around a [`KioskApp`].
pub struct Tour {
    app: KioskApp,
    dir: PathBuf,
    /// The emulated reader: the tour puts each citizen's card on it.
    reader: Option<EmulatedHandle>,
    /// A citizen whose card expires soon (renewal offered), then one of 15 (guardian).
    citizens: [CitizenProfile; 2],
    step: Step,
    entered: Instant,
    frames_in_step: u32,
    shot_requested: bool,
    shots: Vec<String>,
    timings: Vec<String>,
    show_times: Vec<Duration>,
    frame_cpu: Vec<f32>,
    started: Instant,
    /// From `ui::run` to the end of the first frame.
    first_frame: Option<Duration>,
}

impl Tour {
    /// A tour over `app`, saving to `dir`, putting cards on `reader`.
    pub fn new(app: KioskApp, dir: PathBuf, reader: Option<EmulatedHandle>) -> Self {
        let today = chrono::Local::now().date_naive();
        Self {
            app,
            dir,
            reader,
            citizens: [
                tour_data::renewing_citizen(today),
                tour_data::minor_citizen(today),
            ],
            step: Step::Welcome,
            entered: Instant::now(),
            frames_in_step: 0,
            shot_requested: false,
            shots: Vec::new(),
            timings: Vec::new(),
            show_times: Vec::new(),
            frame_cpu: Vec::new(),
            started: Instant::now(),
            first_frame: None,
        }
    }

    fn name(step: Step) -> &'static str {
        match step {
            Step::Welcome => "01-welcome",
            Step::WelcomeEn => "02-welcome-en",
            Step::Consent => "03-consent",
            Step::PlaceCard => "04-place-card",
            Step::CardKey => "05-card-key",
            Step::Reading => "06-reading",
            Step::Review => "07-review",
            Step::Photo => "08-photo",
            Step::PhotoCaptured => "09-photo-captured",
            Step::Phone => "10-phone",
            Step::Done => "11-done",
            Step::OfficerPin => "12-officer-pin",
            Step::OfficerSettings => "13-officer-settings",
            Step::Diagnostics => "14-diagnostics",
            Step::Supervisor => "21-supervisor",
            Step::SupervisorExported => "21b-supervisor-exported",
            Step::Tracker(TrackerScreen::Dashboard) => "22-tracker-dashboard",
            Step::Tracker(TrackerScreen::Roster) => "23-tracker-roster",
            Step::Tracker(TrackerScreen::HomeVisits) => "24-tracker-home-visits",
            Step::Tracker(TrackerScreen::Tasks) => "25-tracker-tasks",
            Step::ApplyProcedure => "15-apply-procedure",
            Step::ApplyData => "16-apply-data",
            Step::ApplyCheck => "17-apply-check",
            Step::ApplySlot => "18-apply-slot",
            Step::ApplyDeclare => "19-apply-declare",
            Step::ApplyDone => "20-apply-done",
            Step::Guardian => "26-guardian",
            Step::Appointments => "27-appointments",
            Step::Finished => "",
        }
    }

    /// True when the screen for `step` is on and has what it should show.
    fn ready(&self) -> bool {
        let f = self.app.flow();
        let s = &f.session;
        let settled =
            self.frames_in_step >= 8 && self.entered.elapsed() >= Duration::from_millis(400);
        settled
            && match self.step {
                Step::Welcome | Step::WelcomeEn => f.screen == Screen::Welcome,
                Step::Consent => f.screen == Screen::Consent,
                Step::PlaceCard => f.screen == Screen::PlaceCard,
                Step::CardKey => f.screen == Screen::CardKey && s.key.dob.len() == 8,
                Step::Supervisor => f.screen == Screen::Supervisor,
                Step::SupervisorExported => {
                    f.screen == Screen::Supervisor && self.app.supervisor_export_done()
                }
                Step::Tracker(_) => f.screen == Screen::Tracker && self.app.tracker_loaded(),
                Step::Reading => f.screen == Screen::Reading && s.progress.contains_key(&0x0102),
                Step::Review => f.screen == Screen::Review,
                Step::Photo => f.screen == Screen::Photo && self.app.has_camera_frame(),
                Step::PhotoCaptured => f.screen == Screen::Photo && s.photo.is_some(),
                Step::Phone => f.screen == Screen::Phone,
                Step::Done => matches!(f.screen, Screen::Done { .. }),
                Step::OfficerPin => f.screen == (Screen::Officer { unlocked: false }),
                Step::OfficerSettings => f.screen == (Screen::Officer { unlocked: true }),
                Step::Diagnostics => f.screen == Screen::Diagnostics && f.diagnostics.is_some(),
                Step::ApplyProcedure => f.screen == Screen::ApplyProcedure,
                Step::ApplyData => f.screen == Screen::ApplyData,
                Step::ApplyCheck => f.screen == Screen::ApplyCheck,
                Step::ApplySlot => f.screen == Screen::ApplySlot,
                Step::ApplyDeclare => f.screen == Screen::ApplyDeclare,
                Step::ApplyDone => matches!(f.screen, Screen::ApplyDone(_)),
                Step::Guardian => f.screen == Screen::Guardian,
                Step::Appointments => f.screen == Screen::Appointments,
                Step::Finished => false,
            }
    }

    /// Act for the step just shot, and move on.
    fn advance(&mut self) {
        let today = chrono::Local::now().date_naive();
        let next = match self.step {
            Step::Welcome => {
                self.app.dispatch(Event::SetLang(super::i18n::Lang::En));
                Step::WelcomeEn
            }
            Step::WelcomeEn => {
                self.app.dispatch(Event::SetLang(super::i18n::Lang::Vi));
                self.app.dispatch(Event::Start(Service::EidLevel2));
                Step::Consent
            }
            Step::Consent => {
                self.app.dispatch(Event::ConsentAccepted);
                Step::PlaceCard
            }
            Step::PlaceCard => {
                self.place_card(0);
                Step::CardKey
            }
            Step::CardKey => {
                self.key_ready(0, today);
                Step::Reading
            }
            Step::Reading => Step::Review, // the read finishes by itself
            Step::Review => {
                self.app.dispatch(Event::ReviewAccepted);
                Step::Photo
            }
            Step::Photo => Step::PhotoCaptured, // the countdown captures by itself
            Step::PhotoCaptured => {
                self.app.dispatch(Event::PhotoAccepted);
                self.app.session_mut().phone.first = "0912 345 678".into();
                Step::Phone
            }
            Step::Phone => {
                self.app
                    .dispatch(Event::PhoneConfirmed("+84912345678".into()));
                Step::Done
            }
            Step::Done => {
                self.app.dispatch(Event::Home);
                self.app.dispatch(Event::OfficerOpen);
                Step::OfficerPin
            }
            Step::OfficerPin => {
                self.app.dispatch(Event::OfficerUnlocked);
                Step::OfficerSettings
            }
            Step::OfficerSettings => {
                self.app.dispatch(Event::DiagnosticsOpen);
                Step::Diagnostics
            }
            Step::Diagnostics => {
                self.app.dispatch(Event::Back);
                self.app.dispatch(Event::SupervisorOpen);
                if !self.app.supervisor_unlock(tour_data::SUPERVISOR_PASS) {
                    tracing::error!("demo tour: the supervisor passphrase was refused");
                }
                Step::Supervisor
            }
            Step::Supervisor => {
                if !self.app.supervisor_export() {
                    tracing::error!("demo tour: the export could not start");
                }
                Step::SupervisorExported
            }
            Step::SupervisorExported => {
                self.app.dispatch(Event::Back);
                self.app.dispatch(Event::TrackerOpen);
                self.app.tracker_panel().set_tab(TrackerScreen::Dashboard);
                Step::Tracker(TrackerScreen::Dashboard)
            }
            Step::Tracker(tab) => {
                let all = TrackerScreen::ALL;
                match all
                    .iter()
                    .position(|t| *t == tab)
                    .and_then(|i| all.get(i + 1))
                {
                    Some(next) => {
                        let panel = self.app.tracker_panel();
                        panel.set_tab(*next);
                        if let Some(screens) = panel.screens_mut() {
                            // The list, not the keyboard, is what the picture is for.
                            screens.roster_view.keyboard = false;
                        }
                        Step::Tracker(*next)
                    }
                    None => self.start_application(),
                }
            }
            Step::ApplyProcedure => {
                self.app.dispatch(Event::ApplyNext);
                if let Some(a) = self.app.session_mut().apply.as_mut() {
                    use super::flow::ApplyField as F;
                    for (f, keys) in [
                        (
                            F::PlaceOfResidence,
                            "Banr Ka Lawng, xax Ka Lawng, huyeenj Muwowngf Tes",
                        ),
                        (F::DateOfBirth, "02/09/2008"),
                        (F::FullName, "Giangf A Sinhs"),
                    ] {
                        a.focus(f);
                        a.composer.keys(keys);
                        a.sync();
                    }
                    a.draft.form.sex = "Nam".into();
                }
                Step::ApplyData
            }
            Step::ApplyData => {
                self.app.dispatch(Event::ApplyNext);
                Step::ApplyCheck
            }
            Step::ApplyCheck => {
                self.app.dispatch(Event::ApplyNext);
                let tomorrow = today.succ_opt().unwrap_or(today);
                let choice = self.app.with_desk_ref(|d| {
                    let office = d.calendar().offices().first().cloned()?;
                    let nine = chrono::NaiveTime::from_hms_opt(9, 0, 0)?;
                    let start = d
                        .calendar()
                        .slot_starts(tomorrow)
                        .into_iter()
                        .find(|t| *t >= nine)?;
                    Some(crate::application::calendar::Slot {
                        office,
                        day: tomorrow,
                        start,
                    })
                });
                if let (Some(a), Some(Some(slot))) = (self.app.session_mut().apply.as_mut(), choice)
                {
                    a.office = Some(slot.office.clone());
                    a.day = Some(slot.day);
                    a.draft.slot = Some(slot);
                }
                Step::ApplySlot
            }
            Step::ApplySlot => {
                self.app.dispatch(Event::ApplyNext);
                if let Some(a) = self.app.session_mut().apply.as_mut() {
                    a.draft.accept_declaration(chrono::Utc::now());
                }
                Step::ApplyDeclare
            }
            Step::ApplyDeclare => {
                self.app.dispatch(Event::ApplySubmit);
                Step::ApplyDone
            }
            Step::Guardian | Step::Finished => Step::Finished,
            Step::ApplyDone => {
                // The officers' list: tomorrow, with the application just booked.
                self.app.dispatch(Event::Home);
                self.app.dispatch(Event::OfficerOpen);
                self.app.dispatch(Event::OfficerUnlocked);
                self.app.dispatch(Event::AppointmentsOpen);
                self.app.appointments_panel().choose_day(1);
                Step::Appointments
            }
            Step::Appointments => {
                // A citizen of 15: the officer records the guardian.
                self.app.dispatch(Event::Home);
                self.app.dispatch(Event::Start(Service::EidLevel2));
                self.app.dispatch(Event::ConsentAccepted);
                self.place_card(1);
                self.key_ready(1, today);
                // Reading and Review pass unshot (they were shot for the first citizen).
                Step::Guardian
            }
        };
        self.step = next;
        self.entered = Instant::now();
        self.frames_in_step = 0;
        self.show_times.clear();
        self.frame_cpu.clear();
    }

    /// Put citizen `i`'s card on the reader and type their ID and date of birth.
    fn place_card(&mut self, i: usize) {
        let Some(p) = self.citizens.get(i) else {
            return;
        };
        if let Some(r) = &self.reader {
            r.insert_card(p.clone());
        }
        let (id, dob) = (p.id_number.clone(), p.date_of_birth.replace('/', ""));
        self.app.dispatch(Event::KeyTab(super::flow::KeyTab::Typed));
        let k = &mut self.app.session_mut().key;
        k.id = id;
        k.dob = dob;
        k.field = super::flow::KeyField::Dob;
    }

    /// The keypad's "Continue" for citizen `i`: their key plan, as the screen builds it.
    fn key_ready(&mut self, i: usize, today: chrono::NaiveDate) {
        let Some(p) = self.citizens.get(i) else {
            return;
        };
        let yymmdd = chrono::NaiveDate::parse_from_str(&p.date_of_birth, "%d/%m/%Y")
            .map(|d| d.format("%y%m%d").to_string())
            .unwrap_or_default();
        match KeyPlan::from_id(&p.id_number, Some(&yymmdd), None, today) {
            Ok(plan) => self.app.dispatch(Event::KeyReady(plan)),
            Err(e) => tracing::error!("demo key: {e}"),
        }
    }

    /// Officer mode → Welcome → the card application (issue 9), typed as the
    /// keyboard would.
    fn start_application(&mut self) -> Step {
        self.app.dispatch(Event::Back);
        self.app.dispatch(Event::Back);
        self.app.dispatch(Event::Home);
        self.app.dispatch(Event::Start(Service::CardApplication));
        self.app.dispatch(Event::ConsentAccepted);
        match self.app.session_mut().apply.as_mut() {
            Some(a) => {
                a.draft
                    .choose_procedure(crate::application::fields::Procedure::FirstIssue);
                a.draft.reason = Some(crate::application::fields::Reason::NeverIssued);
                Step::ApplyProcedure
            }
            None => Step::Finished, // no calendar: nothing more to show
        }
    }

    fn save(&mut self, image: &egui::ColorImage) {
        let name = Self::name(self.step);
        let [w, h] = image.size;
        let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
        let path = self.dir.join(format!("{name}.png"));
        match image::RgbaImage::from_raw(w as u32, h as u32, bytes) {
            Some(img) => match img.save(&path) {
                Ok(()) => self.shots.push(path.display().to_string()),
                Err(e) => tracing::error!("{}: {e}", path.display()),
            },
            None => tracing::error!("screenshot {name}: size mismatch"),
        }
        let stat = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
            let p99 = v
                .get(((v.len() as f64 * 0.99) as usize).min(v.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0.0);
            (mean, p99)
        };
        let mut show: Vec<f64> = self
            .show_times
            .iter()
            .map(|d| d.as_secs_f64() * 1e3)
            .collect();
        let mut cpu: Vec<f64> = self.frame_cpu.iter().map(|&s| s as f64 * 1e3).collect();
        let (sm, sp) = stat(&mut show);
        let (cm, cp) = stat(&mut cpu);
        self.timings.push(format!(
            "{name:22} frames {:4}  layout+logic mean {sm:6.2} ms p99 {sp:6.2} ms   eframe frame (layout+tessellation+llvmpipe) mean {cm:6.2} ms p99 {cp:6.2} ms",
            show.len()
        ));
    }

    fn finish(&mut self, ctx: &egui::Context) {
        let mut text = format!(
            "{}x{} px, tour {:.1} s, cold start to first frame {} ms\n",
            ctx.content_rect().width(),
            ctx.content_rect().height(),
            self.started.elapsed().as_secs_f32(),
            self.first_frame
                .map(|d| d.as_millis().to_string())
                .unwrap_or_else(|| "?".into())
        );
        for t in &self.timings {
            text.push_str(t);
            text.push('\n');
        }
        if let Err(e) = std::fs::write(self.dir.join("frame-times.txt"), &text) {
            tracing::error!("frame-times.txt: {e}");
        }
        eprintln!("{text}");
        for s in &self.shots {
            eprintln!("screenshot: {s}");
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

impl eframe::App for Tour {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if let Some(cpu) = frame.info().cpu_usage {
            self.frame_cpu.push(cpu);
        }
        // The second citizen's read and review pass unshot: accept the review.
        if self.step == Step::Guardian && self.app.flow().screen == Screen::Review {
            self.app.dispatch(Event::ReviewAccepted);
        }
        let t = Instant::now();
        self.app.show(ui);
        self.show_times.push(t.elapsed());
        self.frames_in_step += 1;
        if self.first_frame.is_none() {
            self.first_frame = super::RUN_STARTED.get().map(|t| t.elapsed());
        }
        // A screenshot arrives as an input event in a later frame.
        let shot = ctx.input(|i| {
            i.events.iter().find_map(|e| match e {
                egui::Event::Screenshot { image, .. } => Some(image.clone()),
                _ => None,
            })
        });
        if let Some(img) = shot {
            self.save(&img);
            self.shot_requested = false;
            self.advance();
        } else if self.step == Step::Finished {
            self.finish(&ctx);
        } else if !self.shot_requested && self.ready() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(egui::UserData::default()));
            self.shot_requested = true;
        } else if self.entered.elapsed() > Duration::from_secs(30) {
            tracing::error!(
                "demo tour stuck at {:?} (screen {})",
                self.step,
                self.app.flow().screen.name()
            );
            self.step = Step::Finished;
        }
        ctx.request_repaint();
    }
}
