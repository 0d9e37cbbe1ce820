"""A throw-away local fleet for tests and benchmarks: extra redis-servers, a stopped port, a hung port.

Everything binds 127.0.0.1, keeps nothing on disk (--save "" --appendonly no, a temp dir) and
is stopped by `LocalFleet.stop()` (use it as a context manager). The hung server accepts TCP
connections and never replies, like a frozen process or a black-holed proxy.
"""
from __future__ import annotations

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


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen
    args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _wait_ready(port: int, process: subprocess.Popen, limit_s: float = 10.0) -> None:
    """Block until the server accepts a PING (readiness, not timing)."""
    import redis

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server on {port} exited with {process.returncode}")
        try:
            redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5).ping()
            return
        except redis.AuthenticationError:
            return
        except redis.ConnectionError:
            time.sleep(0.02)
    raise RuntimeError(f"redis-server on {port} not ready after {limit_s:g} s")


@dataclass
class LocalFleet:
    """Owns every process and socket it starts."""

    dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="lucky-fleet-"))
    redis: list[RedisServer] = field(default_factory=list)
    hung: list[HungServer] = field(default_factory=list)

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @classmethod
    def require(cls) -> None:
        """In a test: skip without redis-server, or fail under LUCKY_REQUIRE_SERVICES=1 (CI)."""
        if cls.available():
            return
        import pytest

        reason = "redis-server is not installed (Debian package redis-server)"
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
        _wait_ready(port, proc)
        return server

    def restart(self, server: RedisServer) -> RedisServer:
        server.stop()
        self.redis.remove(server)
        return self.start_redis(*server.args, port=server.port)

    def hung_server(self) -> HungServer:
        h = HungServer()
        self.hung.append(h)
        return h

    def stop(self) -> None:
        for s in self.redis:
            s.stop()
        for h in self.hung:
            h.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "LocalFleet":
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
