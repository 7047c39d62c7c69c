//! A minimal HTTP/1.0 client for the endpoints' tests (metrics, AdminServer): one request per
//! connection, the whole answer read.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `METHOD path` on 127.0.0.1:`port`: the status code and body.
pub fn request(port: u16, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("the endpoint listens");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let (head, body) = buf.split_once("\r\n\r\n").expect("an HTTP answer");
    let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (code, body.to_string())
}

/// `GET path` on 127.0.0.1:`port`: the status code and body.
pub fn get(port: u16, path: &str) -> (u16, String) {
    request(port, "GET", path)
}
