//! The client ports: `clientPort` and, with TLS, `secureClientPort`. Both share the
//! connection caps (`maxClientCnxns`, `maxCnxns`), the flow budgets and the connection
//! numbering. A TLS connection is handshaken inside its admitted place, within
//! `tls::HANDSHAKE_TIMEOUT`, then served exactly as a plain one.

use super::admission::{accept_loop, ClientCaps};
use super::client;
use super::core::EventTx;
use super::flow::Flow;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// What every client port shares.
#[derive(Clone)]
pub struct ClientPorts {
    events: EventTx,
    max_buffer: usize,
    sessionless: Duration,
    caps: Arc<ClientCaps>,
    flow: Arc<Flow>,
    next_conn: Arc<AtomicI64>,
}

impl ClientPorts {
    /// Ports feeding `events`, with `jute.maxbuffer`, `zookeeper.nio.sessionlessCnxnTimeout`,
    /// the caps and the budgets.
    pub fn new(
        events: EventTx,
        max_buffer: usize,
        sessionless: Duration,
        caps: Arc<ClientCaps>,
        flow: Flow,
    ) -> Self {
        ClientPorts {
            events,
            max_buffer,
            sessionless,
            caps,
            flow: Arc::new(flow),
            next_conn: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Serves `listener` until the task is aborted; with `tls`, every connection is a TLS
    /// one.
    pub async fn serve(self, listener: TcpListener, what: &'static str, tls: Option<TlsAcceptor>) {
        accept_loop(listener, what, move |stream, addr| {
            let conn = self.next_conn.fetch_add(1, Ordering::Relaxed) + 1;
            let admitted = self.caps.admit(addr.ip());
            let events = self.events.clone();
            let budgets = self.flow.connection(conn, events.clone());
            let (max_buffer, sessionless) = (self.max_buffer, self.sessionless);
            let tls = tls.clone();
            async move {
                // A refused connection is dropped here, unread: it never reaches the core.
                let Ok(_place) = admitted else { return };
                let _ = stream.set_nodelay(true);
                let accepted = client::Accepted {
                    conn,
                    addr,
                    core: events,
                    max_buffer,
                    sessionless,
                    flow: budgets,
                };
                let Some(tls) = tls else {
                    return client::serve(client::Socket::Plain(stream), accepted).await;
                };
                match super::tls::accept(&tls, stream).await {
                    Ok(s) => client::serve(client::Socket::Tls(Box::new(s)), accepted).await,
                    Err(why) => tracing::info!(%addr, "{why}"),
                }
            }
        })
        .await
    }
}
