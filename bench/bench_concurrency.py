"""Many people at once: N browser sessions against one `streamlit run`, cold and warm.

    python bench/bench_concurrency.py [--scale 1] [--demo PATH] [--sessions 1 5 10 20] [--port 8599]

One headless Chromium (Debian's, never a downloaded one), N browser contexts (separate sessions,
as N people), each opening landscape, reconciliation and anomalies in turn, all N at once. For
each N a fresh server starts (so the first round is cold: nothing cached), then every session
opens the three pages a second time (warm). Reported per N: p50/p95 seconds to a finished page
(the page's title drawn and Streamlit's running indicator gone), the server's peak RSS (process
and children) and CPU seconds used. `--navigate`: each person opens the first page by its URL and
reaches the other two by the sidebar's links, as people use the app (no JavaScript reload).
`--clients protocol`: instead of Chromium, each person is a client that speaks Streamlit's own
WebSocket protocol (the messages a browser sends: a new session, a rerun of the page; finished at
the script's end) and draws nothing. People's browsers run on their own computers, not on the
server; this measures what the server does for N of them on its own cores.
Writes bench/out/concurrency_scale<scale>[_navigate][_protocol].json.
Goal (issue 10): p95 <= 3 s at N = 20 (warm).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGES = ("landscape", "reconciliation", "anomalies")
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FINISHED = """() => {
    const running = document.querySelector('[data-testid="stStatusWidget"]');
    const spinner = document.querySelector('[data-testid="stSpinner"]');
    return !!document.querySelector('h1') && !running && !spinner;
}"""


def wait_port(port: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not listen on {port}")


class Sampler(threading.Thread):
    """Peak RSS of the server and its children, sampled every 0.2 s until stopped."""

    def __init__(self, proc: psutil.Process):
        super().__init__(daemon=True)
        self.proc, self.peak, self.stop = proc, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            self.stop.wait(0.2)


def cpu_seconds(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def client_cpu() -> float:
    """CPU seconds of the clients, to set against the server's: this process (the protocol
    clients, Playwright's Python side) and its finished children (the Playwright driver and the
    Chromium it ran; each round's browser has exited when this is read)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


SWITCHED = """([slug, before]) => {
    const h1 = document.querySelector('h1');
    const running = document.querySelector('[data-testid="stStatusWidget"]');
    const spinner = document.querySelector('[data-testid="stSpinner"]');
    return location.pathname.endsWith('/' + slug) && !!h1 && h1.innerText !== before
        && !running && !spinner;
}"""


async def open_page(page, base: str, slug: str, navigate: bool) -> None:
    """A full page load (`goto`: the browser fetches and starts Streamlit's JavaScript again), or,
    with `navigate`, a click on the sidebar link as a person moves between pages (the app stays
    loaded; only the new page's script runs and its elements are drawn)."""
    if navigate and page.url.startswith(base):
        before = await page.locator("h1").first.inner_text()
        await page.locator(f'a[data-testid="stSidebarNavLink"][href$="/{slug}"]').first.click()
        await page.wait_for_function(SWITCHED, arg=[slug, before], timeout=180_000, polling=100)
        return
    await page.goto(f"{base}/{slug}?role=admin", wait_until="domcontentloaded", timeout=180_000)
    await page.wait_for_timeout(300)          # let the script run start before polling
    await page.wait_for_function(FINISHED, timeout=180_000, polling=100)


async def session(browser, base: str, times: list[float], navigate: bool) -> None:
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    for slug in PAGES:
        started = time.perf_counter()
        await open_page(page, base, slug, navigate)
        times.append(time.perf_counter() - started)
    await context.close()


async def round_of(n: int, base: str, navigate: bool) -> list[float]:
    from playwright.async_api import async_playwright

    times: list[float] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        await asyncio.gather(*(session(browser, base, times, navigate) for _ in range(n)))
        await browser.close()
    return times


async def protocol_session(port: int, times: list[float], navigate: bool) -> None:
    """One person as the server sees them: per page a new WebSocket session (a full page load)
    asking for the page's script run, or with `navigate` one session that moves between pages (a
    sidebar click sends the same rerun with the new page); a page is done when its script
    finishes (a run ended early for a rerun, as the app's first run does, continues)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async def view(ws, slug: str) -> None:
        ask = BackMsg()
        ask.rerun_script.query_string, ask.rerun_script.page_name = "role=admin", slug
        await ws.send(ask.SerializeToString())
        ran = None                     # the url path of the page the server says it ran
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=180))
            kind = msg.WhichOneof("type")
            if kind == "page_not_found":
                raise RuntimeError(f"the server does not know the page {slug}")
            if kind == "navigation":
                ran = next((p.url_pathname for p in msg.navigation.app_pages
                            if p.page_script_hash == msg.navigation.page_script_hash), None)
            if kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                if ran != slug:
                    raise RuntimeError(f"asked for {slug}, the server ran {ran}")
                return

    def connect():
        return websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                  origin=f"http://127.0.0.1:{port}", max_size=None)

    if navigate:
        async with connect() as ws:
            for slug in PAGES:
                started = time.perf_counter()
                await view(ws, slug)
                times.append(time.perf_counter() - started)
        return
    for slug in PAGES:
        started = time.perf_counter()
        async with connect() as ws:
            await view(ws, slug)
        times.append(time.perf_counter() - started)


async def protocol_round(n: int, port: int, navigate: bool) -> list[float]:
    times: list[float] = []
    await asyncio.gather(*(protocol_session(port, times, navigate) for _ in range(n)))
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(n: int, demo: Path, port: int, log: Path, navigate: bool, protocol: bool = False) -> dict:
    """One fresh server, N sessions cold then warm; the server's output goes to `log`."""
    env = {**os.environ, "LUCKY_DATABASE_URL": str(demo), "PYTHONPATH": str(ROOT)}
    load_before = os.getloadavg()[0]
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "Home.py"), "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_port(port)
        proc = psutil.Process(server.pid)
        sampler = Sampler(proc)
        sampler.start()
        cpu0, client0 = cpu_seconds(proc), client_cpu()
        base = f"http://127.0.0.1:{port}"
        if protocol:
            cold, warm = (asyncio.run(protocol_round(n, port, navigate)) for _ in range(2))
        else:
            cold = asyncio.run(round_of(n, base, navigate))
            warm = asyncio.run(round_of(n, base, navigate))
        cpu, client = cpu_seconds(proc) - cpu0, client_cpu() - client0
        sampler.stop.set()
        sampler.join()
        return {"sessions": n, "cold_p50": statistics.median(cold), "cold_p95": pct(cold, 0.95),
                "warm_p50": statistics.median(warm), "warm_p95": pct(warm, 0.95),
                "peak_rss_mb": sampler.peak / 2**20, "cpu_s": cpu, "browser_cpu_s": client,
                "pages": len(cold) + len(warm), "navigate": navigate, "clients": "protocol" if protocol else "chromium",
                "load_before": load_before, "load_after": os.getloadavg()[0],
                "external_ip_lookup": "external IP" in log.read_text()}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--demo", help="DuckDB demo file (default data/demo.duckdb)")
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--navigate", action="store_true",
                        help="open the first page by URL, then move by the sidebar's links")
    parser.add_argument("--clients", choices=("chromium", "protocol"), default="chromium",
                        help="who opens the pages: headless Chromium, or Streamlit-protocol clients that draw nothing")
    args = parser.parse_args(argv)
    protocol = args.clients == "protocol"
    from bench.bench_pages import demo_file, ensure

    demo = demo_file(args.scale, args.demo)
    ensure(demo, args.scale)
    rows = []
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    for n in args.sessions:
        row = measure(n, demo, args.port, out / f"concurrency_server_n{n}.log", args.navigate, protocol)
        rows.append(row)
        print(f"N={n:>2}: cold p50 {row['cold_p50']:.2f} s p95 {row['cold_p95']:.2f} s | warm p50 "
              f"{row['warm_p50']:.2f} s p95 {row['warm_p95']:.2f} s | peak RSS {row['peak_rss_mb']:.0f} MB"
              f" | CPU server {row['cpu_s']:.1f} s, {args.clients} clients {row['browser_cpu_s']:.1f} s"
              f" | load {row['load_before']:.1f}->{row['load_after']:.1f}", flush=True)
    load = os.getloadavg()[0]
    mode = ("_navigate" if args.navigate else "") + ("_protocol" if protocol else "")
    (out / f"concurrency_scale{args.scale:g}{mode}.json").write_text(
        json.dumps({"scale": args.scale, "load_1min": load, "rows": rows}, indent=1))
    print(f"(load average at the end: {load:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
