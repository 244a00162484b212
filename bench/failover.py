#!/usr/bin/env python3
"""Failover through kvd sentinels, measured from a client's point of view.

Three sentinels watch a kvd master with two replicas. A writer keeps writing
SET bench:<n> through whatever master the sentinels name. Each run kills the
current master with SIGKILL and measures:

  * failover time: from the kill to the first write acknowledged by another
    server (the writer asks a sentinel for the master after every error);
  * lost writes: writes acknowledged (by either master) that the new master
    does not have once the failover is over.

Then the old master is restarted (the sentinels turn it into a replica) and
the next run kills the new master. Configurations: replication-mode async and
sync, with down-after-ms 1000 and the default 5000.

Environment: KVD (default ./build/kvd), RUNS (default 10), DOWN_AFTER
(default "1000 5000"), MODES (default "async sync").
Only the processes it starts are stopped, by pid; its temp dir is removed.
"""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

KVD = os.environ.get("KVD", "./build/kvd")
RUNS = int(os.environ.get("RUNS", "10"))
DOWN_AFTER = [int(x) for x in os.environ.get("DOWN_AFTER", "1000 5000").split()]
MODES = os.environ.get("MODES", "async sync").split()
HOST = "127.0.0.1"


def encode(args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


class Conn:
    """A minimal blocking RESP client with a timeout."""

    def __init__(self, port, timeout=1.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self.buf) < size + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
            data, self.buf = self.buf[:size], self.buf[size + 2:]
            return data.decode(errors="replace")
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.reply() for _ in range(count)]
        raise ConnectionError("bad reply")

    def call(self, *args):
        self.sock.sendall(encode(args))
        return self.reply()

    def close(self):
        self.sock.close()


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, tmp, mode, down_after):
        self.tmp, self.mode, self.down_after = tmp, mode, down_after
        self.procs = {}
        self.ports = {name: free_port() for name in ("a", "b", "c", "s1", "s2", "s3")}

    def start_server(self, name, master=None):
        args = [KVD, "server", "--port", str(self.ports[name]), "--dir", f"{self.tmp}/{name}",
                "--logfile", f"{self.tmp}/{name}.log", "--replication-mode", self.mode]
        if master:
            args += ["--replicaof", f"{HOST} {self.ports[master]}"]
        self.procs[name] = subprocess.Popen(args)
        wait_until(lambda: ping(self.ports[name]), 20)

    def start_sentinels(self):
        peers = ",".join(f"{i}={HOST}:{self.ports['s%d' % i]}" for i in (1, 2, 3))
        for i in (1, 2, 3):
            name = "s%d" % i
            self.procs[name] = subprocess.Popen(
                [KVD, "sentinel", "--id", str(i), "--peers", peers, "--port", str(self.ports[name]),
                 "--dir", f"{self.tmp}/{name}", "--logfile", f"{self.tmp}/{name}.log",
                 "--masters", f"m={HOST}:{self.ports['a']}", "--down-after-ms", str(self.down_after),
                 "--monitor-interval-ms", "200" if self.down_after <= 1000 else "1000"])

    def master_port(self):
        for i in (1, 2, 3):
            try:
                c = Conn(self.ports["s%d" % i], 0.5)
                addr = c.call("SENTINEL", "get-master-addr-by-name", "m")
                c.close()
                if isinstance(addr, list):
                    return int(addr[1])
            except (OSError, ConnectionError, ValueError):
                pass
        return None

    def name_of(self, port):
        return next(name for name, p in self.ports.items() if p == port)

    def kill(self, name):
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop_all(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def ping(port):
    try:
        c = Conn(port, 0.5)
        ok = c.call("PING") == "PONG"
        c.close()
        return ok
    except (OSError, ConnectionError):
        return False


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    raise TimeoutError("condition not met in %s s" % seconds)


class Writer(threading.Thread):
    """Writes SET bench:<n> to the master the sentinels name; records acknowledgements."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.stop = False
        self.acked = []  # (n, port, monotonic time)
        self.n = 0

    def run(self):
        conn, port = None, None
        while not self.stop:
            try:
                if conn is None:
                    port = self.cluster.master_port()
                    if port is None:
                        time.sleep(0.01)
                        continue
                    conn = Conn(port, 0.5)
                self.n += 1
                if conn.call("SET", "bench:%d" % self.n, self.n) == "OK":
                    self.acked.append((self.n, port, time.monotonic()))
                else:
                    raise ConnectionError("refused")
            except (OSError, ConnectionError):
                if conn:
                    conn.close()
                conn = None
                time.sleep(0.01)


def one_config(mode, down_after):
    tmp = tempfile.mkdtemp(prefix="kvd-failover-bench.")
    cluster = Cluster(tmp, mode, down_after)
    times, lost = [], []
    try:
        cluster.start_server("a")
        cluster.start_server("b", "a")
        cluster.start_server("c", "a")
        cluster.start_sentinels()
        wait_until(lambda: cluster.master_port() == cluster.ports["a"], 30)
        c = Conn(cluster.ports["s1"])
        wait_until(lambda: len(c.call("SENTINEL", "replicas", "m")) == 2, 30)
        c.close()
        for run in range(RUNS):
            writer = Writer(cluster)
            writer.start()
            wait_until(lambda: len(writer.acked) > 200, 30)
            victim_port = cluster.master_port()
            victim = cluster.name_of(victim_port)
            killed_at = time.monotonic()
            cluster.kill(victim)
            wait_until(lambda: any(p != victim_port and t > killed_at for _, p, t in writer.acked), 60)
            first = next(t for _, p, t in writer.acked if p != victim_port and t > killed_at)
            times.append(first - killed_at)
            time.sleep(0.3)
            writer.stop = True
            writer.join()
            new_port = cluster.master_port()
            check = Conn(new_port)
            missing = sum(1 for n, _, _ in writer.acked if check.call("EXISTS", "bench:%d" % n) != 1)
            check.close()
            lost.append(missing)
            print("  %s down-after %d run %d: killed %s, writable again after %.2f s, %d acknowledged writes lost"
                  % (mode, down_after, run, victim, times[-1], missing), file=sys.stderr)
            cluster.start_server(victim)  # comes back; the sentinels make it a replica
            wait_until(lambda: role_follows(cluster.ports[victim], new_port), 60)
    finally:
        cluster.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return times, lost


def role_follows(port, master_port):
    try:
        c = Conn(port, 0.5)
        role = c.call("ROLE")
        c.close()
        return role[0] == "slave" and role[2] == master_port and role[3] == "connected"
    except (OSError, ConnectionError, IndexError, TypeError):
        return False


def main():
    if not os.access(KVD, os.X_OK):
        sys.exit("kvd binary %s not found (set KVD=...)" % KVD)
    commit = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    rows = []
    for down_after in DOWN_AFTER:
        for mode in MODES:
            times, lost = one_config(mode, down_after)
            rows.append((down_after, mode, statistics.median(times), max(times), sum(lost), max(lost)))
    print("## Failover through kvd sentinels — %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    print()
    print("Machine: %d cores; kvd commit %s; 3 sentinels, 1 kvd master, 2 replicas, all on loopback; "
          "%d runs per row; kill -9 of the current master; monitor interval 200 ms with down-after 1000, "
          "else 1000 ms." % (os.cpu_count(), commit, RUNS))
    print()
    print("| down-after-ms | replication-mode | kill -9 to a write acknowledged by the new master, median | max "
          "| acknowledged writes lost, total | worst run |")
    print("|---:|---|---:|---:|---:|---:|")
    for down_after, mode, median, worst, lost_total, lost_worst in rows:
        print("| %d | %s | %.2f s | %.2f s | %d | %d |" % (down_after, mode, median, worst, lost_total, lost_worst))


if __name__ == "__main__":
    main()
