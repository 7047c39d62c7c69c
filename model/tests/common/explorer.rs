//! A `zab-model explore` process for the Explorer's tests.

use std::net::TcpListener;
use std::process::Child;

/// A running `zab-model explore`, killed when dropped.
pub struct Explorer(pub Child);

impl Drop for Explorer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
