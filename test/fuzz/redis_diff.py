#!/usr/bin/env python3
"""Differential fuzz: the same random commands to kvd and to redis-server, every reply compared.

CTest runs it briefly as `redis_diff` (--start --suite); longer runs with
other seeds and sizes are by hand. The integration tests compare each type
against redis-server on their own; this one mixes every type in one small key
space, so commands meet keys of other types, transactions, blocking pops with
short timeouts, expiry and SCAN.

    kvd server --port 7001 --dir /tmp/fz-kvd &
    redis-server --port 7002 --save '' --appendonly no &
    python3 test/fuzz/redis_diff.py 7001 7002 --seed 1 --steps 30000
    python3 test/fuzz/redis_diff.py 7001 7002 --members 300 --keys 3   # larger collections
    python3 test/fuzz/redis_diff.py 7001 7002 --resp3                  # after HELLO 3
    python3 test/fuzz/redis_diff.py 7001 7002 --mode pipelined         # batches in one write
    python3 test/fuzz/redis_diff.py 7001 7002 --mode watch --steps 3000  # WATCH/MULTI/EXEC, 2 clients
    python3 test/fuzz/redis_diff.py 7001 7002 --mode blocking          # blocked clients and a writer
    python3 test/fuzz/redis_diff.py 7001 7002 --mode pubsub --resp3    # subscribers and a publisher
    python3 test/fuzz/redis_diff.py 7001 7002 --mode protocol          # malformed requests, raw bytes compared
    python3 test/fuzz/redis_diff.py 7001 7002 --mode expiry            # commands on keys expired a moment ago
    python3 test/fuzz/redis_diff.py 7001 7002 --mode switchover --replica 7003  # master and replica trade places
    python3 test/fuzz/redis_diff.py 7000 7002 --proxy                  # 7000: a kvd proxy over two kvds
    python3 test/fuzz/redis_diff.py ... --log cmds.txt                 # every command sent, to replay
    python3 test/fuzz/redis_diff.py --start build/kvd --suite         # CTest: starts both servers itself

With --start it runs both servers on free loopback ports in a temporary
directory and stops them (by pid) at the end; without redis-server it exits
with 77, which CTest reports as skipped. --suite runs every mode briefly.

Both servers are FLUSHALLed first. Known, accepted differences are left out
of the command mix: DUMP (kvd writes the plain RDB types, redis-server its
packed ones: RESTORE gets payloads built here instead), OBJECT ENCODING
(redis-server's depends on history),
DBSIZE (it counts expired keys not yet reclaimed), SWAPDB (not implemented),
reading a HyperLogLog's bytes (kvd does not write the cached count back),
SPOP (random), lex ranges over sorted sets with unequal scores (undefined in
Redis), and in watch mode a BITFIELD ... OVERFLOW FAIL that changes no field
(redis-server 7.0 still creates or extends the key then, but tells neither
WATCH nor its replicas; kvd does both), and in pubsub mode a RESP3 client's
PUBLISH inside MULTI to a channel it is subscribed to (redis-server 7.0
writes the message inside EXEC's array, breaking its count; kvd sends it
after the array), and in protocol mode a '\\r' not followed by '\\n' or a NUL
in a header (redis-server takes the '\\r' as a line end and skips the next
byte, and its search for '\\r' stops at a NUL; kvd answers a protocol error
in both cases). Replies that depend on the clock
(PEXPIRETIME one ms apart) can differ.

With --proxy the kvd side is a `kvd proxy` over two kvd servers, each owning
half of the slots (--start starts them), and the mix leaves out what a
sharding proxy refuses by design: commands whose keys span both groups
(except MGET, MSET, DEL, EXISTS, UNLINK and TOUCH, which it splits),
RANDOMKEY, SELECT, MOVE, publish/subscribe and SORT's BY/GET patterns.
"""
import argparse
import json
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        arg = arg.encode() if isinstance(arg, str) else arg
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


class Client:
    """A blocking RESP2/RESP3 client; replies become (type, value) tuples."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buffer = b""

    def _fill(self, need):
        while need():
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buffer += data

    def _line(self):
        self._fill(lambda: b"\r\n" not in self.buffer)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _bulk(self, n):
        self._fill(lambda: len(self.buffer) < n + 2)
        value, self.buffer = self.buffer[:n], self.buffer[n + 2:]
        return value

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        simple = {b"+": "status", b"-": "error", b",": "double", b"#": "bool", b"(": "bignum"}
        if kind in simple:
            return (simple[kind], rest)
        if kind == b":":
            return ("int", int(rest))
        if kind == b"_":
            return ("null", None)
        n = int(rest)
        if kind == b"$":
            return ("bulk", None if n < 0 else self._bulk(n))
        if kind == b"=":
            return ("verbatim", self._bulk(n))
        if kind == b"%":
            return ("map", [(self.reply(), self.reply()) for _ in range(n)])
        aggregates = {b"*": "array", b"~": "set", b">": "push"}
        if kind in aggregates:
            return (aggregates[kind], None if n < 0 else [self.reply() for _ in range(n)])
        raise ValueError("bad reply line %r" % line)

    def call(self, args):
        self.sock.sendall(encode(args))
        return self.reply()


def unordered(reply):
    """Sets, maps and the replies of unordered commands compared as sorted lists."""
    if reply[0] in ("set", "map", "array") and reply[1] is not None:
        return (reply[0], sorted(reply[1], key=repr))
    return reply


def length_only(reply):
    """Random picks: only how many came back (or whether nil) must agree."""
    if reply[0] in ("array", "set") and reply[1] is not None:
        return (reply[0], len(reply[1]))
    if reply[0] == "bulk":
        return ("bulk", reply[1] is None)
    return reply


def _crc64_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95AC9329AC4BC9B5 if crc & 1 else 0)
        table.append(crc)
    return table


CRC64_TABLE = _crc64_table()


def crc64(data):
    """Redis's CRC-64 (Jones, reflected), the checksum of DUMP payloads."""
    crc = 0
    for byte in data:
        crc = CRC64_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def rdb_length(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + n.to_bytes(4, "big")


def rdb_string(text):
    data = text.encode("latin-1")
    return rdb_length(len(data)) + data


def dump_payload(rdb_type, body):
    """A RESTORE payload: the value, RDB version 10, and the CRC-64 of both."""
    payload = bytes([rdb_type]) + body + b"\x0a\x00"
    return (payload + crc64(payload).to_bytes(8, "little")).decode("latin-1")


class Commands:
    """Random commands over a small key space of every type."""

    def __init__(self, rng, keys, members):
        self.rng = rng
        self.keys = ["k%d" % i for i in range(keys)] + ["{t}a", "{t}b"]
        self.members = ["m%d" % i for i in range(members)] + ["", "a b", "x\r\ny"]
        self.table = self._table()

    def pick(self, *choices):
        return self.rng.choice(choices)

    def key(self):
        return self.rng.choice(self.keys)

    def mem(self):
        return self.rng.choice(self.members)

    def num(self):
        return self.pick("0", "1", "-1", "2", "-2", "3", "10", "-10", "100", str(self.rng.randint(-20, 20)),
                         "9223372036854775807", "-9223372036854775808", "1.5", "abc", "", " 1", "+1", "01", "1e3")

    def expiry(self):
        # Relative times are long (no key expires between the two servers'
        # replies) and rarely repeat: GT and LT between two equal relative
        # times depend on whether a millisecond passed in between.
        return self.pick("0", "-1", "x", "1.5", "9223372036854775807", "-9223372036854775808",
                         str(self.rng.randint(1000, 10 ** 7)))

    def score(self):
        return self.pick("0", "1", "-1", "2.5", "-2.5", "inf", "-inf", "+inf", "1e10", "nan", "abc", "(1", "3", "0.1",
                         str(self.rng.randint(-5, 5)))

    def bound(self):
        return self.pick("-inf", "+inf", "0", "1", "(1", "(0", "2", "(2.5", "-1", "abc", "((1", "3", "[a")

    def lex(self):
        return self.pick("-", "+", "[m1", "(m1", "[m5", "(m5", "m1", "[", "(", "[a")

    def idx(self):
        return self.pick("0", "1", "-1", "2", "-2", "5", "-5", "100", "-100", "3", "x", "9223372036854775807",
                         str(self.rng.randint(-400, 400)), str(self.rng.randint(-40, 40)))

    def maybe(self, *options):
        return list(self.rng.choice(options))

    def _table(self):
        k, m, n, s, b, lx, i, opt = self.key, self.mem, self.num, self.score, self.bound, self.lex, self.idx, self.maybe
        exact, any_order, sizes = "exact", "unordered", "length"
        strings = [
            lambda: ["SET", k(), m()] + opt([], ["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["EX", self.expiry()], ["PX", str(self.rng.randint(10 ** 6, 10 ** 9))],
                                            ["NX", "GET"], ["EX", "10", "PX", "10"]),
            lambda: ["SET", k(), m(), self.pick("EXAT", "PXAT"), self.pick("4102444800", "4102444800000", "0", "-1", "x")],
            lambda: ["GET", k()], lambda: ["INCR", k()], lambda: ["INCRBY", k(), n()], lambda: ["DECRBY", k(), n()],
            lambda: ["INCRBYFLOAT", k(), n()], lambda: ["APPEND", k(), m()], lambda: ["STRLEN", k()],
            lambda: ["INCRBYFLOAT", k(), self.pick("1e308", "1.7976931348623157e308", "-1e308", "inf", "5.0e3")],
            lambda: ["GETRANGE", k(), i(), i()], lambda: ["SUBSTR", k(), i(), i()],
            lambda: ["SETRANGE", k(), self.pick("0", "1", "5", "-1", "x", "536870911", "536870912"), m()],
            lambda: ["SETBIT", k(), self.pick("0", "7", "100", "-1", "x"), self.pick("0", "1", "2")],
            lambda: ["GETBIT", k(), self.pick("0", "7", "100", "-1")],
            lambda: ["BITCOUNT", k()] + opt([], [i(), i()], [i(), i(), "BIT"], [i()]),
            lambda: ["BITPOS", k(), self.pick("0", "1", "2")] + opt([], [i()], [i(), i()], [i(), i(), "BYTE"]),
            lambda: ["BITFIELD", k(), "SET", self.pick("u8", "i16", "u63", "u64", "i64", "x"),
                     self.pick("0", "#1", "100", "-1"), n(), "GET", "u4", "0", "INCRBY", "i5", "3", n()],
            lambda: ["BITFIELD", k(), "OVERFLOW", self.pick("WRAP", "SAT", "FAIL", "X"), "INCRBY",
                     self.pick("u2", "i8"), "0", n()],
            lambda: ["MSET", k(), m(), k(), m()], lambda: ["MGET", k(), k(), k()],
            lambda: ["MSETNX", k(), m(), k(), m()], lambda: ["GETDEL", k()], lambda: ["GETSET", k(), m()],
            lambda: ["SETNX", k(), m()],
            lambda: ["GETEX", k()] + opt([], ["PERSIST"], ["EX", self.expiry()], ["PX", "x"], ["EXAT", "4102444800"]),
            lambda: ["DECR", k()], lambda: ["SETEX", k(), self.expiry(), m()], lambda: ["PSETEX", k(), self.expiry(), m()],
            lambda: ["LCS", k(), k()] + opt([], ["LEN"], ["IDX"], ["IDX", "MINMATCHLEN", self.pick("0", "1", "2", "x")],
                                            ["IDX", "WITHMATCHLEN"], ["LEN", "IDX"]),
            lambda: ["BITOP", self.pick("AND", "OR", "XOR", "NOT", "X"), k(), k()] + opt([], [k()]),
            lambda: ["BITFIELD_RO", k(), "GET", self.pick("u8", "i16", "u64", "i64"), self.pick("0", "#1", "3")],
            lambda: ["ECHO", m()],
        ]
        keys = [
            lambda: ["DEL", k(), k()], lambda: ["EXISTS", k(), k()], lambda: ["TYPE", k()], lambda: ["TTL", k()],
            lambda: ["PERSIST", k()], lambda: ["TOUCH", k(), k()], lambda: ["EXPIRETIME", k()],
            lambda: ["EXPIRE", k(), self.expiry()] + opt([], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"]),
            lambda: ["EXPIREAT", k(), self.pick("1", "4102444800", "-5")] + opt([], ["GT"], ["LT"], ["NX"], ["XX"]),
            lambda: ["PEXPIRE", k(), "-5"],
            lambda: ["RENAME", k(), k()], lambda: ["RENAMENX", k(), k()], lambda: ["COPY", k(), k()] + opt([], ["REPLACE"]),
            lambda: ["MOVE", k(), self.pick("1", "0", "16", "x")], lambda: ["SELECT", self.pick("0", "0", "0", "1", "16")],
            lambda: ["SORT", k(), "ALPHA", "LIMIT", i(), i()],
            lambda: [self.pick("SORT", "SORT_RO"), k()] + opt([], ["DESC"], ["ALPHA", "DESC"],
                                                             ["GET", "#", "GET", "k*", "ALPHA"]),
            lambda: ["SORT", k(), "ALPHA", "STORE", k()],
            lambda: ["UNLINK", k(), k()],
            lambda: ["PEXPIREAT", k(), self.pick("1", "4102444800000", "-5", "x")] + opt([], ["GT"], ["LT"], ["NX"]),
            lambda: ["COPY", k(), k(), "DB", self.pick("0", "1", "16", "x")] + opt([], ["REPLACE"]),
            # HyperLogLogs live on keys of their own: kvd's PFCOUNT does not
            # write the cached count into the value as Redis's does, so their
            # bytes differ (storage/types/hyperloglog.h).
            lambda: ["PFADD", self.pick(*sorted(HLL_KEYS))] + [m() for _ in range(self.rng.randint(0, 4))],
            lambda: ["PFCOUNT", self.pick("h0", "h1", k())] + opt([], [self.pick("h0", "h1", k())]),
            lambda: ["PFMERGE", self.pick("h0", "h1"), self.pick("h0", "h1", k())] + opt([], [k()]),
        ]
        hashes = [
            lambda: ["HSET", k(), m(), m()] + opt([], [m(), m()], [m()]),
            lambda: ["HSET", k()] + sum([[m(), m()] for _ in range(6)], []),
            lambda: ["HGET", k(), m()], lambda: ["HSETNX", k(), m(), m()], lambda: ["HDEL", k(), m(), m()],
            lambda: ["HLEN", k()], lambda: ["HSTRLEN", k(), m()], lambda: ["HEXISTS", k(), m()],
            lambda: ["HMGET", k(), m(), m()], lambda: ["HINCRBY", k(), m(), n()], lambda: ["HINCRBYFLOAT", k(), m(), n()],
            lambda: ["HRANDFIELD", k(), "0"] + opt([], ["WITHVALUES"]),
            lambda: ["HMSET", k(), m(), m()] + opt([], [m(), m()], [m()]),
        ]
        lists = [
            lambda: ["LPUSH", k(), m(), m()], lambda: ["RPUSH", k(), m()], lambda: ["RPUSH", k()] + [m() for _ in range(10)],
            lambda: ["LPUSHX", k(), m()], lambda: ["RPUSHX", k(), m()], lambda: ["LPOP", k()] + opt([], [i()]),
            lambda: ["RPOP", k()] + opt([], [i()]), lambda: ["LLEN", k()], lambda: ["LRANGE", k(), i(), i()],
            lambda: ["LINDEX", k(), i()], lambda: ["LSET", k(), i(), m()],
            lambda: ["LINSERT", k(), self.pick("BEFORE", "AFTER", "x"), m(), m()], lambda: ["LREM", k(), i(), m()],
            lambda: ["LTRIM", k(), i(), i()],
            lambda: ["LPOS", k(), m()] + opt([], ["RANK", i()], ["COUNT", i()], ["MAXLEN", i()], ["RANK", "-1", "COUNT", "0"]),
            lambda: ["RPOPLPUSH", k(), k()],
            lambda: ["LMOVE", k(), k(), self.pick("LEFT", "RIGHT"), self.pick("LEFT", "RIGHT", "UP")],
            lambda: ["LMPOP", self.pick("1", "2", "0"), k(), k(), self.pick("LEFT", "RIGHT")] + opt([], ["COUNT", i()]),
            lambda: ["BLPOP", k(), k(), "0.01"], lambda: ["BRPOP", k(), "0.01"],
            lambda: ["BLMOVE", k(), k(), "LEFT", "RIGHT", "0.01"],
            lambda: ["BLMPOP", "0.01", "2", k(), k(), self.pick("LEFT", "RIGHT"), "COUNT", self.pick("1", "3")],
            lambda: ["BRPOPLPUSH", k(), k(), "0.01"],
        ]
        sets = [
            lambda: ["SADD", k(), m(), m()], lambda: ["SADD", k()] + [m() for _ in range(10)],
            lambda: ["SREM", k(), m(), m()], lambda: ["SISMEMBER", k(), m()], lambda: ["SMISMEMBER", k(), m(), m()],
            lambda: ["SCARD", k()], lambda: ["SMOVE", k(), k(), m()],
            lambda: ["SINTERCARD", self.pick("2", "0", "3", "-1", "x"), k(), k()] + opt([], ["LIMIT", i()]),
            lambda: ["SINTERSTORE", k(), k(), k()], lambda: ["SUNIONSTORE", k(), k(), k()],
            lambda: ["SDIFFSTORE", k(), k(), k()],
        ]
        zsets = [
            lambda: ["ZADD", k()] + opt([], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["INCR"], ["GT", "CH"], ["NX", "GT"],
                                        ["XX", "LT", "CH"]) + [s(), m()] + opt([], [s(), m()]),
            lambda: ["ZADD", k()] + sum([[s(), m()] for _ in range(6)], []),
            lambda: ["ZADD", k(), "INCR", self.pick("inf", "-inf", "1"), m()],
            lambda: ["ZINCRBY", k(), s(), m()], lambda: ["ZINCRBY", k(), self.pick("inf", "-inf"), m()],
            lambda: ["ZSCORE", k(), m()], lambda: ["ZMSCORE", k(), m(), m()], lambda: ["ZCARD", k()],
            lambda: ["ZCOUNT", k(), b(), b()], lambda: ["ZLEXCOUNT", k(), lx(), lx()],
            lambda: ["ZRANGE", k(), i(), i()] + opt([], ["WITHSCORES"], ["REV"], ["REV", "WITHSCORES"]),
            lambda: ["ZRANGE", k(), b(), b(), "BYSCORE"] + opt([], ["WITHSCORES"], ["REV"], ["LIMIT", i(), i()],
                                                              ["REV", "LIMIT", "0", "2", "WITHSCORES"]),
            lambda: ["ZRANGE", k(), lx(), lx(), "BYLEX"] + opt([], ["REV"], ["LIMIT", i(), i()], ["WITHSCORES"]),
            lambda: ["ZRANGEBYSCORE", k(), b(), b()] + opt([], ["WITHSCORES"], ["LIMIT", i(), i()]),
            lambda: ["ZREVRANGEBYSCORE", k(), b(), b()] + opt([], ["WITHSCORES"], ["LIMIT", i(), i()]),
            lambda: ["ZRANGEBYLEX", k(), lx(), lx()], lambda: ["ZREVRANGEBYLEX", k(), lx(), lx()] + opt([], ["LIMIT", i(), i()]),
            lambda: ["ZREVRANGE", k(), i(), i()] + opt([], ["WITHSCORES"]), lambda: ["ZRANK", k(), m()],
            lambda: ["ZREVRANK", k(), m()], lambda: ["ZREM", k(), m(), m()], lambda: ["ZREMRANGEBYRANK", k(), i(), i()],
            lambda: ["ZREMRANGEBYSCORE", k(), b(), b()], lambda: ["ZREMRANGEBYLEX", k(), lx(), lx()],
            lambda: ["ZPOPMIN", k()] + opt([], [i()]), lambda: ["ZPOPMAX", k()] + opt([], [i()]),
            lambda: ["ZMPOP", self.pick("1", "2"), k(), k(), self.pick("MIN", "MAX")] + opt([], ["COUNT", i()]),
            lambda: ["BZPOPMIN", k(), "0.01"], lambda: ["BZMPOP", "0.01", "1", k(), "MAX"],
            lambda: ["BZPOPMAX", k(), k(), "0.01"],
            lambda: ["ZINTERCARD", self.pick("2", "1", "0", "x"), k(), k()] + opt([], ["LIMIT", i()]),
            lambda: ["ZRANGESTORE", k(), k(), b(), b(), "BYSCORE"] + opt([], ["REV"], ["LIMIT", i(), i()]),
            lambda: ["ZUNIONSTORE", k(), "2", k(), k()] + opt([], ["WEIGHTS", s(), s()],
                                                               ["AGGREGATE", self.pick("SUM", "MIN", "MAX", "X")]),
            lambda: ["ZINTERSTORE", k(), "2", k(), k()] + opt([], ["WEIGHTS", "2", "3"], ["AGGREGATE", "MAX"]),
            lambda: ["ZDIFFSTORE", k(), "2", k(), k()], lambda: ["ZRANGESTORE", k(), k(), i(), i()],
            lambda: ["ZUNION", "2", k(), k(), "WITHSCORES"], lambda: ["ZINTER", "2", k(), k()] + opt([], ["WITHSCORES"]),
            lambda: ["ZDIFF", "2", k(), k()],
        ]
        def position():
            # Around Sicily mostly, so that searches find members; now and then anywhere or out of range.
            if self.rng.random() < 0.1:
                return [self.pick("181", "-180", "abc", "0"), self.pick("86", "-85.05112878", "0", "x")]
            return ["%.6f" % self.rng.uniform(12, 16), "%.6f" % self.rng.uniform(36, 39)]

        def unit():
            return self.pick("m", "km", "mi", "ft", "KM", "furlong")

        def shape():
            start = (["FROMMEMBER", m()] if self.rng.random() < 0.5 else ["FROMLONLAT"] + position())
            size = self.pick("0", "10", "50", "200", "1000", "-1", "x", str(self.rng.randint(1, 400)))
            by = (["BYRADIUS", size, unit()] if self.rng.random() < 0.5 else ["BYBOX", size, self.pick("100", "300"), unit()])
            return start + by

        def search_options():
            return (opt([], ["ASC"], ["DESC"]) + opt([], [], ["COUNT", self.pick("1", "3", "0")],
                                                     ["COUNT", self.pick("2", "5"), "ANY"]) +
                    opt([], ["WITHDIST"], ["WITHCOORD"], ["WITHHASH"], ["WITHDIST", "WITHCOORD", "WITHHASH"]))

        geo = [
            lambda: ["GEOADD", k()] + opt([], ["NX"], ["XX"], ["CH"], ["NX", "XX"]) + position() + [m()] +
                    opt([], position() + [m()]),
            lambda: ["GEOPOS", k(), m(), m()], lambda: ["GEOHASH", k(), m(), m()],
            lambda: ["GEODIST", k(), m(), m()] + opt([], [unit()]),
            lambda: ["GEOSEARCH", k()] + shape() + search_options(),
            lambda: ["GEOSEARCHSTORE", k(), k()] + shape() + opt([], ["STOREDIST"]) +
                    opt([], ["COUNT", self.pick("1", "3")], ["ASC"]),
            lambda: ["GEORADIUS", k()] + position() + [self.pick("50", "200", "-1"), unit()] + search_options() +
                    opt([], [], ["STORE", k()], ["STOREDIST", k()]),
            lambda: ["GEORADIUSBYMEMBER_RO", k(), m(), self.pick("50", "200"), unit()] + search_options(),
        ]

        def restore_payload():
            kind = self.pick("string", "list", "set", "hash", "zset", "broken")
            members = list(dict.fromkeys(m() for _ in range(self.rng.randint(0, 5))))
            if kind == "string":
                return dump_payload(0, rdb_string(m()))
            if kind in ("list", "set"):
                return dump_payload(1 if kind == "list" else 2,
                                    rdb_length(len(members)) + b"".join(rdb_string(x) for x in members))
            if kind == "hash":
                return dump_payload(4, rdb_length(len(members)) +
                                    b"".join(rdb_string(x) + rdb_string(m()) for x in members))
            if kind == "zset":
                scores = [self.rng.choice([0.5, -2.0, float("inf"), float("-inf"), 3.0]) for _ in members]
                return dump_payload(5, rdb_length(len(members)) +
                                    b"".join(rdb_string(x) + struct.pack("<d", sc) for x, sc in zip(members, scores)))
            good = dump_payload(0, rdb_string(m()))
            return good[:-1] + chr((ord(good[-1]) + 1) % 256)  # a wrong checksum

        serialization = [
            lambda: ["RESTORE", k(), self.pick("0", "0", "-1", "x"), restore_payload()] +
                    opt([], ["REPLACE"], ["REPLACE", "IDLETIME", "5"], ["FREQ", "300"], ["BOGUS"]),
            lambda: ["RESTORE", k(), "4102444800000", restore_payload(), "ABSTTL"] + opt([], ["REPLACE"]),
        ]
        unordered_replies = [
            lambda: ["HGETALL", k()], lambda: ["HKEYS", k()], lambda: ["HVALS", k()], lambda: ["SMEMBERS", k()],
            lambda: ["SINTER", k(), k()], lambda: ["SUNION", k(), k()], lambda: ["SDIFF", k(), k()],
            lambda: ["SRANDMEMBER", k(), "0"], lambda: ["KEYS", self.pick("*", "k*", "{t}*", "k[0-2]", "?", "*a*")],
            # Equal weights (no key matches k<member>) leave the order undefined.
            lambda: ["SORT", k(), "BY", self.pick("nosort", "k*")] + opt([], ["ALPHA"], ["DESC"]),
        ]
        clock = [lambda: ["PTTL", k()], lambda: ["PEXPIRETIME", k()]]
        random_picks = [
            lambda: ["SRANDMEMBER", k(), i()], lambda: ["HRANDFIELD", k(), i()] + opt([], ["WITHVALUES"]),
            lambda: ["ZRANDMEMBER", k(), i()] + opt([], ["WITHSCORES"]),
        ]
        return ([(exact, g) for g in strings + keys + hashes + lists + sets + zsets + geo + serialization] +
                [(any_order, g) for g in unordered_replies] + [(sizes, g) for g in random_picks] +
                [("clock", g) for g in clock])

    def next(self):
        """(how replies compare, command)"""
        how, generate = self.rng.choice(self.table)
        return how, generate()

    def next_exact(self):
        """A command whose reply is the same on both servers, for MULTI blocks and pipelines."""
        while True:
            how, command = self.next()
            if how == "exact" and command[0] != "SELECT" and not command[0].startswith(("BL", "BR", "BZ")):
                return command

    def next_for_watch(self):
        """As next_exact, without lex ranges (undefined over unequal scores) and
        the one write redis-server hides from WATCH (see the module text)."""
        while True:
            command = self.next_exact()
            if not is_lex_range(command) and (command[0] != "BITFIELD" or "FAIL" not in command):
                return command


# Commands whose first key the pipelined and blocking modes leave alone when they
# aim a batch at one key: multi-key forms, and HyperLogLogs stay on their own keys.
KEEP_KEYS = {"MSET", "MGET", "MSETNX", "ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE",
             "LMPOP", "ZMPOP", "SINTERCARD", "BITFIELD", "SORT", "PFADD", "PFCOUNT", "PFMERGE"}

COMPARE = {"exact": lambda r: r, "unordered": unordered, "length": length_only, "clock": lambda r: r}


def is_lex_range(command):
    return "LEX" in command[0].upper() or "BYLEX" in (str(a).upper() for a in command)


# What a sharding proxy refuses or answers itself by design (see the module text).
PROXY_SKIPS = {"RANDOMKEY", "SELECT", "MOVE", "SWAPDB", "CLIENT", "HELLO", "RESET", "ROLE", "REPLICAOF", "FAILOVER",
               "MIGRATE", "OBJECT"}
PROXY_SPLITS = {"MGET", "MSET", "DEL", "EXISTS", "UNLINK", "TOUCH"}
HLL_KEYS = {"h0", "h1"}  # the HyperLogLogs' own keys, besides Commands.keys


def proxy_group(key):
    """The group (0 or 1) of the --proxy setup that owns a key: slot crc32 % 1024, halves of the slots."""
    tag_start = key.find("{")
    if tag_start >= 0:
        tag_end = key.find("}", tag_start + 1)
        if tag_end > tag_start + 1:
            key = key[tag_start + 1:tag_end]
    return 0 if zlib.crc32(key.encode()) % 1024 < 512 else 1


# Where the key count of numkeys commands is (the keys follow it; a destination may come first).
NUMKEYS_AT = {"SINTERCARD": 1, "ZINTERCARD": 1, "LMPOP": 1, "ZMPOP": 1, "ZUNION": 1, "ZINTER": 1, "ZDIFF": 1,
              "ZUNIONSTORE": 2, "ZINTERSTORE": 2, "ZDIFFSTORE": 2, "BLMPOP": 2, "BZMPOP": 2}


def key_args(command, keys):
    """The arguments of `command` the proxy routes by: known key names, and what a key count covers."""
    found = [a for a in command[1:] if isinstance(a, str) and (a in keys or a in HLL_KEYS)]
    at = NUMKEYS_AT.get(str(command[0]).upper())
    if at is not None and len(command) > at:
        try:
            count = int(command[at])
        except ValueError:
            count = 0
        found += [a for a in command[at + 1:at + 1 + max(count, 0)] if isinstance(a, str)]
    return found


def through_proxy(command, keys):
    """Whether the proxy routes `command` as a single server would run it."""
    name = str(command[0]).upper()
    if name in PROXY_SKIPS:
        return False
    if name in ("SORT", "SORT_RO") and any(str(a).upper() in ("BY", "GET") for a in command[2:]):
        return False
    if name in PROXY_SPLITS:
        return True
    return len({proxy_group(a) for a in key_args(command, keys)}) <= 1


def scores_differ(redis, key):
    """Lex ranges are defined only when all scores are equal."""
    reply = redis.call(["ZRANGE", key, "0", "-1", "WITHSCORES"])
    if reply[0] != "array" or not reply[1]:
        return False
    pairs = reply[1]
    scores = [repr(p[1][1]) for p in pairs] if pairs[0][0] == "array" else [repr(x) for x in pairs[1::2]]
    return len(set(scores)) > 1


class Run:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.commands = Commands(self.rng, args.keys, args.members)
        self.log = open(args.log, "w", buffering=1) if args.log else None
        self.differences = 0

    def connect(self):
        kvd, redis = Client(self.args.kvd_port), Client(self.args.redis_port)
        if self.args.resp3:
            kvd.call(["HELLO", "3"])
            redis.call(["HELLO", "3"])
        return kvd, redis

    def record(self, command):
        if self.log:
            self.log.write(repr(command) + "\n")

    def differ(self, step, command, kvd_reply, redis_reply, context=None):
        self.differences += 1
        print("DIFF at step %d%s: %r\n  kvd:   %r\n  redis: %r" % (
            step, "" if context is None else " in %r" % (context,), command, kvd_reply, redis_reply))
        return self.differences > 30

    def both(self, kvd, redis, command, how="exact"):
        self.record(command)
        kvd_reply, redis_reply = COMPARE[how](kvd.call(command)), COMPARE[how](redis.call(command))
        if how == "clock" and kvd_reply[0] == redis_reply[0] == "int" and abs(kvd_reply[1] - redis_reply[1]) <= 20:
            return kvd_reply, kvd_reply  # the two servers read the clock apart (more on a busy machine)
        return kvd_reply, redis_reply

    def scan(self, kvd, redis, step):
        command = self.rng.choice([["SCAN"], ["HSCAN", self.commands.key()], ["SSCAN", self.commands.key()],
                                   ["ZSCAN", self.commands.key()]])
        options = [[], ["COUNT", "3"], ["MATCH", "m1*"], ["COUNT", "1000"]]
        if command[0] == "SCAN":
            options.append(["TYPE", self.rng.choice(["string", "hash", "zset", "list", "set"])])
        extra = self.rng.choice(options)
        seen = []
        for client in (kvd, redis):
            cursor, items, error = "0", [], None
            for _ in range(10000):
                reply = client.call(command + [cursor] + extra)
                if reply[0] == "error":
                    error = reply
                    break
                cursor = reply[1][0][1].decode()
                items += [repr(x) for x in reply[1][1][1]]
                if cursor == "0":
                    break
            if command[0] in ("HSCAN", "ZSCAN"):
                items = [items[j] + "=" + items[j + 1] for j in range(0, len(items) - 1, 2)]
            seen.append(error or sorted(set(items)))
        return seen[0] == seen[1] or not self.differ(step, command + extra, seen[0], seen[1])

    def transaction(self, kvd, redis, step):
        block = [["MULTI"]] + [self.commands.next_exact() for _ in range(self.rng.randint(0, 3))]
        block.append([self.rng.choice(["EXEC", "EXEC", "DISCARD"])])
        if self.args.proxy:
            # Through the proxy a transaction lives in one group: its keys all there, nothing refused.
            keys = self.commands.keys
            groups = {proxy_group(a) for c in block for a in key_args(c, keys)}
            if len(groups) > 1 or not all(through_proxy(c, keys) for c in block) or \
                    any(str(c[0]).upper() in PROXY_SPLITS or is_lex_range(c) for c in block[1:-1]):
                return True
        for command in block:
            kvd_reply, redis_reply = self.both(kvd, redis, command)
            if command[0] == "EXEC" and kvd_reply[0] == redis_reply[0] == "array" and kvd_reply[1] and redis_reply[1]:
                # Queued commands with unordered replies are not picked, but
                # sets and maps inside (RESP3) are compared unordered.
                kvd_reply = ("array", [unordered(r) if r[0] in ("set", "map") else r for r in kvd_reply[1]])
                redis_reply = ("array", [unordered(r) if r[0] in ("set", "map") else r for r in redis_reply[1]])
            if kvd_reply != redis_reply and self.differ(step, command, kvd_reply, redis_reply, block):
                return False
        return True

    def single(self):
        kvd, redis = self.connect()
        self.both(kvd, redis, ["FLUSHALL"])
        for step in range(self.args.steps):
            roll = self.rng.random()
            if roll < 0.02:
                ok = self.scan(kvd, redis, step)
            elif roll < 0.04:
                ok = self.transaction(kvd, redis, step)
            else:
                how, command = self.commands.next()
                if is_lex_range(command) and scores_differ(redis, command[1]):
                    continue
                if self.args.proxy and not through_proxy(command, self.commands.keys):
                    continue
                kvd_reply, redis_reply = self.both(kvd, redis, command, how)
                ok = kvd_reply == redis_reply or not self.differ(step, command, kvd_reply, redis_reply)
            if not ok:
                break

    def switchover(self):
        """The kvd and its replica (--replica) trade places every 400 steps, as
        an operator's switchover does: with FAILOVER, or by hand once the
        replica has caught up (REPLICAOF NO ONE, and the old master follows
        it); the commands
        go on against the new master, and each one's data must equal the
        other's after every change. An even number of trades leaves the roles
        as they were."""
        if not self.args.replica:
            print("switchover mode needs --replica")
            self.differences += 1
            return
        master, replica = self.args.kvd_port, self.args.replica
        rounds = max(2, self.args.steps // 400)
        rounds += rounds % 2
        for round_number in range(rounds):
            kvd, redis = Client(master), Client(self.args.redis_port)
            if self.args.resp3:
                kvd.call(["HELLO", "3"])
                redis.call(["HELLO", "3"])
            if round_number == 0:
                self.both(kvd, redis, ["FLUSHALL"])
            for step in range(400):
                how, command = self.commands.next()
                if is_lex_range(command) and scores_differ(redis, command[1]):
                    continue
                if self.args.proxy and not through_proxy(command, self.commands.keys):
                    continue
                kvd_reply, redis_reply = self.both(kvd, redis, command, how)
                if kvd_reply != redis_reply and self.differ(step, command, kvd_reply, redis_reply):
                    return
            report, _ = replica_differences(master, replica)
            if report:
                print("before switchover %d: %s" % (round_number, report))
                self.differences += 1
                return
            if self.rng.random() < 0.5:
                Client(replica).call(["REPLICAOF", "NO", "ONE"])
                Client(master).call(["REPLICAOF", "127.0.0.1", str(replica)])
            else:
                reply = Client(master).call(["FAILOVER", "TO", "127.0.0.1", str(replica)])
                traded = poll_until(lambda: (Client(replica).call(["ROLE"])[1][0][1] == b"master" and
                                             Client(master).call(["ROLE"])[1][0][1] == b"slave"), 30)
                if not traded:
                    print("FAILOVER %d did not complete: %r" % (round_number, reply))
                    self.differences += 1
                    return
            master, replica = replica, master
            report, _ = replica_differences(master, replica)
            if report:
                print("after switchover %d: %s" % (round_number, report))
                self.differences += 1
                return

    def pipelined(self):
        """Batches of up to 40 commands, mostly on one key, sent in one write each."""
        kvd, redis = self.connect()
        self.both(kvd, redis, ["FLUSHALL"])
        for step in range(self.args.steps):
            key = self.commands.key()
            batch = []
            for _ in range(self.rng.randint(1, 40)):
                command = self.commands.next_exact()
                if self.rng.random() < 0.7 and command[0] not in KEEP_KEYS:
                    command[1] = key
                if not is_lex_range(command) and (not self.args.proxy or through_proxy(command, self.commands.keys)):
                    batch.append(command)
            for command in batch:
                self.record(command)
            payload = b"".join(encode(c) for c in batch)
            kvd.sock.sendall(payload)
            redis.sock.sendall(payload)
            for command in batch:
                kvd_reply, redis_reply = kvd.reply(), redis.reply()
                if kvd_reply != redis_reply and self.differ(step, command, kvd_reply, redis_reply):
                    return

    def watch(self):
        """One client WATCHes and runs a transaction while another may write in between."""
        kvd, redis = self.connect()
        kvd_other, redis_other = self.connect()
        self.both(kvd, redis, ["FLUSHALL"])
        for step in range(self.args.steps):
            watched = [self.commands.key() for _ in range(self.rng.randint(1, 2))]
            steps = [(0, ["WATCH"] + watched)]
            steps += [(self.rng.choice([0, 1, 1]), self.commands.next_for_watch()) for _ in range(self.rng.randint(0, 2))]
            if self.rng.random() < 0.1:
                steps.append((1, self.rng.choice([["FLUSHDB"], ["FLUSHALL"], ["UNWATCH"], ["DEL", watched[0]]])))
            steps.append((0, ["MULTI"]))
            steps += [(0, self.commands.next_for_watch()) for _ in range(self.rng.randint(0, 2))]
            steps.append((0, ["EXEC"]))
            for who, command in steps:
                pair = (kvd, redis) if who == 0 else (kvd_other, redis_other)
                kvd_reply, redis_reply = self.both(pair[0], pair[1], command)
                if kvd_reply != redis_reply and self.differ(step, command, kvd_reply, redis_reply, steps):
                    return

    def blocking(self):
        """Clients block on a few keys (timeout 0); a writer runs a batch; who is served with what must agree.

        Redis serves blocked clients right after the command that made their
        key ready, before the writer's next command, in the order they
        blocked. The clients still blocked after the batch are released with
        CLIENT UNBLOCK, whose reply (1: was blocked) is compared too.
        """
        writer = self.connect()
        blockers = [self.connect() for _ in range(3)]
        ids = [(k.call(["CLIENT", "ID"])[1], r.call(["CLIENT", "ID"])[1]) for k, r in blockers]
        self.both(*writer, ["FLUSHALL"])
        keys = self.commands.keys[:2] + ["{t}a", "{t}b"]
        for step in range(self.args.steps):
            waiting = []
            for index in range(self.rng.randint(1, 3)):
                command = self.blocking_command(keys)
                self.record(command)
                outcome = [self.block(client, server, command, client_id)
                           for client, server, client_id in zip(blockers[index], writer, ids[index])]
                if outcome[0] != outcome[1]:
                    if self.differ(step, command, outcome[0], outcome[1]):
                        return
                    return  # the servers' states now differ
                if outcome[0] == "blocked":
                    waiting.append((index, command))
            batch = []
            for _ in range(self.rng.randint(1, 6)):
                command = self.rng.choice([self.commands.next_exact, self.feeding_command])()
                if command[0] not in KEEP_KEYS and len(command) > 1 and self.rng.random() < 0.7:
                    command[1] = self.rng.choice(keys)
                # Redis 7.0 does not wake the clients blocked on a key that a STORE
                # form overwrites (setKey → dbOverwrite); kvd does (one more difference).
                overwrites = command[0].upper().endswith("STORE") or "STORE" in command[2:]
                if not is_lex_range(command) and not overwrites:
                    batch.append(command)
            # One transaction that readies two keys of one waiter: Redis serves the key
            # readied first, kvd the waiter's first key (a documented difference).
            many_keys = any(len(set(blocking_keys(command))) > 1 for _, command in waiting)
            if self.rng.random() < 0.2 and not many_keys:
                batch = [["MULTI"]] + batch + [["EXEC"]]
            for command in batch:
                self.record(command)
            payload = b"".join(encode(c) for c in batch)
            for client in writer:
                client.sock.sendall(payload)
            for command in batch:
                kvd_reply, redis_reply = writer[0].reply(), writer[1].reply()
                if kvd_reply != redis_reply and self.differ(step, command, kvd_reply, redis_reply, batch):
                    return
            for index, command in waiting:
                # kvd may run a woken client's command a moment after the writer's
                # reply (when that connection is busy writing); Redis before it.
                for client_id, server in zip(ids[index], writer):
                    self.wait_unflagged(server, client_id, 0.02)
                kvd_released = writer[0].call(["CLIENT", "UNBLOCK", str(ids[index][0])])
                redis_released = writer[1].call(["CLIENT", "UNBLOCK", str(ids[index][1])])
                kvd_reply, redis_reply = blockers[index][0].reply(), blockers[index][1].reply()
                if (kvd_released, kvd_reply) != (redis_released, redis_reply) and self.differ(
                        step, command, (kvd_released, kvd_reply), (redis_released, redis_reply), batch):
                    return
            # A difference in what was served shows in the keys even when every reply agreed.
            for key in keys:
                kvd_state, redis_state = (dump_key(client, key) for client in writer)
                if kvd_state != redis_state and self.differ(step, ["(state of)", key], kvd_state, redis_state,
                                                            [command for _, command in waiting] + batch):
                    return

    def expiry(self):
        """Keys that expired a moment ago, still stored in kvd until its sweep
        reclaims them: every command on them must see them gone, as Redis does."""
        kvd, redis = self.connect()
        self.both(kvd, redis, ["FLUSHALL"])
        for step in range(self.args.steps):
            keys = [self.commands.key() for _ in range(self.rng.randint(1, 2))]
            commands = [self.on_keys(keys) for _ in range(self.rng.randint(0, 3))]
            commands += [self.rng.choice([["PEXPIRE", key, "15"], ["SET", key, "x", "PX", "15"]]) for key in keys]
            if not self.run_and_compare(kvd, redis, step, commands):
                return
            for client in (kvd, redis):  # the keys' 15 ms are over by each server's clock
                wait_until_server_ms(client, server_ms(client) + 16)
            commands = [self.on_keys(keys) for _ in range(self.rng.randint(1, 4))]
            if self.rng.random() < 0.3:  # watched while expired: what changes it, what does not
                commands = [["WATCH"] + keys] + commands + [["MULTI"], ["PING"], ["EXEC"]]
            if not self.run_and_compare(kvd, redis, step, commands):
                return

    def on_keys(self, keys):
        """A command with an exact reply, aimed at one of `keys` where it takes a key first."""
        while True:
            command = self.commands.next_exact()
            if not is_lex_range(command):
                break
        if command[0] not in KEEP_KEYS and len(command) > 1:
            command[1] = self.rng.choice(keys)
        return command

    def run_and_compare(self, kvd, redis, step, commands):
        for command in commands:
            kvd_reply, redis_reply = self.both(kvd, redis, command)
            if kvd_reply != redis_reply and self.differ(step, command, kvd_reply, redis_reply, commands):
                return False
        return True

    def protocol(self):
        """Malformed and odd requests, each on a fresh connection to both servers.

        A valid request is mangled (a length changed, bytes cut, inserted or
        replaced, an inline form with quotes and escapes) and sent, then
        PING. Everything each server sends back until it closes the
        connection, or until nothing more comes for a moment, must be the same.
        """
        for step in range(self.args.steps):
            payload = self.mangled_request()
            if self.rng.random() < 0.3:  # among well-formed requests of a pipeline
                payload = encode(["SET", "p", "1"]) + payload + encode(["GET", "p"])
            self.record(["(raw)", payload])
            kvd_said, redis_said = exchange_raw([self.args.kvd_port, self.args.redis_port], payload + b"PING\r\n")
            if kvd_said != redis_said and self.differ(step, ["(raw)", payload], kvd_said, redis_said):
                return

    def mangled_request(self):
        command = self.rng.choice([["SET", "k0", "v"], ["GET", "k0"], ["ECHO", "hi"], ["PING"],
                                   ["DEL", "k0", "k1"], ["MSET", "a", "1", "b", "2"]])
        if self.rng.random() < 0.3:  # the inline form, as telnet and redis-cli --pipe send it
            words = [self.rng.choice([w, '"%s"' % w, "'%s'" % w, '"a\\x41b"', '"q\\"q"', "'it''s'", '"\\n"',
                                      '"unclosed', "'unclosed", '""', "x\"y", '"a"b']) for w in command]
            line = " ".join(words).encode() + self.rng.choice([b"\r\n", b"\n", b"  \r\n", b"\t\r\n"])
            return self.rng.choice([line, b"\r\n" + line, b"   \r\n" + line])
        while True:
            data = self.mangled_multibulk(command)
            # Left out: a '\r' followed by anything but '\n' (redis-server takes it
            # for a line end and skips that byte; kvd answers a protocol error),
            # and a NUL before a header's '\r' (redis-server's strchr stops there
            # and it waits for more; kvd answers a protocol error).
            if b"\r" not in data.replace(b"\r\n", b"") and b"\x00" not in data:
                return data

    def mangled_multibulk(self, command):
        data = bytearray(encode(command))
        for _ in range(self.rng.choice([1, 1, 2])):
            data = self.mutated(data)
        return bytes(data)

    def mutated(self, data):
        mutation = self.rng.choice(["length", "cut", "insert", "replace", "count", "none"])
        marks = [i for i, c in enumerate(data) if c in b"*$" and b"\r" in data[i:]]
        if mutation == "length" and marks:  # another count or length after a '*' or '$'
            at = self.rng.choice(marks) + 1
            end = data.index(b"\r", at)
            data[at:end] = self.rng.choice([b"-1", b"0", b"-5", b"x", b"", b"99", b"2147483648", b"1048577",
                                            b"536870913", b"+3", b" 3", b"3 ", b"00"])
        elif mutation == "cut" and len(data) > 1:
            del data[self.rng.randrange(1, len(data)):]
        elif mutation == "insert":
            at = self.rng.randrange(len(data) + 1)
            data[at:at] = self.rng.choice([b"\r\n", b"\n", b"\r", b"*", b"$", b"\x00", b"x"])
        elif mutation == "replace" and data:
            data[self.rng.randrange(len(data))] = self.rng.choice(b"\r\n*$:+-x0 ")
        elif mutation == "count":
            data = bytearray(self.rng.choice([b"*0\r\n", b"*-1\r\n", b"*1\r\n$0\r\n\r\n", b"*2\r\n$3\r\nGET\r\n:1\r\n",
                                              b"*1\r\n+PING\r\n", b"$4\r\nPING\r\n", b"\r\n", b"\n\n"])) + data
        return data

    def pubsub(self):
        """Three clients subscribe, unsubscribe and run other commands; a fourth publishes.

        After each step every subscriber is sent PING with a unique text, and
        what it received up to that PING's answer (subscription replies,
        messages, errors) must be the same frames, in the same order, from
        both servers: redis-server delivers a message to every subscriber
        before it answers PUBLISH.
        """
        publisher = self.connect()
        subscribers = [self.connect() for _ in range(3)]
        self.both(*publisher, ["FLUSHALL"])
        for step in range(self.args.steps):
            who = self.rng.randrange(len(subscribers) + 1)
            if who == len(subscribers):
                command, how = self.publisher_command()
                kvd_reply, redis_reply = self.both(*publisher, command, how)
                if kvd_reply != redis_reply and self.differ(step, command, kvd_reply, redis_reply):
                    return
            else:
                commands = self.subscriber_commands()
                command = commands[0] if len(commands) == 1 else ["(batch)"] + commands
                for sent in commands:
                    self.record(sent)
                for client in subscribers[who]:
                    client.sock.sendall(b"".join(encode(sent) for sent in commands))
            # The acting client first: what it published reaches the others before its barrier answers.
            for index in sorted(range(len(subscribers)), key=lambda i: i != who):
                barrier = "barrier-%d-%d" % (step, index)
                self.record(["PING", barrier])
                every_name = (index == who and len(command) == 1 and
                              command[0] in ("UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"))
                kvd_frames, redis_frames = (comparable_frames(self.frames_until(client, barrier), every_name)
                                            for client in subscribers[index])
                context = command if index == who else ["(frames of client %d after)" % index, command]
                if kvd_frames != redis_frames and self.differ(step, context, kvd_frames, redis_frames):
                    return

    CHANNELS = ["c0", "c1", "news.a", "news.b", "x*"]
    PATTERNS = ["c*", "news.*", "*", "n?ws.[ab]", "x\\*", "c0"]

    def publisher_command(self):
        """A command of the publishing client, and how its reply is compared."""
        channel = lambda: self.rng.choice(self.CHANNELS + ["nobody"])
        return self.rng.choice([
            lambda: (["PUBLISH", channel(), self.rng.choice(["hello", "", "x\r\ny"])], "exact"),
            lambda: (["PUBLISH", channel(), "m"], "exact"),
            lambda: (["PUBSUB", "CHANNELS"] + self.commands.maybe([], [self.rng.choice(self.PATTERNS)]), "unordered"),
            lambda: (["PUBSUB", "NUMSUB"] + [channel() for _ in range(self.rng.randint(0, 3))], "exact"),
            lambda: (["PUBSUB", "NUMPAT"], "exact"),
            lambda: (["SPUBLISH", channel(), self.rng.choice(["shard", ""])], "exact"),
            lambda: (["PUBSUB", "SHARDCHANNELS"] + self.commands.maybe([], [self.rng.choice(self.PATTERNS)]),
                     "unordered"),
            lambda: (["PUBSUB", "SHARDNUMSUB"] + [channel() for _ in range(self.rng.randint(0, 3))], "exact"),
        ])()

    def subscriber_commands(self):
        """What a subscribing client sends in one write: usually one command."""
        channels = lambda: [self.rng.choice(self.CHANNELS) for _ in range(self.rng.randint(1, 3))]
        patterns = lambda: [self.rng.choice(self.PATTERNS) for _ in range(self.rng.randint(1, 3))]
        return self.rng.choice([
            lambda: [["SUBSCRIBE"] + channels()], lambda: [["SUBSCRIBE"] + channels()],
            lambda: [["UNSUBSCRIBE"] + self.commands.maybe([], channels())], lambda: [["PSUBSCRIBE"] + patterns()],
            lambda: [["PUNSUBSCRIBE"] + self.commands.maybe([], patterns())], lambda: [["PUBLISH", "c0", "self"]],
            lambda: [["PING"]], lambda: [["GET", "k0"]], lambda: [["ECHO", "e"]], lambda: [["SUBSCRIBE"]],
            lambda: [["PSUBSCRIBE"]], lambda: [["RESET"] if self.rng.random() < 0.2 else ["PING", "p"]],
            # Not to itself in RESP3: redis-server 7.0 writes such a message inside EXEC's array (see the module text).
            lambda: [["MULTI"], ["ECHO", "in-multi"] if self.args.resp3 else ["PUBLISH", "c0", "in-multi"],
                     ["SUBSCRIBE", "c1"], ["EXEC"]],
            lambda: [["CLIENT", "REPLY", "OFF"], ["PUBLISH", "c0", "quiet"], ["CLIENT", "REPLY", "ON"]],
            lambda: [["SSUBSCRIBE"] + channels()], lambda: [["SUNSUBSCRIBE"] + self.commands.maybe([], channels())],
            lambda: [["SPUBLISH", "c0", "self"]],
        ])()

    def frames_until(self, client, barrier):
        """Sends PING barrier; every frame before its answer, and that answer."""
        client.sock.sendall(encode(["PING", barrier]))
        frames = []
        while True:
            frame = client.reply()
            frames.append(frame)
            text = barrier.encode()
            if frame == ("bulk", text) or frame in (("array", [("bulk", b"pong"), ("bulk", text)]),
                                                    ("push", [("bulk", b"pong"), ("bulk", text)])):
                return frames

    def blocking_command(self, keys):
        key = lambda: self.rng.choice(keys)
        side = lambda: self.rng.choice(["LEFT", "RIGHT"])
        return self.rng.choice([
            lambda: ["BLPOP", key(), "0"], lambda: ["BRPOP", key(), key(), "0"],
            lambda: ["BLMOVE", key(), key(), side(), side(), "0"], lambda: ["BRPOPLPUSH", key(), key(), "0"],
            lambda: ["BLMPOP", "0", "2", key(), key(), side()] + self.rng.choice([[], ["COUNT", "2"]]),
            lambda: ["BZPOPMIN", key(), "0"], lambda: ["BZPOPMAX", key(), key(), "0"],
            lambda: ["BZMPOP", "0", "1", key(), self.rng.choice(["MIN", "MAX"])] + self.rng.choice([[], ["COUNT", "3"]]),
        ])()

    def feeding_command(self):
        """Writes that make a waiting client's key ready (or take it away again)."""
        m = self.commands.mem
        return self.rng.choice([
            lambda: ["RPUSH", "k0", m()], lambda: ["LPUSH", "k0", m(), m()], lambda: ["ZADD", "k0", "1", m()],
            lambda: ["LMOVE", "k0", "k0", "LEFT", "RIGHT"], lambda: ["RPOPLPUSH", "k0", "k0"],
            lambda: ["DEL", "k0"], lambda: ["LPOP", "k0"], lambda: ["ZADD", "k0", "2", m(), "3", m()],
        ])()

    def wait_unflagged(self, server, client_id, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and client_listing(server, client_id).get("flags") == "b":
            pass

    def block(self, client, server, command, client_id):
        """Sends a blocking command; "blocked" once CLIENT LIST flags the client so, else its reply."""
        client.sock.sendall(encode(command))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            readable, _, _ = select.select([client.sock], [], [], 0)
            if readable or client.buffer:
                return client.reply()
            listed = client_listing(server, client_id)
            if listed.get("flags") == "b" and listed.get("cmd") == command[0].lower():
                return "blocked"
        return "neither blocked nor answered within 10 s"


def server_ms(client):
    seconds, micros = (int(part[1]) for part in client.call(["TIME"])[1])
    return seconds * 1000 + micros // 1000


def poll_until(condition, deadline_s, interval_s=0.01):
    """Checks `condition` until it holds (True) or `deadline_s` have passed
    (False): every wait of this script goes through here."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval_s)
    return True


def wait_until_server_ms(client, target_ms, deadline_s=10):
    """Polls TIME (which touches no key) until the server's clock reads `target_ms`."""
    if not poll_until(lambda: server_ms(client) >= target_ms, deadline_s, interval_s=0.001):
        raise RuntimeError("the server's clock did not reach %d within %d s" % (target_ms, deadline_s))


def exchange_raw(ports, payload, quiet_s=0.1):
    """Sends `payload` on a new connection to each port at once; what each sent
    back until it closed the connection (then "<closed>" follows), answered
    the PING that ends `payload`, or went quiet for `quiet_s`."""
    socks = [socket.create_connection(("127.0.0.1", port)) for port in ports]
    for sock in socks:
        sock.sendall(payload)
    said = [b""] * len(socks)
    open_ = set(range(len(socks)))
    while open_:
        readable, _, _ = select.select([socks[i] for i in open_], [], [], quiet_s)
        if not readable:
            break
        for sock in readable:
            i = socks.index(sock)
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if data:
                said[i] += data
                if said[i].endswith(b"+PONG\r\n"):
                    open_.discard(i)
            else:
                said[i] += b"<closed>"
                open_.discard(i)
    for sock in socks:
        sock.close()
    return said


def comparable_frames(frames, every_name):
    """Frames with the orders Redis leaves undefined sorted: the pattern
    messages of one message (redis-server walks a hash table of patterns) and,
    for an UNSUBSCRIBE, PUNSUBSCRIBE or SUNSUBSCRIBE of everything, the names it lists
    (the counts still count down in order)."""
    def kind(frame):
        return frame[1][0][1] if frame[0] in ("array", "push") and frame[1] and frame[1][0][0] == "bulk" else None
    out, run = [], []
    for frame in frames + [None]:
        name = kind(frame) if frame else None
        if run and name != kind(run[0]):
            if kind(run[0]) == b"pmessage":
                run.sort(key=repr)
            elif every_name:
                names = sorted(repr(f[1][1]) for f in run)
                run = [(names, [f[1][2] for f in run])]
            out += run
            run = []
        if name in (b"pmessage", b"unsubscribe", b"punsubscribe", b"sunsubscribe"):
            run.append(frame)
        elif frame is not None:
            out.append(frame)
    return out


def client_listing(server, client_id):
    """One client's CLIENT LIST fields (flags, cmd...), as a dict."""
    line = server.call(["CLIENT", "LIST", "ID", str(client_id)])[1].decode().strip()
    return dict(field.split("=", 1) for field in line.split(" ") if "=" in field)


def dump_key(client, key):
    """A key's type and contents, for comparing two servers' states."""
    kind = client.call(["TYPE", key])[1]
    read = {b"list": ["LRANGE", key, "0", "-1"], b"zset": ["ZRANGE", key, "0", "-1", "WITHSCORES"],
            b"string": ["GET", key], b"hash": ["HGETALL", key], b"set": ["SMEMBERS", key]}.get(kind)
    return kind, unordered(client.call(read)) if read else None


def dataset(port):
    """Every key of every database with its contents and expiry time, for comparing a master and its replica."""
    client = Client(port)
    keys = {}
    for db in range(16):
        client.call(["SELECT", str(db)])
        cursor = b"0"
        while True:
            reply = client.call(["SCAN", cursor, "COUNT", "1000"])[1]
            cursor = reply[0][1]
            for kind, key in reply[1][1]:
                keys[(db, key)] = dump_key(client, key) + (client.call(["PEXPIRETIME", key]),)
            if cursor == b"0":
                break
    return keys


def replication_offset(port):
    """The master's offset from its ROLE, or the replica's applied one from its own."""
    role = Client(port).call(["ROLE"])[1]
    return role[1][1] if role[0][1] == b"master" else role[4][1]


def replica_differences(master_port, replica_port, deadline_s=30):
    """What the replica holds differently from the master once it has caught up
    (as text, "" when nothing), and how many keys the master holds."""
    target = replication_offset(master_port)
    if not poll_until(lambda: replication_offset(replica_port) >= target, deadline_s):
        return "the replica did not reach offset %d within %d s" % (target, deadline_s), 0
    master, replica = dataset(master_port), dataset(replica_port)
    lines = []
    for key in sorted(set(master) | set(replica)):
        if master.get(key) != replica.get(key):
            lines.append("db %d key %r: master %r, replica %r" % (key[0], key[1], master.get(key), replica.get(key)))
    return "\n".join(lines[:20]), len(master)


def blocking_keys(command):
    """The keys a blocking command waits on (BLMOVE and BRPOPLPUSH: only the source)."""
    name = command[0].upper()
    if name in ("BLMPOP", "BZMPOP"):
        return command[3:3 + int(command[2])]
    if name in ("BLMOVE", "BRPOPLPUSH"):
        return command[1:2]
    return command[1:-1]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_ping(port, process, deadline_s=30):
    def answers():
        if process.poll() is not None:
            raise RuntimeError("server on port %d exited with %s" % (port, process.returncode))
        try:
            return Client(port).call(["PING"])[0] == "status"
        except OSError:
            return False
    if not poll_until(answers, deadline_s, interval_s=0.05):
        raise RuntimeError("no PING answer on port %d within %d s" % (port, deadline_s))


class Servers:
    """A kvd, a kvd replica of it and a redis-server of our own, on free ports in a temporary directory."""

    def __init__(self, kvd_binary):
        self.kvd_binary = kvd_binary
        self.dir = tempfile.mkdtemp(prefix="kvd-redis-diff.")
        self.processes = []
        self.kvd_port, self.redis_port = free_port(), free_port()
        self.kvd_argv = [kvd_binary, "server", "--port", str(self.kvd_port), "--dir", os.path.join(self.dir, "kvd"),
                         "--logfile", os.path.join(self.dir, "kvd.log")]
        self._start(self.kvd_argv, self.kvd_port)
        self._start(["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", self.dir, "--logfile", os.path.join(self.dir, "redis.log")],
                    self.redis_port)
        # A replica of the kvd: after each run it must hold what the master holds.
        self.replica_port = free_port()
        self._start([kvd_binary, "server", "--port", str(self.replica_port), "--dir",
                     os.path.join(self.dir, "replica"), "--logfile", os.path.join(self.dir, "replica.log"),
                     "--replicaof", "127.0.0.1 %d" % self.kvd_port], self.replica_port)

    def start_proxy(self, kvd_binary):
        """A kvd proxy over two more kvd servers, each owning half of the slots (once); returns its port."""
        if getattr(self, "proxy_port", None):
            return self.proxy_port
        groups = []
        for name in ("g1", "g2"):
            port = free_port()
            self._start([kvd_binary, "server", "--port", str(port), "--dir", os.path.join(self.dir, name),
                         "--logfile", os.path.join(self.dir, name + ".log")], port)
            groups.append({"name": name, "master": "127.0.0.1:%d" % port, "replicas": [], "config_epoch": 1})
        slots_file = os.path.join(self.dir, "slots.json")
        with open(slots_file, "w") as out:
            json.dump({"format": 1, "version": 1, "applied_index": 0, "groups": groups, "proxies": [],
                       "slots": [{"first": 0, "last": 511, "group": "g1"},
                                 {"first": 512, "last": 1023, "group": "g2"}]}, out)
        self.proxy_port = free_port()
        self._start([kvd_binary, "proxy", "--port", str(self.proxy_port), "--slots", slots_file, "--io-threads", "2",
                     "--logfile", os.path.join(self.dir, "proxy.log")], self.proxy_port)
        # Ready once it has read the command table from a backend.
        if not poll_until(lambda: Client(self.proxy_port).call(["GET", "x"])[0] != "error", 30):
            raise RuntimeError("the proxy never read its command table")
        return self.proxy_port

    def _start(self, argv, port):
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        wait_for_ping(port, process)

    def restart_kvd(self):
        """Stops the kvd master (SIGTERM: a clean shutdown) and starts it again on its data."""
        master = self.processes.pop(0)
        master.terminate()
        master.wait(timeout=60)
        process = subprocess.Popen(self.kvd_argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.insert(0, process)
        wait_for_ping(self.kvd_port, process)

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# --suite: every mode, a little of each (about half a minute on two cores),
# then the restart check of --start on what the last run left.
SUITE = [
    dict(mode="pubsub", seed=7, steps=1500),
    dict(mode="pubsub", seed=8, steps=1500, resp3=True),
    dict(mode="single", seed=1, steps=12000),
    dict(mode="single", seed=2, steps=8000, keys=3, members=200),
    dict(mode="single", seed=3, steps=6000, resp3=True),
    dict(mode="pipelined", seed=4, steps=300),
    dict(mode="watch", seed=5, steps=1500),
    dict(mode="blocking", seed=6, steps=300),
    dict(mode="protocol", seed=10, steps=300),
    dict(mode="expiry", seed=11, steps=200),
    dict(mode="switchover", seed=12, steps=1600),
    dict(mode="single", seed=13, steps=6000, proxy=True),
    dict(mode="pipelined", seed=14, steps=200, proxy=True),
    dict(mode="single", seed=9, steps=3000, keys=3, members=100),  # leaves data for the restart check
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kvd_port", type=int, nargs="?")
    parser.add_argument("redis_port", type=int, nargs="?")
    parser.add_argument("--start", metavar="KVD_BINARY", help="start a kvd and a redis-server of our own")
    parser.add_argument("--suite", action="store_true", help="run every mode briefly (see SUITE)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--keys", type=int, default=6, help="keys k0..kN-1 besides {t}a and {t}b")
    parser.add_argument("--members", type=int, default=8, help="members m0..mN-1 besides three odd ones")
    parser.add_argument("--mode", choices=["single", "pipelined", "watch", "blocking", "pubsub", "protocol", "expiry",
                                           "switchover"],
                        default="single")
    parser.add_argument("--resp3", action="store_true", help="HELLO 3 on every connection")
    parser.add_argument("--log", help="write every command sent to this file")
    parser.add_argument("--replica", type=int, metavar="PORT",
                        help="a kvd replica of the kvd: after each run its data must equal the master's")
    parser.add_argument("--proxy", action="store_true",
                        help="the kvd side is a kvd proxy over two groups (with --start: started here)")
    args = parser.parse_args()
    if args.start is None and (args.kvd_port is None or args.redis_port is None):
        parser.error("give the two ports, or --start KVD_BINARY")
    if args.start is not None and shutil.which("redis-server") is None:
        print("redis-server not found: skipped")
        sys.exit(77)
    servers = Servers(args.start) if args.start else None
    try:
        if servers:
            args.kvd_port, args.redis_port, args.replica = servers.kvd_port, servers.redis_port, servers.replica_port
        runs = [vars(args)]
        if args.suite:
            runs = [dict(vars(args), resp3=False, keys=6, members=8, proxy=False) for _ in SUITE]
            for settings, overrides in zip(runs, SUITE):
                settings.update(overrides)
        failed = False
        for settings in map(lambda d: argparse.Namespace(**d), runs):
            if settings.proxy and servers:
                settings.kvd_port, settings.replica = servers.start_proxy(servers.kvd_binary), None
            run = Run(settings)
            getattr(run, settings.mode)()
            print("%s%s%s: %d steps, seed %d, %d differences" % (
                settings.mode, " (RESP3)" if settings.resp3 else "", " through the proxy" if settings.proxy else "",
                settings.steps, settings.seed, run.differences))
            failed = failed or run.differences > 0
            if settings.replica:
                replica_report, keys = replica_differences(settings.kvd_port, settings.replica)
                print("  replica: %s" % (replica_report or "the same %d keys as the master" % keys))
                failed = failed or bool(replica_report)
        if servers:
            # What the master held must be there again after a restart, and
            # the replica must follow the restarted master.
            before = dataset(servers.kvd_port)
            servers.restart_kvd()
            after = dataset(servers.kvd_port)
            Client(servers.kvd_port).call(["SET", "after-restart", "1"])
            replica_report, keys = replica_differences(servers.kvd_port, servers.replica_port)
            same = before == after and not replica_report
            print("restart: %s" % ("the same %d keys, and the replica follows" % len(after) if same else
                                   "%d keys before, %d after; replica: %s" % (len(before), len(after), replica_report)))
            failed = failed or not same
    finally:
        if servers:
            servers.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
