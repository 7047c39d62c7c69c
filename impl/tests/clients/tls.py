"""kazoo over TLS: connect to HOSTS trusting CA, presenting CERT and KEY ("-" for none),
checking the server's name (127.0.0.1 in its certificate). Prints "connected" and a round
trip's result, or "refused" with the error, and exits 0 either way: the test reads which.

    python3 tls.py HOSTS CA CERT KEY
"""

import sys

from kazoo.client import KazooClient

hosts, ca, cert, key = sys.argv[1:5]
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
zk.create("/over-tls", b"secret", makepath=True)
data, stat = zk.get("/over-tls")
print(f"connected: read {data.decode()} version {stat.version}")
zk.stop()
zk.close()
