#!/usr/bin/env python3
"""A sorted set used as a queue, against a server already running on PORT.

    python3 bench/zset_queue.py PORT [MEMBERS] [TAKES]

Adds MEMBERS members to the key `q` (pipelined), then takes TAKES of them by
`ZRANGE q 0 0` + `ZREM q <member>` and TAKES more by ZPOPMIN, one command per
round trip from one client, and prints the rate of each. Run it against kvd
and against redis-server; it deletes `q` first. Plain sockets: no client
library needed (it uses failover.py's client).
"""
import sys
import time

from failover import Conn, encode  # the bench scripts' RESP client


def main():
    port = int(sys.argv[1])
    members = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    takes = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    if 2 * takes > members:
        sys.exit("TAKES must be at most half of MEMBERS")
    conn = Conn(port, timeout=10.0)
    conn.call("DEL", "q")
    for start in range(0, members, 1000):
        batch = range(start, min(start + 1000, members))
        conn.sock.sendall(b"".join(encode(["ZADD", "q", i, "m%07d" % i]) for i in batch))
        for _ in batch:
            conn.reply()
    began = time.time()
    for _ in range(takes):
        first = conn.call("ZRANGE", "q", 0, 0)
        conn.call("ZREM", "q", first[0])
    print("ZRANGE 0 0 + ZREM: %.0f pairs/s over %d" % (takes / (time.time() - began), takes))
    began = time.time()
    for _ in range(takes):
        conn.call("ZPOPMIN", "q")
    print("ZPOPMIN: %.0f/s over %d" % (takes / (time.time() - began), takes))


if __name__ == "__main__":
    main()
