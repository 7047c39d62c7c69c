//! Passing a request on to the stateright Explorer behind the front, over loopback.
//!
//! Only what the Explorer's page sends goes through: GETs of its files and JSON, and the POST
//! of "Run to completion", neither with a body. The request is HTTP/1.0, so the Explorer closes
//! the connection after its answer and the whole answer is read to the end.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long the Explorer may take to answer one request (a `.states` request computes the
/// next steps of a path; "Run to completion" only starts the search).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest answer passed on (the Explorer's largest, a step list with its diagrams, is
/// well under a megabyte for the configurations people explore).
const MAX_ANSWER: u64 = 64 << 20;

/// The Explorer's answer: status code, content type if it gave one, and body.
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends `method url` to the Explorer on 127.0.0.1:`port` and reads its answer.
pub fn forward(port: u16, method: &str, url: &str) -> io::Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    stream.set_write_timeout(Some(ANSWER_TIMEOUT))?;
    write!(
        stream,
        "{method} {url} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.take(MAX_ANSWER).read_to_end(&mut raw)?;
    parse(&raw).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not an HTTP answer"))
}

fn parse(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let content_type = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_string())
    });
    Some(Answer {
        status,
        content_type,
        body: raw[split + 4..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn an_answer_is_split_into_status_type_and_body() {
        let a = parse(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\nno such path")
            .unwrap();
        assert_eq!(a.status, 404);
        assert_eq!(a.content_type.as_deref(), Some("text/plain"));
        assert_eq!(a.body, b"no such path");
        assert!(parse(b"garbage").is_none());
    }
}
