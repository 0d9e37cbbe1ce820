"""A throw-away local fleet for tests and benchmarks: extra redis-servers, MariaDB servers (with
performance_schema and binary logs, so statement digests and replication can be tested, which
the machine's own MariaDB has switched off), a stopped port, a hung port.

Everything binds 127.0.0.1, lives in a temp dir (Redis keeps nothing on disk: --save ""
--appendonly no) and is stopped by `LocalFleet.stop()` (use it as a context manager). The hung server accepts TCP
connections and never replies, like a frozen process or a black-holed proxy.
"""
from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

from lucky.monitor.inventory import Instance


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HungServer:
    """Accepts connections and never answers; `stop()` closes everything."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def stop(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)    # wakes the blocked accept()
        except OSError:
            pass
        self.sock.close()
        for conn in self.held:
            conn.close()
        self._thread.join(timeout=2)


def _stop(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM, then SIGKILL if the server has not exited within `grace_s`."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen
    args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        _stop(self.process, grace_s=5)


def _redis_answers(port: int) -> bool:
    """A PING answered, or refused for want of a password: either way the server is up."""
    import redis

    try:
        return bool(redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5).ping())
    except redis.AuthenticationError:
        return True


@dataclass
class MariaDBServer:
    port: int
    datadir: str
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/"

    def connect(self):
        """An autocommit admin connection (root, no password, loopback only)."""
        import pymysql

        return pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="",
                               autocommit=True, connect_timeout=5, read_timeout=30)

    def replicate_from(self, primary: MariaDBServer) -> None:
        """Make this server a replica of `primary` and wait until both replication threads run."""
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute("CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = %s, "
                        "MASTER_USER = 'root', MASTER_PASSWORD = '', MASTER_CONNECT_RETRY = 1",
                        (primary.port,))
            cur.execute("START SLAVE")
        finally:
            conn.close()
        _wait_until(lambda: self.slave_status().get("Slave_SQL_Running") == "Yes"
                    and self.slave_status().get("Slave_IO_Running") == "Yes", "replication running")

    def slave_status(self) -> dict:
        import pymysql.cursors

        conn = self.connect()
        try:
            cur = conn.cursor(pymysql.cursors.DictCursor)
            cur.execute("SHOW SLAVE STATUS")
            return cur.fetchone() or {}
        finally:
            conn.close()

    def stop(self) -> None:
        _stop(self.process, grace_s=20)     # InnoDB flushes on a clean shutdown


def _wait_until(ready, what: str, limit_s: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Poll `ready()` until it holds (readiness, not timing); errors count as not ready yet."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - a server still starting refuses connections
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not ready after {limit_s:g} s")


@dataclass
class LocalFleet:
    """Owns every process and socket it starts."""

    dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="lucky-fleet-"))
    redis: list[RedisServer] = field(default_factory=list)
    hung: list[HungServer] = field(default_factory=list)
    mariadb: list[MariaDBServer] = field(default_factory=list)

    @staticmethod
    def available(*programs: str) -> bool:
        return all(shutil.which(p) is not None for p in programs or ("redis-server",))

    @classmethod
    def require(cls, *programs: str) -> None:
        """In a test: skip without the programs (default redis-server), or fail under
        LUCKY_REQUIRE_SERVICES=1 (CI)."""
        if cls.available(*programs):
            return
        import pytest

        reason = f"{', '.join(programs or ('redis-server',))} not installed (Debian packages " \
                 "redis-server, mariadb-server)"
        if os.environ.get("LUCKY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} and LUCKY_REQUIRE_SERVICES=1")
        pytest.skip(reason)

    def start_redis(self, *args: str, port: int | None = None) -> RedisServer:
        port = port or free_port()
        cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", self.dir, "--daemonize", "no", "--logfile", "",
               *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = RedisServer(port, proc, tuple(args))
        self.redis.append(server)
        _wait_until(lambda: _redis_answers(port), f"redis-server on {port}", limit_s=10.0, process=proc)
        return server

    def restart(self, server: RedisServer) -> RedisServer:
        server.stop()
        self.redis.remove(server)
        return self.start_redis(*server.args, port=server.port)

    def start_mariadb(self, *args: str, server_id: int = 1) -> MariaDBServer:
        """A fresh MariaDB with performance_schema ON and a binary log, in its own data dir."""
        port = free_port()
        datadir = os.path.join(self.dir, f"mariadb-{port}")
        user = getpass.getuser()
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={datadir}", f"--user={user}",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cmd = ["mariadbd", "--no-defaults", f"--datadir={datadir}", f"--user={user}", f"--port={port}",
               "--bind-address=127.0.0.1", f"--socket={datadir}/mysqld.sock",
               f"--pid-file={datadir}/mysqld.pid", "--performance-schema=ON", f"--server-id={server_id}",
               f"--log-bin={datadir}/binlog", "--innodb-buffer-pool-size=16M",
               *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = MariaDBServer(port, datadir, proc)
        self.mariadb.append(server)
        _wait_until(lambda: server.connect().close() is None, f"mariadbd on {port}", process=proc)
        return server

    def hung_server(self) -> HungServer:
        h = HungServer()
        self.hung.append(h)
        return h

    def stop(self) -> None:
        for s in self.redis:
            s.stop()
        for h in self.hung:
            h.stop()
        for m in reversed(self.mariadb):      # replicas first, so they do not retry a dead primary
            m.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> LocalFleet:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def redis_instance(name: str, server: RedisServer, **kw) -> Instance:
    return Instance(name=name, kind="redis", url=server.url, service="test", environment="local", **kw)


def stopped_instance(name: str, kind: str = "redis") -> Instance:
    """An instance whose port nothing listens on (connection refused)."""
    port = free_port()
    scheme = {"redis": "redis", "mysql": "mysql+pymysql", "postgres": "postgresql+psycopg2"}[kind]
    return Instance(name=name, kind=kind, url=f"{scheme}://root@127.0.0.1:{port}/", environment="local")


def hung_instance(name: str, hung: HungServer, kind: str = "mysql") -> Instance:
    scheme = {"redis": "redis", "mysql": "mysql+pymysql", "postgres": "postgresql+psycopg2"}[kind]
    return Instance(name=name, kind=kind, url=f"{scheme}://root@127.0.0.1:{hung.port}/", environment="local")
