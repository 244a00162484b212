#!/usr/bin/env python3
"""A sorted set used as a queue, against a server already running on PORT.

    python3 bench/zset_queue.py PORT [MEMBERS] [TAKES]

Adds MEMBERS members to the key `q` (pipelined), then takes TAKES of them by
`ZRANGE q 0 0` + `ZREM q <member>` and TAKES more by ZPOPMIN, one command per
round trip from one client, and prints the rate of each. Run it against kvd
and against redis-server; it deletes `q` first. Plain sockets: no client
library needed.
"""
import socket
import sys
import time


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(arg), arg)
    return out


class Connection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.reader = self.sock.makefile("rb")

    def reply(self):
        line = self.reader.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind in (b"+", b":"):
            return rest
        if kind == b"$":
            length = int(rest)
            return None if length < 0 else self.reader.read(length + 2)[:-2]
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise RuntimeError("unexpected reply %r" % line)

    def call(self, *args):
        self.sock.sendall(encode(*args))
        return self.reply()


def main():
    port = int(sys.argv[1])
    members = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    takes = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    if 2 * takes > members:
        sys.exit("TAKES must be at most half of MEMBERS")
    conn = Connection(port)
    conn.call("DEL", "q")
    for start in range(0, members, 1000):
        batch = range(start, min(start + 1000, members))
        conn.sock.sendall(b"".join(encode("ZADD", "q", i, "m%07d" % i) for i in batch))
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
