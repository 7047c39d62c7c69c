//! The four-letter words at a running server: answered only when `4lw.commands.whitelist`
//! opens them, in ZooKeeper's text layout.

use support::in_process::start_with;
use support::raw::{conn, create, handshake, request};
use zab::server::fourlw::ask as four_letter;
use zab::wire::opcode;

mod support;

/// `4lw.commands.whitelist`: by default only `srvr` answers (`cons` would list every session
/// id and client address to anyone); the words an operator lists answer, `srvr` always.
#[test]
fn four_letter_words_answer_only_when_whitelisted() {
    let refused =
        |word: &str| format!("{word} is not executed because it is not in the whitelist.\n");
    let server = start_with("");
    assert!(four_letter(server.port, "srvr")
        .unwrap()
        .contains("Mode: standalone"));
    for word in ["ruok", "stat", "mntr", "conf", "cons", "wchs", "envi"] {
        assert_eq!(
            four_letter(server.port, word),
            Some(refused(word)),
            "{word}"
        );
    }
    let server = start_with("4lw.commands.whitelist=ruok, cons\n");
    assert_eq!(four_letter(server.port, "ruok").as_deref(), Some("imok"));
    assert!(four_letter(server.port, "cons")
        .unwrap()
        .contains("/127.0.0.1:"));
    assert!(four_letter(server.port, "srvr")
        .unwrap()
        .contains("Mode: standalone"));
    assert_eq!(four_letter(server.port, "mntr"), Some(refused("mntr")));
    let server = start_with("4lw.commands.whitelist=*\n");
    for word in ["ruok", "stat", "mntr", "conf", "cons", "wchs", "envi"] {
        assert_ne!(
            four_letter(server.port, word),
            Some(refused(word)),
            "{word}"
        );
    }
}

/// `wchc` and `wchp` list data watches by session and by path as ZooKeeper's `dumpWatches`
/// does (hex session ids, a tab before each entry); `isro` says `rw` without a newline.
#[test]
fn watches_are_listed_by_session_and_by_path_and_isro_says_rw() {
    let server = start_with("4lw.commands.whitelist=*\n");
    let mut s = conn(server.port);
    let session = handshake(&mut s, 0, vec![0; 16]).session_id;
    assert_eq!(create(&mut s, 1, "/a").err, 0);
    let h = request(&mut s, 2, opcode::EXISTS, |w| {
        w.ustring("/a").boolean(true);
    });
    assert_eq!(h.err, 0);
    let hex = format!("0x{session:x}");
    let by_session = four_letter(server.port, "wchc").expect("wchc answers");
    assert_eq!(by_session, format!("{hex}\n\t/a\n"));
    let by_path = four_letter(server.port, "wchp").expect("wchp answers");
    assert_eq!(by_path, format!("/a\n\t{hex}\n"));
    assert_eq!(four_letter(server.port, "isro").as_deref(), Some("rw"));
}
