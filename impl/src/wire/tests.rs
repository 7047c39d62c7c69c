//! The codec against hand-assembled bytes, hostile input, and random input.

use super::*;
use crate::zxid::Zxid;
use proptest::prelude::*;

/// A 3.4+ client's ConnectRequest for a new session, byte by byte.
fn connect_bytes() -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0]; // protocolVersion 0
    b.extend_from_slice(&0x1_0000_0002i64.to_be_bytes()); // lastZxidSeen
    b.extend_from_slice(&30_000i32.to_be_bytes()); // timeOut
    b.extend_from_slice(&0i64.to_be_bytes()); // sessionId
    b.extend_from_slice(&16i32.to_be_bytes()); // passwd length
    b.extend_from_slice(&[0; 16]);
    b.push(0); // readOnly false
    b
}

#[test]
fn a_connect_request_decodes_field_by_field_and_encodes_back() {
    let req = ConnectRequest::decode(&connect_bytes()).unwrap();
    assert_eq!(
        req,
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0x1_0000_0002,
            timeout_ms: 30_000,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: Some(false),
        }
    );
    assert_eq!(req.encode(), connect_bytes());
}

#[test]
fn an_old_client_omits_the_read_only_flag() {
    let mut b = connect_bytes();
    b.pop();
    let req = ConnectRequest::decode(&b).unwrap();
    assert_eq!(req.read_only, None);
    assert_eq!(req.encode(), b);
}

#[test]
fn hostile_connect_requests_are_errors() {
    let mut b = connect_bytes();
    b.truncate(10);
    assert!(matches!(
        ConnectRequest::decode(&b),
        Err(JuteError::Short { what: "long", .. })
    ));
    let mut b = connect_bytes();
    b[24..28].copy_from_slice(&(-7i32).to_be_bytes());
    assert!(matches!(
        ConnectRequest::decode(&b),
        Err(JuteError::NegativeLength { len: -7, .. })
    ));
    let mut b = connect_bytes();
    b[24..28].copy_from_slice(&i32::MAX.to_be_bytes());
    assert!(matches!(
        ConnectRequest::decode(&b),
        Err(JuteError::Short { what: "buffer", .. })
    ));
    let mut b = connect_bytes();
    *b.last_mut().unwrap() = 2;
    assert_eq!(ConnectRequest::decode(&b).unwrap().read_only, Some(true));
    let mut b = connect_bytes();
    b.extend_from_slice(&[1, 2]);
    assert!(matches!(
        ConnectRequest::decode(&b),
        Err(JuteError::Trailing { left: 2 })
    ));
}

#[test]
fn a_vector_claiming_more_elements_than_bytes_is_refused_before_allocating() {
    let mut w = Writer::new();
    w.int(i32::MAX);
    let mut r = Reader::new(&w.bytes);
    let err = r.vector(4, |r| r.int()).unwrap_err();
    assert!(
        matches!(err, JuteError::Short { what: "vector", .. }),
        "{err}"
    );
    let mut w = Writer::new();
    w.null();
    assert_eq!(Reader::new(&w.bytes).vector(4, |r| r.int()), Ok(vec![]));
    let mut w = Writer::new();
    w.vector(&["a", "bc"], |w, s| {
        w.ustring(s);
    });
    let mut r = Reader::new(&w.bytes);
    assert_eq!(
        r.vector(4, |r| r.ustring()),
        Ok(vec!["a".to_string(), "bc".into()])
    );
    r.finish().unwrap();
}

#[test]
fn bytes_that_are_not_utf8_become_replacement_characters_and_null_strings_are_told_apart() {
    let mut w = Writer::new();
    w.buffer(b"/a\xff\xfeb").null();
    let mut r = Reader::new(&w.bytes);
    assert_eq!(r.ustring(), Ok("/a\u{fffd}\u{fffd}b".to_string()));
    assert_eq!(r.ustring_opt(), Ok(None));
    r.finish().unwrap();
}

#[test]
fn any_boolean_byte_but_zero_is_true() {
    let mut r = Reader::new(&[0, 1, 2, 0xff]);
    let read: Vec<bool> = (0..4).map(|_| r.boolean().unwrap()).collect();
    assert_eq!(read, [false, true, true, true]);
}

#[test]
fn framing_waits_for_whole_packets_and_refuses_oversized_ones() {
    let packet = frame::frame(b"hello");
    assert_eq!(frame::split(&packet[..3], DEFAULT_MAX_BUFFER), Ok(None));
    assert_eq!(frame::split(&packet[..7], DEFAULT_MAX_BUFFER), Ok(None));
    let mut two = packet.clone();
    two.extend_from_slice(&frame::frame(b""));
    assert_eq!(
        frame::split(&two, DEFAULT_MAX_BUFFER),
        Ok(Some((&b"hello"[..], 9)))
    );
    assert_eq!(
        frame::split(&two[9..], DEFAULT_MAX_BUFFER),
        Ok(Some((&b""[..], 4)))
    );
    let big = ((DEFAULT_MAX_BUFFER + 1) as u32).to_be_bytes();
    assert_eq!(
        frame::split(&big, DEFAULT_MAX_BUFFER),
        Err(FrameError::TooLarge {
            len: DEFAULT_MAX_BUFFER + 1,
            max: DEFAULT_MAX_BUFFER
        })
    );
    assert_eq!(
        frame::split(&(-1i32).to_be_bytes(), DEFAULT_MAX_BUFFER),
        Err(FrameError::Negative(-1))
    );
}

#[test]
fn headers_round_trip() {
    let mut w = Writer::new();
    RequestHeader { xid: 7, op: 4 }.encode(&mut w);
    w.ustring("/a");
    let (h, mut body) = RequestHeader::decode(&w.bytes).unwrap();
    assert_eq!(h, RequestHeader { xid: 7, op: 4 });
    assert_eq!(body.ustring().unwrap(), "/a");
    let mut w = Writer::new();
    let reply = ReplyHeader {
        xid: xid::NOTIFICATION,
        zxid: -1,
        err: 0,
    };
    reply.encode(&mut w);
    assert_eq!(ReplyHeader::decode(&mut Reader::new(&w.bytes)), Ok(reply));
}

proptest! {
    /// Random bytes never panic a decoder: each is a record or an error.
    #[test]
    fn random_bytes_are_decoded_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
        let _ = ConnectRequest::decode(&bytes);
        let _ = ConnectResponse::decode(&bytes);
        let _ = frame::split(&bytes, 64);
        if let Ok((_, mut r)) = RequestHeader::decode(&bytes) {
            let _ = r.vector(1, |r| r.ustring_opt());
        }
    }

    #[test]
    fn connect_requests_round_trip(
        version in any::<i32>(), zxid in any::<i64>(), timeout in any::<i32>(),
        session in any::<i64>(), passwd in proptest::collection::vec(any::<u8>(), 0..32),
        read_only in proptest::option::of(any::<bool>()),
    ) {
        let req = ConnectRequest {
            protocol_version: version,
            last_zxid_seen: zxid,
            timeout_ms: timeout,
            session_id: session,
            passwd,
            read_only,
        };
        prop_assert_eq!(ConnectRequest::decode(&req.encode()), Ok(req));
    }
}

/// getChildren's reply is a jute vector of ustrings, written straight from the tree's
/// names: the same bytes as the vector of owned strings, allocated once.
#[test]
fn a_children_reply_is_a_vector_of_ustrings() {
    let mut tree = crate::data_tree::DataTree::new();
    let caller = crate::data_tree::Caller::anonymous();
    let names = ["a", "bb", "é"];
    for (i, n) in names.iter().enumerate() {
        tree.apply(&crate::txn::TxnEntry {
            header: crate::txn::TxnHeader {
                session_id: 1,
                cxid: 0,
                zxid: Zxid::new(1, i as u32 + 1),
                time: 0,
            },
            txn: crate::txn::Txn::Create {
                path: format!("/{n}"),
                data: Vec::new().into(),
                acl: crate::acl::Acl::open_unsafe().into(),
                mode: crate::txn::CreateMode::Persistent,
                parent_cversion: -1,
                ttl: -1,
            },
        });
    }
    let (children, _) = tree.get_children("/", &caller).unwrap();
    let body = response::reply(7, Zxid::new(1, 3), 0, &response::Reply::Children(children));
    let mut expected = Writer::new();
    ReplyHeader {
        xid: 7,
        zxid: Zxid::new(1, 3).0 as i64,
        err: 0,
    }
    .encode(&mut expected);
    let owned: Vec<String> = ["a", "bb", "zookeeper", "é"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.vector(&owned, |w, s| {
        w.ustring(s);
    });
    assert_eq!(body, expected.bytes);
    assert_eq!(body.capacity(), body.len(), "allocated once, to size");
}
