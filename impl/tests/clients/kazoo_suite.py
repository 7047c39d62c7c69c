"""The client API through kazoo against a running zabd ensemble.

usage: kazoo_suite.py HOSTS ENSEMBLE_DIR
Exits non-zero on the first failed check. ENSEMBLE_DIR is `zabd ensemble --dir`: the
reconnect check kills the server a client is on (found by its zN.cfg) and expects the
client to move to another server with its session.
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import (BadVersionError, NoAuthError, NodeExistsError,
                              NoNodeError, NotEmptyError, RolledBackError)
from kazoo.security import make_digest_acl
from kazoo.protocol.states import EventType

HOSTS, DIR = sys.argv[1], sys.argv[2]
PORTS = [int(h.split(":")[1]) for h in HOSTS.split(",")]
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    checks += 1


def client(hosts=HOSTS, **kw):
    zk = KazooClient(hosts=hosts, timeout=kw.pop("timeout", 6), **kw)
    zk.start(timeout=15)
    return zk


def wait(pred, what, limit=10.0):
    end = time.time() + limit
    while time.time() < end:
        try:
            if pred():
                return
        except Exception:  # a connection still moving: try again
            pass
        time.sleep(0.05)
    check(False, what)


def four_letter(port, word):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(word.encode())
    out = b""
    while True:
        b = s.recv(4096)
        if not b:
            return out.decode()
        out += b


zk = client()
zk.ensure_path("/k")

# Create modes and versions.
check(zk.create("/k/p", b"v0") == "/k/p", "persistent create")
try:
    zk.create("/k/p")
    check(False, "duplicate create")
except NodeExistsError:
    check(True, "")
seqs = [zk.create("/k/s-", sequence=True) for _ in range(3)]
# the counter is the parent's cversion: /k/p made it 1
check(seqs == ["/k/s-0000000001", "/k/s-0000000002", "/k/s-0000000003"], f"sequential names {seqs}")
check(zk.create("/k/e", ephemeral=True) == "/k/e", "ephemeral create")
path, stat = zk.create("/k/c2", b"abc", include_data=True)
check(stat.dataLength == 3 and stat.version == 0, "create2 stat")
_, st = zk.get("/k/p")
zk.set("/k/p", b"v1", version=st.version)
try:
    zk.set("/k/p", b"v2", version=st.version)
    check(False, "stale setData")
except BadVersionError:
    check(True, "")
try:
    zk.delete("/k")
    check(False, "delete non-empty")
except NotEmptyError:
    check(True, "")
check(zk.get("/k/p")[1].version == 1, "version after set")

# Multi: all or nothing.
t = zk.transaction()
t.create("/k/m1", b"")
t.check("/k/p", 1)
t.set_data("/k/p", b"m")
res = t.commit()
check(res[0] == "/k/m1" and res[1] is True, f"multi results {res}")
t = zk.transaction()
t.create("/k/m2", b"")
t.delete("/k/absent")
res = t.commit()
check(isinstance(res[0], RolledBackError) and isinstance(res[1], NoNodeError), f"failed multi {res}")
check(zk.exists("/k/m2") is None, "failed multi applied nothing")

# Watches: data, exists, child, and notification before the reply that observes it.
events = []
zk.get("/k/p", watch=lambda e: events.append(("data", e.type, e.path)))
zk.exists("/k/new", watch=lambda e: events.append(("exists", e.type, e.path)))
zk.get_children("/k", watch=lambda e: events.append(("child", e.type, e.path)))
zk.set("/k/p", b"w")
zk.create("/k/new")
wait(lambda: len(events) == 3, f"three one-shot watches fired: {events}")
check(("data", EventType.CHANGED, "/k/p") in events, "data watch")
check(("exists", EventType.CREATED, "/k/new") in events, "exists watch")
check(("child", EventType.CHILD, "/k") in events, "child watch")
zk.set("/k/p", b"again")
time.sleep(0.3)
check(len(events) == 3, "one-shot watches fire once")

# A second client sees the first one's writes after sync, on another server.
other = client(hosts=HOSTS.split(",")[-1])
zk.set("/k/p", b"synced")
other.sync("/k/p")
check(other.get("/k/p")[0] == b"synced", "read after sync")

# Ephemerals vanish when their session closes.
gone = threading.Event()
other.exists("/k/e", watch=lambda e: gone.set())
eph = client()
eph.create("/k/eph2", ephemeral=True)
check(other.exists("/k/eph2") is not None, "ephemeral visible")
eph.stop()
eph.close()
other.sync("/k")
check(other.exists("/k/eph2") is None, "ephemeral gone after close")

# ... and when their session expires: a raw client handshakes, creates one, goes silent.
def raw_session_with_ephemeral(port, path):
    s = socket.create_connection(("127.0.0.1", port))
    body = struct.pack(">iqiqi", 0, 0, 1000, 0, 16) + b"\0" * 16 + b"\0"
    s.sendall(struct.pack(">i", len(body)) + body)
    n = struct.unpack(">i", s.recv(4))[0]
    s.recv(n)
    p = path.encode()
    acl = struct.pack(">ii", 1, 31) + struct.pack(">i", 5) + b"world" + struct.pack(">i", 6) + b"anyone"
    req = struct.pack(">ii", 1, 1) + struct.pack(">i", len(p)) + p + struct.pack(">i", 0) + acl + struct.pack(">i", 1)
    s.sendall(struct.pack(">i", len(req)) + req)
    n = struct.unpack(">i", s.recv(4))[0]
    reply = s.recv(n)
    return s, struct.unpack(">iqi", reply[:16])[2]

sock, err = raw_session_with_ephemeral(PORTS[0], "/k/expiring")
check(err == 0, f"raw ephemeral create err {err}")
check(other.exists("/k/expiring") is not None, "raw ephemeral visible")
sock.close()  # no closeSession: the session must expire (timeout 1 s)
wait(lambda: other.exists("/k/expiring") is None, "ephemeral gone after expiry", 15)

# ACLs with digest auth.
acl = make_digest_acl("alice", "secret", all=True)
zk.create("/k/private", b"s", acl=[acl])
try:
    other.get("/k/private")
    check(False, "read without auth")
except NoAuthError:
    check(True, "")
other.add_auth("digest", "alice:secret")
check(other.get("/k/private")[0] == b"s", "read with digest auth")

# Persistent recursive watch (addWatch): kazoo 2.11 has no add_watch, so this runs only with
# a kazoo that does; the Rust client test (tests/rust_client.rs) covers addWatch.
if not hasattr(zk, "add_watch"):
    print("note: this kazoo has no add_watch; addWatch is checked by tests/rust_client.rs")
else:
    from kazoo.protocol.states import AddWatchMode
    rec = []
    zk.add_watch("/k", lambda e: rec.append(e.path), AddWatchMode.PERSISTENT_RECURSIVE)
    zk.create("/k/r1")
    zk.set("/k/r1", b"1")
    wait(lambda: len(rec) >= 2, f"recursive watch {rec}")

# Four-letter words.
check(four_letter(PORTS[0], "ruok") == "imok", "ruok")
modes = [four_letter(p, "srvr") for p in PORTS]
check(sum("Mode: leader" in m for m in modes) == 1, f"one leader: {modes}")
check("zk_znode_count" in four_letter(PORTS[0], "mntr"), "mntr")

# Failover: kill the leader, which `mover` is on, while another client keeps writing; a new
# leader is elected, the client moves with its session to another server, and no
# acknowledged write is lost. Then the killed server restarts and catches up.
port = next(p for p, m in zip(PORTS, modes) if "Mode: leader" in m)
mover = client(hosts=f"127.0.0.1:{port}")
sid = mover.client_id[0]
mover.create("/k/before-kill", ephemeral=True)
acked = [mover.create("/k/acked-", sequence=True) for _ in range(20)]
cfg = None
for name in os.listdir(DIR):
    if name.endswith(".cfg") and f"clientPort={port}\n" in open(os.path.join(DIR, name)).read():
        cfg = os.path.join(DIR, name)
pids = subprocess.run(["pgrep", "-f", "--", f"--config {cfg}$"], capture_output=True, text=True).stdout.split()
check(len(pids) == 1, f"found the server process {pids}")
cmdline = open(f"/proc/{pids[0]}/cmdline").read().split("\0")[:-1]

# The server to kill: its snapshots, which autopurge trims once it restarts.
cfg_text = open(cfg).read()
data_dir = next(ln.split("=", 1)[1] for ln in cfg_text.splitlines() if ln.startswith("dataDir="))


def snapshots():
    return sorted(int(f.split(".")[1], 16) for f in os.listdir(data_dir)
                  if f.startswith("snapshot."))


# The writer: only creates that returned are acknowledged; one that failed with the
# connection may or may not have happened, and is not counted.
written, stop_writing = [], threading.Event()
alive = ",".join(h for h in HOSTS.split(",") if not h.endswith(f":{port}"))


def writer():
    w = client(hosts=alive)
    while not stop_writing.is_set():
        try:
            written.append(w.create("/k/w-", sequence=True))
        except Exception:  # noqa: BLE001 - the failover window
            time.sleep(0.05)
    w.stop()
    w.close()


writing = threading.Thread(target=writer, daemon=True)
writing.start()
# Enough writes that the doomed server holds more snapshots than autopurge keeps (3): how
# many the earlier suites left depends on the snapCount threshold each server drew.
purging = "autopurge.purgeInterval=" in cfg_text
wait(lambda: len(written) >= 20 and (not purging or len(snapshots()) > 3),
     "the writer writes before the kill", 60)
os.kill(int(pids[0]), signal.SIGKILL)
for c in (mover, other, zk):
    c.set_hosts(alive)
wait(lambda: mover.connected and mover.exists("/k/before-kill") is not None, "client reconnected", 30)
check(mover.client_id[0] == sid, "same session after reconnect")
wait(lambda: mover.create("/k/after-kill"), "write after failover", 30)
wait(lambda: other.exists("/k/after-kill") is not None, "write after failover visible", 30)
before = len(written)
wait(lambda: len(written) > before + 20, "the writer goes on after failover", 30)
stop_writing.set()
writing.join(30)
other.sync("/k")
kids = set(other.get_children("/k"))
check(all(a.split("/")[-1] in kids for a in acked), "every acknowledged write survived")
check(all(w.split("/")[-1] in kids for w in written),
      f"every write acknowledged during the failover survived ({len(written)})")
modes = [four_letter(p, "srvr") for p in PORTS if p != port]
check(sum("Mode: leader" in m for m in modes) == 1, f"a new leader: {modes}")

# The killed server restarts from its disk and catches up with what it missed (DIFF, or
# SNAP once the leader's snapshots moved past its last zxid).
old_snapshots = snapshots()
log = open(os.path.join(DIR, "restarted.log"), "w")
restarted = subprocess.Popen(cmdline, stdout=log, stderr=log)
try:
    wait(lambda: "Mode: follower" in four_letter(port, "srvr"), "the restarted server follows", 30)
    if purging:
        check(len(old_snapshots) > 3, f"snapshots for autopurge to delete: {old_snapshots}")
        # Autopurge runs at the server's first tick and keeps the 3 newest snapshots it has
        # then; a SNAP sync may already have added one, so 1 to 3 of the old ones stay, the
        # newest of them.
        def purged():
            kept = [z for z in snapshots() if z <= old_snapshots[-1]]
            return 1 <= len(kept) <= 3 and kept == old_snapshots[-len(kept):]
        try:
            wait(purged, f"autopurge kept the newest of {len(old_snapshots)} snapshots")
        except SystemExit:
            log.flush()
            print("restarted server's log:\n" + open(log.name).read()[-4000:])
            raise
        checks += 1
    mover.create("/k/after-restart")
    direct = client(hosts=f"127.0.0.1:{port}")
    wait(lambda: direct.exists("/k/after-restart") is not None, "the restarted server caught up", 30)
    # No sync: what the restarted server itself applied.
    mine = set(direct.get_children("/k"))
    check(mine == set(other.get_children("/k")), "the restarted server has the same /k")
    def zxids():
        return {four_letter(p, "srvr").split("Zxid: ")[1].split()[0] for p in PORTS}
    wait(lambda: len(zxids()) == 1, f"every server at the same zxid: {zxids()}")
    checks += 1
    direct.stop()
    direct.close()
finally:
    restarted.terminate()
    restarted.wait(15)

for c in (zk, other, mover):
    c.stop()
    c.close()
print(f"kazoo suite: {checks} checks passed")
