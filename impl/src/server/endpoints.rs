//! The HTTP endpoints beside the client port: Prometheus' `/metrics`
//! (`metricsProvider.className`, `metricsProvider.httpHost`, `metricsProvider.httpPort`) and
//! the AdminServer's `/commands` (`admin.*`, the commands in `admin`).
//!
//! Each endpoint holds at most `MAX_CONNECTIONS` connections (one more is closed as it is
//! accepted), gives a request's head `HEADER_TIMEOUT` to arrive and a connection
//! `CONNECTION_LIFETIME` in all, so a scraper that stalls or floods costs a bounded amount.
//! A reading of the metrics or a command's answer is one event on the core thread; if the
//! core does not answer within `READING_TIMEOUT` the request gets 503 rather than waiting.

use super::admin::{self, Answer, Command, Ordered, Static};
use super::admission::accept_loop;
use super::core::{Event, EventTx};
use super::metrics::prometheus_text;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connections one endpoint holds at once.
pub const MAX_CONNECTIONS: usize = 16;
/// How long a request's head may take to arrive.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one connection may stay open.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
/// How long a scrape waits for the core's reading.
pub const READING_TIMEOUT: Duration = Duration::from_secs(5);

/// The content type of Prometheus' text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Serves `router` on `listener` until the task is aborted; `what` names the port in the log.
pub async fn serve(listener: TcpListener, what: &'static str, router: Router) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    accept_loop(listener, what, move |stream, addr| {
        let permit = Arc::clone(&permits).try_acquire_owned();
        let service = TowerToHyperService::new(router.clone());
        async move {
            let Ok(_permit) = permit else {
                tracing::debug!(what, %addr, "connection refused: {MAX_CONNECTIONS} open");
                return;
            };
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(CONNECTION_LIFETIME, conn).await {
                Ok(Err(e)) => tracing::debug!(what, %addr, "connection ended: {e}"),
                Err(_) => tracing::debug!(what, %addr, "connection closed after its lifetime"),
                Ok(Ok(())) => {}
            }
        }
    })
    .await
}

/// The metrics endpoint: `GET /metrics` in Prometheus' text format.
pub fn metrics(events: EventTx) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let events = events.clone();
            async move { scrape(events).await }
        }),
    )
}

async fn scrape(events: EventTx) -> Response {
    let (reply, reading) = tokio::sync::oneshot::channel();
    if events.send(Event::Metrics { reply }).is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "server stopping\n").into_response();
    }
    match tokio::time::timeout(READING_TIMEOUT, reading).await {
        Ok(Ok(m)) => (
            [(header::CONTENT_TYPE, PROMETHEUS_TEXT)],
            prometheus_text(&m),
        )
            .into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no reading from the server\n",
        )
            .into_response(),
    }
}

/// The AdminServer: `GET <commandURL>` lists the commands, `GET <commandURL>/<name>` runs
/// one (JSON); `allowed` holds the primary names `4lw.commands.whitelist` opens.
pub fn admin(
    events: EventTx,
    command_url: &str,
    fixed: Arc<Static>,
    allowed: BTreeSet<&'static str>,
) -> Router {
    let listing = listing(command_url);
    let list = move || {
        let listing = listing.clone();
        async move { ([(header::CONTENT_TYPE, "text/html")], listing) }
    };
    let allowed = Arc::new(allowed);
    let run = move |Path(name): Path<String>| {
        let (events, fixed, allowed) = (events.clone(), Arc::clone(&fixed), Arc::clone(&allowed));
        async move { command(events, &fixed, &allowed, name).await }
    };
    Router::new()
        .route(command_url, get(list.clone()))
        .route(&format!("{command_url}/"), get(list))
        .route(&format!("{command_url}/{{*name}}"), get(run))
}

/// `GET <commandURL>`: a link to each command, as ZooKeeper lists them.
fn listing(command_url: &str) -> String {
    admin::COMMANDS
        .iter()
        .map(|c| format!("<a href=\"{command_url}/{0}\">{0}</a>\n<br/>\n", c.name))
        .collect()
}

async fn command(
    events: EventTx,
    fixed: &Static,
    allowed: &BTreeSet<&'static str>,
    asked: String,
) -> Response {
    let Some(c) = admin::lookup(&asked) else {
        return json(
            StatusCode::OK,
            &admin::envelope(None, &asked, Answer::Data(vec![])),
        );
    };
    if !allowed.contains(c.name) {
        return json(StatusCode::FORBIDDEN, &admin::refusal(c, &asked));
    }
    let (reply, answer) = tokio::sync::oneshot::channel();
    if events.send(Event::Admin { command: c, reply }).is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "server stopping\n").into_response();
    }
    let Ok(Ok(answer)) = tokio::time::timeout(READING_TIMEOUT, answer).await else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "no answer from the server\n",
        )
            .into_response();
    };
    let answer = complete(c, answer, fixed).await;
    json(StatusCode::OK, &admin::envelope(Some(c), &asked, answer))
}

/// Adds what the core does not hold: the configuration, the environment, and directory
/// sizes (read on a blocking thread, since a directory walk is disk I/O).
async fn complete(c: Command, answer: Answer, fixed: &Static) -> Answer {
    let Answer::Data(mut fields) = answer else {
        return answer;
    };
    match c.name {
        "configuration" => fields = fixed.configuration.clone(),
        "environment" => fields = fixed.environment.clone(),
        "dirs" | "server_stats" | "stats" => {
            let sizes = admin::dir_sizes(fixed.data_dir.clone(), fixed.log_dir.clone()).await;
            admin::add_dir_sizes(c, &mut fields, sizes);
        }
        _ => {}
    }
    Answer::Data(fields)
}

fn json(status: StatusCode, body: &Ordered) -> Response {
    let text = serde_json::to_string_pretty(body).unwrap_or_else(|_| {
        r#"{"error": "Exception writing command response to JSON"}"#.to_string()
    });
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}
