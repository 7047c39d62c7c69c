use super::*;

fn secret(s: &str) -> Option<QuorumSecret> {
    Some(QuorumSecret(s.as_bytes().to_vec()))
}

/// Runs one handshake over an in-memory pipe: `connector` calls `to` on `plane`.
async fn handshake(
    connector: &PeerAuth,
    acceptor: &PeerAuth,
    to: ServerId,
) -> (Result<(), AuthError>, Result<(ServerId, Plane), AuthError>) {
    let (mut c, mut a) = tokio::io::duplex(1024);
    let connecting = async {
        let r = connector.connect(&mut c, to, Plane::Quorum).await;
        // A failed connector closes its side, as its task would.
        drop(c);
        r
    };
    let accepting = async {
        let r = acceptor.accept(&mut a).await;
        // A refusing acceptor closes its side too, so the connector is not left waiting.
        drop(a);
        r
    };
    tokio::join!(connecting, accepting)
}

#[tokio::test]
async fn peers_with_the_same_secret_prove_it_to_each_other() {
    let one = PeerAuth::new(1, [1, 2, 3], secret("sixteen-bytes-or-more"));
    let two = PeerAuth::new(2, [1, 2, 3], secret("sixteen-bytes-or-more"));
    let (c, a) = handshake(&one, &two, 2).await;
    assert!(c.is_ok(), "{c:?}");
    assert_eq!(a.unwrap(), (1, Plane::Quorum));
}

#[tokio::test]
async fn a_connector_with_another_secret_is_refused_and_does_not_prove_itself() {
    let one = PeerAuth::new(1, [1, 2], secret("not-the-ensemble-secret"));
    let two = PeerAuth::new(2, [1, 2], secret("sixteen-bytes-or-more"));
    let (c, a) = handshake(&one, &two, 2).await;
    assert!(matches!(c, Err(AuthError::BadProof(2))), "{c:?}");
    assert!(matches!(a, Err(AuthError::Io(_))), "{a:?}");
}

#[tokio::test]
async fn a_connector_without_the_secret_is_refused() {
    let one = PeerAuth::new(1, [1, 2], None);
    let two = PeerAuth::new(2, [1, 2], secret("sixteen-bytes-or-more"));
    let (_, a) = handshake(&one, &two, 2).await;
    assert!(matches!(a, Err(AuthError::BadProof(1))), "{a:?}");
}

#[tokio::test]
async fn without_a_secret_only_configured_ids_calling_this_server_are_taken() {
    let two = PeerAuth::new(2, [1, 2, 3], None);
    let (_, a) = handshake(&PeerAuth::new(1, [1, 2, 3], None), &two, 2).await;
    assert_eq!(a.unwrap(), (1, Plane::Quorum));
    let (_, a) = handshake(&PeerAuth::new(9, [9], None), &two, 2).await;
    assert!(matches!(a, Err(AuthError::UnknownPeer(9))), "{a:?}");
    let (_, a) = handshake(&PeerAuth::new(2, [2], None), &two, 2).await;
    assert!(matches!(a, Err(AuthError::UnknownPeer(2))), "itself: {a:?}");
    let (_, a) = handshake(&PeerAuth::new(1, [1], None), &two, 3).await;
    assert!(
        matches!(a, Err(AuthError::Misdirected { from: 1, to: 3 })),
        "{a:?}"
    );
}

#[tokio::test]
async fn a_silent_or_babbling_connection_is_refused() {
    let two = PeerAuth::new(2, [1, 2], None);
    let (_c, mut a) = tokio::io::duplex(1024);
    tokio::time::pause();
    let r = two.accept(&mut a).await;
    assert!(matches!(r, Err(AuthError::Timeout)), "{r:?}");
    tokio::time::resume();
    let (mut c, mut a) = tokio::io::duplex(1024);
    c.write_all(&[0, 0, 16, 0]).await.unwrap();
    let r = two.accept(&mut a).await;
    assert!(matches!(r, Err(AuthError::Malformed)), "4 KiB hello: {r:?}");
}

#[test]
fn a_short_or_readable_secret_file_is_refused_and_a_secret_never_prints() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str, mode: u32| {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
        f
    };
    let short = write("short", "fifteen-bytes!!\n", 0o600);
    assert!(QuorumSecret::read(&short).unwrap_err().contains("15 bytes"));
    let readable = write("readable", "a-secret-of-enough-bytes\n", 0o644);
    assert!(QuorumSecret::read(&readable)
        .unwrap_err()
        .contains("mode 644"));
    let good = write("good", "a-secret-of-enough-bytes\n", 0o600);
    let s = QuorumSecret::read(&good).unwrap();
    assert_eq!(s.0, b"a-secret-of-enough-bytes");
    assert_eq!(format!("{s:?}"), "QuorumSecret(24 bytes)");
    assert!(QuorumSecret::read(&dir.path().join("absent")).is_err());
}

#[test]
fn a_created_secret_is_fresh_owner_only_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    QuorumSecret::create(&a).unwrap();
    QuorumSecret::create(&b).unwrap();
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&a).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let (sa, sb) = (
        QuorumSecret::read(&a).unwrap(),
        QuorumSecret::read(&b).unwrap(),
    );
    assert_eq!(sa.0.len(), 64, "256 bits in hex");
    assert_ne!(sa, sb);
}
