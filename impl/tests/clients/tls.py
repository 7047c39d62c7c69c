"""kazoo over TLS: connect to HOSTS trusting CA, presenting CERT and KEY ("-" for none),
checking the server's name (127.0.0.1 in its certificate). Prints "connected" and a round
trip's result, or "refused" with the error, and exits 0 either way: the test reads which.

    python3 tls.py HOSTS CA CERT KEY [HOLD]

With HOLD, the session stays open HOLD seconds after the round trip's line (flushed).
"""

import sys
import time

from kazoo.client import KazooClient

hosts, ca, cert, key = sys.argv[1:5]
hold = float(sys.argv[5]) if len(sys.argv) > 5 else 0
tls = dict(use_ssl=True, verify_certs=True, check_hostname=True, ca=ca)
if cert != "-":
    tls.update(certfile=cert, keyfile=key)
zk = KazooClient(hosts=hosts, timeout=5, connection_retry={"max_tries": 2}, **tls)
try:
    zk.start(timeout=6)
except Exception as e:  # noqa: BLE001 - any failure to connect is the answer
    print(f"refused: {type(e).__name__}: {e}")
    zk.close()
    sys.exit(0)
if zk.exists("/over-tls") is None:
    zk.create("/over-tls", b"secret")
data, stat = zk.get("/over-tls")
print(f"connected: read {data.decode()} version {stat.version}", flush=True)
time.sleep(hold)
zk.stop()
zk.close()
