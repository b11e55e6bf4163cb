//! SIP signalling on rsipstack, in trunk mode: INVITEs from the hospital's
//! PBX or carrier trunk, whose addresses are on an allow-list; anything
//! from elsewhere gets 403 before anything else is looked at. OPTIONS
//! keep-alives get 200; an offer without PCMU or PCMA gets 488; BYE ends the
//! dialog.
//!
//! Each answered call gets an RTP port of its own and is handed, with its
//! [`Media`] and a token cancelled when the caller hangs up, to the
//! [`Calls`] the bridge was started with (the checklist, in the end).

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::DialogId;
use rsipstack::rsip::prelude::*;
use rsipstack::rsip::{Header, Host, Method, Param, Request, Scheme, StatusCode, Uri};
use rsipstack::transport::{udp::UdpConnection, TcpListenerConnection, TransportLayer};
use rsipstack::EndpointBuilder;
use tokio_util::sync::CancellationToken;

use super::media::Media;
use super::sdp;

/// An answered call, for whoever handles calls.
#[derive(Debug)]
pub struct Call {
    /// Its media (the RTP port in our answer).
    pub media: Media,
    /// The caller's user part from `From` (a number or an extension), as
    /// claimed: not proof of who calls.
    pub caller: Option<String>,
    /// Cancelled when the caller hangs up (BYE or CANCEL).
    pub hangup: CancellationToken,
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
}

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
        Ok(Trunk {
            settings,
            endpoint,
            cancel,
            counts: Arc::new(Counts::default()),
        })
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
        let mut hangups: std::collections::HashMap<String, CancellationToken> =
            std::collections::HashMap::new();
        let mut incoming = self.endpoint.incoming_transactions()?;
        let dialogs = Arc::new(DialogLayer::new(self.endpoint.inner.clone()));
        let (states, mut state_rx) = dialogs.new_dialog_state_channel();
        tokio::spawn(async move {
            while let Some(state) = state_rx.recv().await {
                tracing::debug!(%state, "SIP dialog");
            }
        });
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
                    hangups.insert(dialog.id().to_string(), hangup.clone());
                    let call = Call {
                        media,
                        caller: caller(&tx.original),
                        hangup,
                    };
                    let calls = calls.clone();
                    tokio::spawn(async move { calls.call(call).await });
                    tokio::spawn(async move { dialog.handle(&mut tx).await });
                }
                Method::Bye | Method::Ack | Method::Cancel => {
                    let known = DialogId::try_from(&tx)
                        .ok()
                        .and_then(|id| dialogs.get_dialog(&id).map(|d| (id, d)));
                    match known {
                        Some((id, mut dialog)) => {
                            dialog.handle(&mut tx).await.ok();
                            if method != Method::Ack {
                                if let Some(h) = hangups.remove(&id.to_string()) {
                                    h.cancel();
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

/// Where a request came from: the `received` the transport layer wrote into
/// the topmost Via when the claimed host was not the real source, else that
/// host (which then was the source).
fn source(req: &Request) -> Option<IpAddr> {
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
fn caller(req: &Request) -> Option<String> {
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
