"""Differential test: the same seeded random operations through kazoo against zabd and
against Apache ZooKeeper 3.8; every result, error, Stat (modulo zxid and time values) and
watch event must be the same.

usage: differential.py SEED OPS ZABD_HOSTS ZOOKEEPER_HOSTS

Each side has two sessions, `a` on its first server and `b` on its last, so watches fire
across sessions and, on zabd, across servers. After every operation both sessions sync and
drain their watch callbacks, so the events an operation caused are all seen before the
next one: the comparison is per step, not eventually. Exits non-zero at the first
difference, printing the seed, the step, the operation and both answers.
"""
import collections
import random
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.protocol.states import Callback
from kazoo.security import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE

SEED, OPS = int(sys.argv[1]), int(sys.argv[2])
SIDES = {"zabd": sys.argv[3], "zookeeper": sys.argv[4]}
ROOT = "/d"
FIXED = ["/", "/zookeeper", ROOT, ROOT + "/a", ROOT + "/b", ROOT + "/c",
         ROOT + "/a/x", ROOT + "/a/y", ROOT + "/b/x", ROOT + "/a/x/1", ROOT + "/c/z/w"]
STAT_KEPT = ("version", "cversion", "aversion", "dataLength", "numChildren")


class Side:
    """One server ensemble with its two sessions and the watch events they saw."""

    def __init__(self, name, hosts):
        self.name, self.hosts = name, hosts.split(",")
        self.events = []
        self.sessions = {"a": self.connect("a", self.hosts[0]),
                         "b": self.connect("b", self.hosts[-1])}

    def connect(self, who, host):
        c = KazooClient(hosts=host, timeout=10)
        c.start(timeout=20)
        c.who, c.retired = who, False
        return c

    def watcher(self, who, kind):
        client = self.sessions[who]

        def seen(ev):
            # A closed client fires its leftover watchers itself (type NONE) on its own
            # thread, racing the next settle: that is kazoo, not the server, so not compared.
            if not client.retired:
                self.events.append((who, kind, ev.type, ev.path))
        return seen

    def reopen(self, who):
        """Closes a session (its ephemerals go) and opens a new one in its place."""
        old = self.sessions[who]
        old.retired = True
        old.stop()
        old.close()
        self.sessions[who] = self.connect(who, self.hosts[0 if who == "a" else -1])

    def owner(self, session_id):
        for who, c in self.sessions.items():
            if c.client_id and c.client_id[0] == session_id:
                return who
        return "none" if session_id == 0 else "other"

    def settle(self):
        """Every session syncs, then runs a marker through its watch-callback queue: the
        events caused so far were read before the sync reply, so they are recorded."""
        for c in self.sessions.values():
            c.sync("/")
            done = threading.Event()
            c.handler.dispatch_callback(Callback("watch", done.set, ()))
            if not done.wait(10):
                raise RuntimeError(f"{self.name}: watch callbacks did not drain")
        seen, self.events = self.events, []
        return seen


def norm_stat(side, st):
    d = {k: getattr(st, k) for k in STAT_KEPT}
    d["ephemeralOwner"] = side.owner(st.ephemeralOwner)
    # zxids differ between servers, their relations must not.
    d["modified"] = st.mzxid != st.czxid
    d["children_changed"] = st.pzxid != st.czxid
    return d


def norm(side, v):
    """A result without what legitimately differs: zxids, times, session ids."""
    if hasattr(v, "mzxid"):
        return norm_stat(side, v)
    if isinstance(v, BaseException):
        return "error:" + type(v).__name__
    if isinstance(v, (list, tuple)):
        return [norm(side, x) for x in v]
    if hasattr(v, "perms"):  # an ACL
        return (v.perms, v.id.scheme, v.id.id)
    return v


class Ops:
    """The seeded operation generator. It keeps the sequential nodes it created, so later
    operations reach them."""

    def __init__(self, rng):
        self.rng, self.made = rng, []
        self.counts = collections.Counter()

    def path(self):
        pool = FIXED + self.made
        return self.rng.choice(pool)

    def value(self):
        r = self.rng.random()
        if r < 0.1:
            return b""
        if r < 0.15:
            return bytes(self.rng.getrandbits(8) for _ in range(2000))
        return b"v%d" % self.rng.randrange(1000)

    def version(self):
        return self.rng.choice([-1, -1, -1, 0, 1, 2])

    def next(self):
        r, rng = self.rng.random(), self.rng
        who = rng.choice("ab")
        watch = rng.random() < 0.5
        p = self.path()
        if r < 0.22:
            return ("create", who, p if rng.random() < 0.7 else p.rstrip("/") + "/s",
                    self.value(), rng.random() < 0.2, rng.random() < 0.3,
                    rng.random() < 0.3)
        if r < 0.32:
            return ("delete", who, p, self.version())
        if r < 0.47:
            return ("set", who, p, self.value(), self.version())
        if r < 0.60:
            return ("get", who, p, watch)
        if r < 0.70:
            return ("exists", who, p, watch)
        if r < 0.80:
            return ("children", who, p, watch, rng.random() < 0.5)
        if r < 0.89:
            return ("multi", who, [self.sub_op() for _ in range(rng.randrange(1, 4))])
        if r < 0.93:
            return ("acl", who, p, rng.random() < 0.5, self.version())
        if r < 0.96:
            return ("sync", who, p)
        if r < 0.99:
            return ("get_acl", who, p)
        return ("reopen", rng.choice("ab"))

    def sub_op(self):
        r, p = self.rng.random(), self.path()
        if r < 0.35:
            return ("create", p, self.value(), self.rng.random() < 0.2)
        if r < 0.55:
            return ("delete", p, self.version())
        if r < 0.8:
            return ("set", p, self.value(), self.version())
        return ("check", p, self.version())


def run(side, op):
    kind, who = op[0], op[1]
    if kind == "reopen":
        side.reopen(who)
        return None
    c = side.sessions[who]
    w = lambda k: side.watcher(who, k)  # noqa: E731
    try:
        if kind == "create":
            _, _, p, v, eph, seq, with_stat = op
            return c.create(p, v, ephemeral=eph, sequence=seq, include_data=with_stat)
        if kind == "delete":
            return c.delete(op[2], version=op[3])
        if kind == "set":
            return c.set(op[2], op[3], version=op[4])
        if kind == "get":
            return c.get(op[2], watch=w("data") if op[3] else None)
        if kind == "exists":
            return c.exists(op[2], watch=w("exists") if op[3] else None)
        if kind == "children":
            got = c.get_children(op[2], watch=w("child") if op[3] else None,
                                 include_data=op[4])
            # The order of children is a hash set's in ZooKeeper: compare them sorted.
            return (sorted(got[0]), got[1]) if op[4] else sorted(got)
        if kind == "multi":
            t = c.transaction()
            for s in op[2]:
                if s[0] == "create":
                    t.create(s[1], s[2], ephemeral=s[3])
                elif s[0] == "delete":
                    t.delete(s[1], version=s[2])
                elif s[0] == "set":
                    t.set_data(s[1], s[2], version=s[3])
                else:
                    t.check(s[1], s[2])
            return t.commit()
        if kind == "acl":
            acl = READ_ACL_UNSAFE + [OPEN_ACL_UNSAFE[0]] if op[3] else OPEN_ACL_UNSAFE
            return c.set_acls(op[2], acl, version=op[4])
        if kind == "get_acl":
            return c.get_acls(op[2])
        if kind == "sync":
            c.sync(op[2])
            return "synced"
    except Exception as e:  # noqa: BLE001 - the error is the result being compared
        return e
    raise ValueError(f"unknown op {op}")


def show(op):
    return repr(tuple(x[:16] + b"..." if isinstance(x, bytes) and len(x) > 16 else x
                      for x in op))


def main():
    rng = random.Random(SEED)
    ops = Ops(rng)
    sides = [Side(n, h) for n, h in SIDES.items()]
    for s in sides:
        s.sessions["a"].ensure_path(ROOT)
        s.settle()
    started, history, events, failures = time.time(), [], 0, 0
    for step in range(OPS):
        op = ops.next()
        history.append(show(op))
        answers = []
        for s in sides:
            result = norm(s, run(s, op))
            answers.append((result, sorted(s.settle())))
        if answers[0] != answers[1]:
            print(f"DIFFERENCE at step {step} (seed {SEED}): {history[-1]}")
            for s, (res, evs) in zip(sides, answers):
                print(f"  {s.name:10} result {res!r}\n  {'':10} events {evs!r}")
            print("  the steps before:\n    " + "\n    ".join(history[-12:-1]))
            sys.exit(1)
        result, evs = answers[0]
        events += len(evs)
        failed = isinstance(result, str) and result.startswith("error:")
        failures += failed
        ops.counts[op[0] + (" (error)" if failed else "")] += 1
        if op[0] == "create" and not failed:
            name = result if isinstance(result, str) else result[0]
            if op[5] and len(ops.made) < 12:
                ops.made.append(name)
    for s in sides:
        for c in s.sessions.values():
            c.stop()
            c.close()
    print(f"differential seed {SEED}: {OPS} operations identical on both sides "
          f"({failures} failing ones, {events} watch events) in {time.time() - started:.1f} s")
    print("  " + ", ".join(f"{k} {v}" for k, v in sorted(ops.counts.items())))


if __name__ == "__main__":
    main()
