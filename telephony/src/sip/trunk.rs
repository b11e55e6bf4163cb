//! SIP signalling on rsipstack, in trunk mode: INVITEs from the hospital's
//! PBX or carrier trunk, whose addresses are on an allow-list; anything
//! from elsewhere gets 403 before anything else is looked at. OPTIONS
//! keep-alives get 200; an offer without PCMU or PCMA gets 488; BYE ends the
//! dialog.
//!
//! Each answered call gets an RTP port of its own and is handed, with its
//! [`Media`] and a token cancelled when the caller hangs up, to the
//! [`Calls`] the bridge was started with (the checklist); when the handler
//! returns and the caller is still there, the bridge hangs up (BYE).
//!
//! The same endpoint places calls ([`Dialer`]): pages to physicians and the
//! unknown caller's way to the physician on call.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsipstack::dialog::dialog::DialogStateSender;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::dialog::DialogId;
use rsipstack::rsip::prelude::*;
use rsipstack::rsip::{Header, Host, Method, Param, Request, Scheme, StatusCode, Uri};
use rsipstack::transport::{udp::UdpConnection, TcpListenerConnection, TransportLayer};
use rsipstack::EndpointBuilder;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::media::Media;
pub use super::registration::{Registered, Registrar, Registrations, REGISTER_RETRY};
use super::sdp;

/// An answered call, for whoever handles calls.
#[derive(Debug)]
pub struct Call {
    /// The SIP Call-ID: names the call in the record and makes a case id
    /// that a retry finds again.
    pub id: String,
    /// Its media (the RTP port in our answer).
    pub media: Media,
    /// The caller's user part from `From` (a number or an extension), as
    /// claimed: not proof of who calls.
    pub caller: Option<String>,
    /// Cancelled when the caller hangs up (BYE or CANCEL).
    pub hangup: CancellationToken,
    /// Keys the caller sent as SIP INFO.
    pub info_keys: mpsc::UnboundedReceiver<char>,
}

/// What handles answered calls.
#[async_trait::async_trait]
pub trait Calls: Send + Sync + 'static {
    /// Runs one call to its end.
    async fn call(&self, call: Call);
}

/// How the trunk side listens.
#[derive(Debug, Clone)]
pub struct TrunkSettings {
    /// The address SIP arrives at over UDP and TCP (5060 in production).
    pub bind: SocketAddr,
    /// The peers allowed to send anything: the PBX, the carrier's proxies.
    pub allowed: Vec<IpAddr>,
    /// The address our RTP is received at (each call on a port of its own),
    /// as put in the SDP.
    pub media_ip: IpAddr,
}

/// Why the bridge cannot start.
#[derive(Debug, thiserror::Error)]
#[error("the SIP bridge cannot listen on {addr}: {detail}")]
pub struct BindError {
    /// The address.
    pub addr: SocketAddr,
    /// The stack's words.
    pub detail: String,
}

/// Counts of what the bridge answered (for tests and metrics).
#[derive(Debug, Default)]
pub struct Counts {
    /// Requests from peers not on the allow-list (403).
    pub refused: AtomicU64,
    /// Calls answered with 200.
    pub answered: AtomicU64,
    /// Offers without a codec in common (488).
    pub not_acceptable: AtomicU64,
}

/// A listening trunk endpoint.
pub struct Trunk {
    settings: TrunkSettings,
    endpoint: rsipstack::transaction::endpoint::Endpoint,
    cancel: CancellationToken,
    counts: Arc<Counts>,
    dialogs: Arc<DialogLayer>,
    states: DialogStateSender,
    hangups: Hangups,
}

/// What the signalling knows of a live call, by dialog id.
#[derive(Debug, Clone)]
struct Live {
    /// Cancelled by a BYE from the far end, whichever side placed the call.
    hangup: CancellationToken,
    /// Our RTP address (a re-INVITE is answered with it).
    rtp: SocketAddr,
    /// Keys sent as SIP INFO (the fallback when a phone sends no RFC 4733).
    keys: mpsc::UnboundedSender<char>,
}

type Hangups = Arc<Mutex<HashMap<String, Live>>>;

impl Trunk {
    /// Binds the UDP socket.
    pub async fn bind(settings: TrunkSettings) -> Result<Trunk, BindError> {
        let cancel = CancellationToken::new();
        let transport = TransportLayer::new(cancel.clone());
        let conn =
            UdpConnection::create_connection(settings.bind, None, Some(cancel.child_token()))
                .await
                .map_err(|e| BindError {
                    addr: settings.bind,
                    detail: e.to_string(),
                })?;
        // Port 0 (tests): the port the system chose, for TCP and contacts too.
        let mut settings = settings;
        if let Ok(real) = conn.get_addr().get_socketaddr() {
            settings.bind.set_port(real.port());
        }
        transport.add_transport(conn.into());
        // TCP on the same address: PBXs send large INVITEs over TCP.
        let tcp = TcpListenerConnection::new(settings.bind, None)
            .await
            .map_err(|e| BindError {
                addr: settings.bind,
                detail: e.to_string(),
            })?;
        transport.add_transport(tcp.into());
        let endpoint = EndpointBuilder::new()
            .with_cancel_token(cancel.clone())
            .with_transport_layer(transport)
            .with_user_agent("akutlinje")
            .build();
        let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let (states, mut state_rx) = dialogs.new_dialog_state_channel();
        let hangups: Hangups = Arc::default();
        let live = hangups.clone();
        tokio::spawn(async move {
            while let Some(state) = state_rx.recv().await {
                in_dialog(&live, state).await;
            }
        });
        Ok(Trunk {
            settings,
            endpoint,
            cancel,
            counts: Arc::new(Counts::default()),
            dialogs,
            states,
            hangups,
        })
    }

    /// Places calls from this endpoint (valid while it serves).
    pub fn dialer(&self) -> Dialer {
        Dialer {
            dialogs: self.dialogs.clone(),
            states: self.states.clone(),
            hangups: self.hangups.clone(),
            local: self.settings.bind,
            media_ip: self.settings.media_ip,
            outbound_proxy: None,
            credential: None,
        }
    }

    /// The address SIP is received at (the real port when 0 was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.settings.bind)
    }

    /// Registers at `registrar` until the bridge stops: refreshed at two
    /// thirds of the lifetime granted, and, when the registrar is gone or
    /// refuses, tried again every [`REGISTER_RETRY`] until it is back.
    pub fn register(&self, registrar: Registrar) -> Result<Arc<Registered>, DialError> {
        self.registrations()
            .register_until(registrar, self.cancel.child_token())
    }

    /// A handle that registers later (when this instance takes the role of
    /// the registered extension), usable after the trunk has gone to
    /// [`Trunk::serve`].
    pub fn registrations(&self) -> Registrations {
        Registrations::new(self.endpoint.inner.clone(), self.cancel.clone())
    }
    /// What the bridge has answered so far.
    pub fn counts(&self) -> Arc<Counts> {
        self.counts.clone()
    }

    /// A token that stops [`Trunk::serve`] when cancelled.
    pub fn stopper(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Answers requests until stopped, handing each answered call to `calls`.
    pub async fn serve(self, calls: Arc<dyn Calls>) -> Result<(), rsipstack::Error> {
        let hangups = self.hangups.clone();
        let mut incoming = self.endpoint.incoming_transactions()?;
        let dialogs = self.dialogs.clone();
        let states = self.states.clone();
        let inner = self.endpoint.inner.clone();
        tokio::spawn(async move { inner.serve().await });
        let contact = Uri {
            scheme: Some(Scheme::Sip),
            auth: None,
            host_with_port: self.settings.bind.into(),
            params: vec![],
            headers: vec![],
        };
        loop {
            let mut tx = tokio::select! {
                () = self.cancel.cancelled() => return Ok(()),
                tx = incoming.recv() => match tx {
                    Some(tx) => tx,
                    None => return Ok(()),
                },
            };
            let method = tx.original.method;
            if !source(&tx.original).is_some_and(|ip| self.settings.allowed.contains(&ip)) {
                // The source only: a stranger's request is not worth more.
                tracing::warn!(method = %method, "SIP request from a peer not on the allow-list");
                self.counts.refused.fetch_add(1, Ordering::Relaxed);
                tx.reply(StatusCode::Forbidden).await.ok();
                continue;
            }
            // Inside a call (a re-INVITE for hold, INFO keys, OPTIONS): the
            // dialog answers, through the state channel where needed.
            let within = matches!(
                method,
                Method::Invite | Method::Info | Method::Options | Method::Update
            ) && tx
                .original
                .to_header()
                .ok()
                .and_then(|t| t.tag().ok().flatten())
                .is_some();
            if within {
                match DialogId::try_from(&tx)
                    .ok()
                    .and_then(|id| dialogs.get_dialog(&id))
                {
                    Some(mut dialog) => {
                        tokio::spawn(async move { dialog.handle(&mut tx).await });
                    }
                    None => {
                        tx.reply(StatusCode::CallTransactionDoesNotExist).await.ok();
                    }
                }
                continue;
            }
            match method {
                Method::Options => {
                    tx.reply(StatusCode::OK).await.ok();
                }
                Method::Invite => {
                    let offer = String::from_utf8_lossy(&tx.original.body).to_string();
                    let agreed = match sdp::parse_offer(&offer).and_then(|o| o.negotiate()) {
                        Ok(n) => n,
                        Err(e) => {
                            tracing::info!(reason = %e, "SIP offer refused");
                            self.counts.not_acceptable.fetch_add(1, Ordering::Relaxed);
                            tx.reply(StatusCode::NotAcceptableHere).await.ok();
                            continue;
                        }
                    };
                    let socket =
                        match tokio::net::UdpSocket::bind((self.settings.media_ip, 0)).await {
                            Ok(s) => s,
                            Err(e) => {
                                tracing::error!(error = %e, "no RTP port for a call");
                                tx.reply(StatusCode::ServiceUnavailable).await.ok();
                                continue;
                            }
                        };
                    let media = Media::new(socket, &agreed, session_id() as u32);
                    let Ok(local) = media.local_addr() else {
                        tx.reply(StatusCode::ServiceUnavailable).await.ok();
                        continue;
                    };
                    // One INVITE the stack cannot make a dialog of (a From
                    // without a tag, say) is refused alone; the bridge goes on.
                    let answer = sdp::answer(&agreed, local, session_id());
                    let dialog = match dialogs.get_or_create_server_invite(
                        &tx,
                        states.clone(),
                        None,
                        Some(contact.clone()),
                    ) {
                        Ok(d) => d
                            .accept(
                                Some(vec![Header::ContentType("application/sdp".into())]),
                                Some(answer.into_bytes()),
                            )
                            .map(|()| d),
                        Err(e) => Err(e),
                    };
                    let mut dialog = match dialog {
                        Ok(d) => d,
                        Err(e) => {
                            tracing::warn!(error = %e, "SIP INVITE refused");
                            tx.reply(StatusCode::BadRequest).await.ok();
                            continue;
                        }
                    };
                    self.counts.answered.fetch_add(1, Ordering::Relaxed);
                    let hangup = CancellationToken::new();
                    let id = dialog.id();
                    let (keys, info_keys) = mpsc::unbounded_channel();
                    lock(&hangups).insert(
                        id.to_string(),
                        Live {
                            hangup: hangup.clone(),
                            rtp: local,
                            keys,
                        },
                    );
                    let call = Call {
                        id: tx
                            .original
                            .call_id_header()
                            .map_or_else(|_| id.to_string(), |c| c.value().to_string()),
                        media,
                        caller: caller(&tx.original),
                        hangup: hangup.clone(),
                        info_keys,
                    };
                    let calls = calls.clone();
                    let ours = dialog.clone();
                    let (layer, table) = (dialogs.clone(), hangups.clone());
                    tokio::spawn(async move {
                        calls.call(call).await;
                        // The handler is done; a caller still on the line
                        // is hung up on, politely.
                        if !hangup.is_cancelled() {
                            ours.bye().await.ok();
                        }
                        lock(&table).remove(&id.to_string());
                        layer.remove_dialog(&id);
                    });
                    tokio::spawn(async move { dialog.handle(&mut tx).await });
                }
                Method::Bye | Method::Ack | Method::Cancel => {
                    let known = DialogId::try_from(&tx)
                        .ok()
                        .and_then(|id| dialogs.get_dialog(&id).map(|d| (id, d)));
                    match known {
                        Some((id, mut dialog)) => {
                            dialog.handle(&mut tx).await.ok();
                            // Calls are answered at once, so a CANCEL always
                            // meets a confirmed call: it has no effect there
                            // (RFC 3261 §9.2; the PBX follows with ACK and
                            // BYE). Only BYE ends the call.
                            if method == Method::Bye {
                                if let Some(live) = lock(&hangups).remove(&id.to_string()) {
                                    live.hangup.cancel();
                                }
                                dialogs.remove_dialog(&id);
                            }
                        }
                        None if method != Method::Ack => {
                            tx.reply(StatusCode::CallTransactionDoesNotExist).await.ok();
                        }
                        None => {}
                    }
                }
                _ => {
                    tx.reply(StatusCode::MethodNotAllowed).await.ok();
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicked holder left a plain map behind: still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Places calls: a page to a physician, the unknown caller's way through.
#[derive(Clone)]
pub struct Dialer {
    dialogs: Arc<DialogLayer>,
    states: DialogStateSender,
    hangups: Hangups,
    local: SocketAddr,
    media_ip: IpAddr,
    outbound_proxy: Option<SocketAddr>,
    credential: Option<rsipstack::dialog::authenticate::Credential>,
}

impl std::fmt::Debug for Dialer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dialer")
            .field("local", &self.local)
            .field("outbound_proxy", &self.outbound_proxy)
            .finish_non_exhaustive()
    }
}

/// Why a call did not come about.
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    /// The target is no SIP URI. Not printed: it holds a person's number,
    /// and this error is logged.
    #[error("not a SIP address")]
    Target(String),
    /// Nobody answered within the ring time.
    #[error("no answer within {0:?}")]
    NoAnswer(Duration),
    /// The far end refused (busy, declined, not found…).
    #[error("the call was refused: {0}")]
    Refused(String),
    /// The answer had no audio we speak.
    #[error("the answer has no usable audio: {0}")]
    Media(String),
    /// The stack or the network failed.
    #[error("the call failed: {0}")]
    Failed(String),
}

/// A call this bridge placed and the far end answered.
#[derive(Debug)]
pub struct Placed {
    /// Its media.
    pub media: Media,
    /// Cancelled when the far end hangs up.
    pub hangup: CancellationToken,
    /// Keys the far end sent as SIP INFO.
    pub info_keys: mpsc::UnboundedReceiver<char>,
    pub(crate) dialog: Option<InviteDialogHandle>,
}

/// The dialog of a placed call (the stack's type has no `Debug`).
pub(crate) struct InviteDialogHandle(InviteDialog);

impl std::fmt::Debug for InviteDialogHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteDialog")
    }
}

impl Placed {
    /// Hangs up (BYE), unless the far end already has.
    pub async fn end(mut self) {
        if let Some(d) = self.dialog.take() {
            if !self.hangup.is_cancelled() {
                d.0.bye().await.ok();
            }
            self.hangup.cancel();
        }
    }
}

impl Dialer {
    /// Sends calls through `proxy` (the PBX or the carrier's proxy) rather
    /// than to the target's own host, with `credential` for a challenge.
    pub fn via(
        mut self,
        proxy: Option<SocketAddr>,
        credential: Option<rsipstack::dialog::authenticate::Credential>,
    ) -> Dialer {
        self.outbound_proxy = proxy;
        self.credential = credential;
        self
    }

    /// Calls `target` (`sip:user@host[:port]`) as `from_user`, ringing at
    /// most `ring`.
    pub async fn dial(
        &self,
        target: &str,
        from_user: &str,
        ring: Duration,
    ) -> Result<Placed, DialError> {
        let callee = Uri::try_from(target).map_err(|_| DialError::Target(target.to_string()))?;
        if callee.scheme != Some(Scheme::Sip) && callee.scheme.is_some() {
            return Err(DialError::Target(target.to_string()));
        }
        let socket = tokio::net::UdpSocket::bind((self.media_ip, 0))
            .await
            .map_err(|e| DialError::Failed(e.to_string()))?;
        let local_rtp = socket
            .local_addr()
            .map_err(|e| DialError::Failed(e.to_string()))?;
        let ours = Uri {
            scheme: Some(Scheme::Sip),
            auth: Some(rsipstack::rsip::Auth {
                user: from_user.to_string(),
                password: None,
            }),
            host_with_port: self.local.into(),
            params: vec![],
            headers: vec![],
        };
        let destination = self.outbound_proxy.map(|p| rsipstack::transport::SipAddr {
            r#type: Some(rsipstack::rsip::Transport::Udp),
            addr: p.into(),
        });
        let opt = InviteOption {
            caller: ours.clone(),
            callee,
            contact: ours,
            destination,
            content_type: Some("application/sdp".into()),
            offer: Some(sdp::offer(local_rtp, session_id()).into_bytes()),
            credential: self.credential.clone(),
            ..Default::default()
        };
        let invite = self.dialogs.do_invite(opt, self.states.clone());
        let (dialog, response) = match tokio::time::timeout(ring, invite).await {
            Err(_) => return Err(DialError::NoAnswer(ring)),
            Ok(Err(e)) => return Err(DialError::Failed(e.to_string())),
            Ok(Ok(r)) => r,
        };
        let response = match response {
            Some(r) if r.status_code.kind() == rsipstack::rsip::StatusCodeKind::Successful => r,
            Some(r) => return Err(DialError::Refused(r.status_code.to_string())),
            None => return Err(DialError::Failed("no final response".into())),
        };
        let id = dialog.id();
        let agreed =
            sdp::parse_offer(&String::from_utf8_lossy(&response.body)).and_then(|a| a.negotiate());
        let agreed = match agreed {
            Ok(a) => a,
            Err(e) => {
                dialog.bye().await.ok();
                self.dialogs.remove_dialog(&id);
                return Err(DialError::Media(e.to_string()));
            }
        };
        let hangup = CancellationToken::new();
        let (keys, info_keys) = mpsc::unbounded_channel();
        lock(&self.hangups).insert(
            id.to_string(),
            Live {
                hangup: hangup.clone(),
                rtp: local_rtp,
                keys,
            },
        );
        let (layer, table, watch) = (self.dialogs.clone(), self.hangups.clone(), hangup.clone());
        tokio::spawn(async move {
            watch.cancelled().await;
            lock(&table).remove(&id.to_string());
            layer.remove_dialog(&id);
        });
        Ok(Placed {
            media: Media::new(socket, &agreed, session_id() as u32 ^ 0x5a5a),
            hangup,
            info_keys,
            dialog: Some(InviteDialogHandle(dialog)),
        })
    }
}

/// A request inside a call, passed up by the dialog: a re-INVITE (hold,
/// resume, a new address) is answered with our address and the agreed
/// codec; INFO keys go to the call.
async fn in_dialog(live: &Hangups, state: rsipstack::dialog::dialog::DialogState) {
    use rsipstack::dialog::dialog::DialogState;
    match state {
        DialogState::Updated(id, req, handle) => {
            let Some(call) = lock(live).get(&id.to_string()).cloned() else {
                handle
                    .reply(StatusCode::CallTransactionDoesNotExist)
                    .await
                    .ok();
                return;
            };
            let offer = String::from_utf8_lossy(&req.body).to_string();
            if offer.trim().is_empty() {
                // An offerless re-INVITE: our offer, the peer answers in ACK.
                let body = sdp::offer(call.rtp, session_id()).into_bytes();
                handle
                    .respond(
                        StatusCode::OK,
                        Some(vec![Header::ContentType("application/sdp".into())]),
                        Some(body),
                    )
                    .await
                    .ok();
                return;
            }
            match sdp::parse_offer(&offer).and_then(|o| o.negotiate()) {
                Ok(agreed) => {
                    tracing::info!(direction = ?agreed.direction, "SIP re-INVITE (hold or resume)");
                    let body = sdp::answer(&agreed, call.rtp, session_id()).into_bytes();
                    handle
                        .respond(
                            StatusCode::OK,
                            Some(vec![Header::ContentType("application/sdp".into())]),
                            Some(body),
                        )
                        .await
                        .ok();
                }
                Err(e) => {
                    tracing::info!(reason = %e, "SIP re-INVITE refused");
                    handle.reply(StatusCode::NotAcceptableHere).await.ok();
                }
            }
        }
        DialogState::Info(id, req, handle) => {
            let key = info_key(&String::from_utf8_lossy(&req.body));
            if let (Some(k), Some(call)) = (key, lock(live).get(&id.to_string()).cloned()) {
                call.keys.send(k).ok();
            }
            handle.reply(StatusCode::OK).await.ok();
        }
        other => tracing::debug!(state = %other, "SIP dialog"),
    }
}

/// The key of a SIP INFO body: `application/dtmf-relay` (`Signal=5`) or
/// `application/dtmf` (`5`).
pub fn info_key(body: &str) -> Option<char> {
    let value = body
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once('=')?;
            name.trim().eq_ignore_ascii_case("signal").then_some(value)
        })
        .unwrap_or(body)
        .trim();
    let mut chars = value.chars();
    let k = chars.next()?;
    match (k, chars.next()) {
        ('0'..='9' | '*' | '#', None) => Some(k),
        ('A'..='D' | 'a'..='d', None) => Some(k.to_ascii_uppercase()),
        ('1', Some('0')) if value == "10" => Some('*'),
        ('1', Some('1')) if value == "11" => Some('#'),
        _ => None,
    }
}

/// Where a request came from: the `received` the transport layer wrote into
/// the topmost Via when the claimed host was not the real source, else that
/// host (which then was the source).
pub(crate) fn source(req: &Request) -> Option<IpAddr> {
    let via = req.via_header().ok()?.typed().ok()?;
    for p in &via.params {
        if let Param::Received(r) = p {
            return r.value().parse().ok();
        }
    }
    match via.uri.host_with_port.host {
        Host::IpAddr(ip) => Some(ip),
        Host::Domain(_) => None,
    }
}

/// The user part of `From`, if any.
pub(crate) fn caller(req: &Request) -> Option<String> {
    let from = req.from_header().ok()?.typed().ok()?;
    from.uri.auth.map(|a| a.user)
}

/// The SDP session id: it only has to differ between a bridge's answers
/// (RFC 4566 suggests an NTP timestamp).
fn session_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
