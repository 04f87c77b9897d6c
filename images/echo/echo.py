#!/usr/bin/env python3
"""echo: serve the generator's data file over HTTP (standard library only).

    GET|HEAD /data      the file ($DATA_DIR/data), or in upstream mode $UPSTREAM_URL/data
    GET|HEAD /healthz   200 while the process runs
    GET|HEAD /ready     200 once data is available, else 503; answered at once from what
                        echo holds (upstream mode refreshes in the background, never inline)
    anything else       404 (nothing is mapped to the filesystem: no listings, no traversal)

Listens on one dual-stack socket ([::], IPv4 too; IPv4 only where there is no IPv6).
In upstream mode a /data request waits at most UPSTREAM_TIMEOUT_SECONDS for a fetch, name
resolution included, then serves the last good copy with a Warning header (502 without one).

    echo.py --probe PATH   GET http://127.0.0.1:$PORT/PATH; exit 0 on 200, else 1

Env: PORT (8000), DATA_DIR (/data), UPSTREAM_URL (unset = file mode; a base URL such as
http://generator:8080), UPSTREAM_TIMEOUT_SECONDS (2), UPSTREAM_CACHE_SECONDS (1).
"""

import signal
import sys


# First thing, before the imports that take most of start-up: as PID 1 in a container a
# signal without a handler is dropped by the kernel, so a SIGTERM that arrived while we
# were still importing would be lost and the pod would wait for SIGKILL. Until the server
# runs, SIGTERM/SIGINT simply end the process (status 0); main() then installs the
# handlers that stop the server cleanly.
def _exit_now(signum, frame):
    raise SystemExit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_now)
    signal.signal(signal.SIGINT, _exit_now)

import errno  # noqa: E402 - deliberately after the signal handlers
import os  # noqa: E402
import socket  # noqa: E402
import socketserver  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

TEXT = "text/plain; charset=utf-8"


def fail_config(name, value, what):
    print(f"echo: invalid {name}={value!r}: must be {what}", file=sys.stderr)
    sys.exit(2)


def env_number(name, default, kind, minimum, maximum=None):
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or value != value or value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        fail_config(name, raw, f"a {kind.__name__} {bound}")
    return value


class FileSource:
    """The data file, re-read only when its (inode, size, mtime) changes."""

    def __init__(self, path):
        self.path = path
        self._key = None
        self._body = None
        self._lock = threading.Lock()

    def get(self):
        """Return (body, warning) or (None, reason) when there is no file yet."""
        try:
            with open(self.path, "rb") as f:
                # fstat before reading: if the file grows meanwhile the key is older than
                # the body, so the next request simply re-reads (never the other way round).
                st = os.fstat(f.fileno())
                key = (st.st_ino, st.st_size, st.st_mtime_ns)
                with self._lock:
                    if key == self._key:
                        return self._body, None
                body = f.read()
        except FileNotFoundError:
            return None, "no data yet"
        with self._lock:
            self._key, self._body = key, body
        return body, None

    def ready(self):
        return os.path.isfile(self.path)


class UpstreamSource:
    """Another server's /data, fetched in the background; the last good copy outlives failures.

    A request never waits on the upstream longer than the timeout, whatever hangs (name
    resolution included: the fetch runs in its own thread and the request stops waiting at
    the deadline). /ready never waits at all: it answers from what echo already holds.
    """

    def __init__(self, base_url, timeout, cache_seconds):
        self.url = base_url.rstrip("/") + "/data"
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._body = None  # last good copy
        self._ok = False  # did the last completed fetch succeed?
        self._done_at = None  # monotonic time the last fetch completed, good or bad
        self._started_at = None  # monotonic time the fetch in flight started (None: none)
        self._cond = threading.Condition()

    def _fetch(self):
        import urllib.request  # lazily: file mode and probes never pay for it

        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as resp:
                body, ok, error = resp.read(), True, None
        except (OSError, ValueError) as e:  # URLError, HTTPError, timeouts are OSErrors
            body, ok, error = None, False, e
        with self._cond:
            if error is not None and (self._ok or self._done_at is None):
                print(f"echo: upstream {self.url} failed: {error}", file=sys.stderr)
            if ok:
                self._body = body
            self._ok = ok
            self._done_at = time.monotonic()
            self._started_at = None
            self._cond.notify_all()

    def refresh(self, wait):
        """Start a fetch when the copy is older than the cache period and none is running.

        With wait, block until that fetch completes, at most until its deadline (started +
        timeout). Returns whether what echo holds is current (False: stale or unknown).
        """
        with self._cond:
            now = time.monotonic()
            if self._started_at is None:
                if self._done_at is not None and now - self._done_at < self.cache_seconds:
                    return self._ok
                # Failures are cached too: a dead upstream costs one fetch per cache period.
                self._started_at = now
                threading.Thread(target=self._fetch, daemon=True).start()
            if not wait:
                return False
            deadline = self._started_at + self.timeout
            self._cond.wait_for(lambda: self._started_at is None or time.monotonic() >= deadline,
                                timeout=max(0.0, deadline - time.monotonic()))
            return self._started_at is None and self._ok

    def get(self):
        current = self.refresh(wait=True)
        body = self._body
        if body is None:
            return None, "upstream unavailable"
        return body, None if current else '110 - "stale: upstream unavailable"'

    def ready(self):
        self.refresh(wait=False)  # keeps the copy fresh in the background, never waits
        return self._body is not None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the big win over `python -m http.server`
    disable_nagle_algorithm = True  # small responses go out at once
    timeout = 60  # reap idle keep-alive connections
    server_version = "echo"
    sys_version = ""
    source = None  # set in main()

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass  # quiet: no access log (probes and benchmarks would flood it)

    def log_error(self, format, *args):  # noqa: A002
        sys.stderr.write("echo: %s - %s\n" % (self.address_string(), format % args))

    def _send(self, status, body, content_type=TEXT, extra=()):
        # Status line, headers and body in one write: one syscall, one TCP segment train.
        lines = [
            f"HTTP/1.1 {status} {self.responses[status][0]}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            "Cache-Control: no-store",
            f"Date: {self.date_time_string()}",
        ]
        lines.extend(extra)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/data":
            body, note = self.source.get()
            if body is None:
                if isinstance(self.source, UpstreamSource):
                    self._send(502, b"upstream unavailable and no cached data\n")
                else:
                    self._send(503, b"no data yet\n")
            elif note:
                self._send(200, body, extra=(f"Warning: {note}",))
            else:
                self._send(200, body)
        elif path == "/healthz":
            self._send(200, b"ok\n")
        elif path == "/ready":
            if self.source.ready():
                self._send(200, b"ready\n")
            else:
                self._send(503, b"not ready: no data yet\n")
        else:
            self._send(404, b"not found\n")

    do_HEAD = do_GET


class Server(ThreadingHTTPServer):
    """Listens on IPv6 and IPv4 at once (one dual-stack socket on ::), so echo answers on
    IPv4-only, dual-stack and IPv6-only pod networks alike; IPv4 only where the kernel
    has no IPv6 at all."""

    address_family = socket.AF_INET6 if socket.has_ipv6 else socket.AF_INET
    request_queue_size = 128
    # Do not join connection threads on close: idle keep-alive connections would block
    # shutdown until they time out.
    block_on_close = False

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            # dual stack whatever net.ipv6.bindv6only says: IPv4 clients arrive as ::ffff:a.b.c.d
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can stall
        # start-up; we do not need the name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # A client hanging up mid keep-alive is routine, not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def listen(port):
    """The dual-stack server on port; IPv4 only when this kernel cannot open an IPv6 socket."""
    if Server.address_family == socket.AF_INET6:
        try:
            return Server(("::", port), Handler)
        except OSError as e:
            if e.errno not in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL):
                raise

    class IPv4Server(Server):
        address_family = socket.AF_INET

    return IPv4Server(("0.0.0.0", port), Handler)


def probe(path, port):
    import urllib.error
    import urllib.request

    if not path.startswith("/"):
        path = "/" + path
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            status = resp.status
    except urllib.error.HTTPError as e:
        status = e.code
    except (OSError, ValueError) as e:
        print(f"probe {url}: {e}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"probe {url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


def main(argv):
    port = env_number("PORT", 8000, int, 1, 65535)
    if len(argv) >= 1 and argv[0] == "--probe":
        if len(argv) != 2:
            print("usage: echo.py --probe PATH", file=sys.stderr)
            return 2
        return probe(argv[1], port)
    if argv:
        print(f"echo: unknown argument {argv[0]!r} (the only option is --probe PATH)", file=sys.stderr)
        return 2

    upstream = os.environ.get("UPSTREAM_URL", "")
    if upstream:
        if not upstream.startswith(("http://", "https://")):
            fail_config("UPSTREAM_URL", upstream, "an http:// or https:// base URL")
        timeout = env_number("UPSTREAM_TIMEOUT_SECONDS", 2.0, float, 0.001)
        cache = env_number("UPSTREAM_CACHE_SECONDS", 1.0, float, 0.0)
        Handler.source = UpstreamSource(upstream, timeout, cache)
        Handler.source.refresh(wait=False)  # first copy in the background: ready sooner
        what = f"upstream {Handler.source.url}"
    else:
        data_dir = os.environ.get("DATA_DIR", "") or "/data"
        Handler.source = FileSource(os.path.join(data_dir, "data"))
        what = f"file {Handler.source.path}"

    try:
        server = listen(port)
    except OSError as e:
        print(f"echo: cannot listen on port {port}: {e}", file=sys.stderr)
        return 1

    # Serve from a thread; the main thread only waits for SIGTERM/SIGINT. (shutdown()
    # must not be called from the thread running serve_forever.)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    stack = "IPv6 and IPv4" if server.address_family == socket.AF_INET6 else "IPv4 only: this host has no IPv6"
    print(f"echo: serving {what} on port {port} ({stack})", file=sys.stderr)
    while not stop.wait(0.5):
        pass
    print("echo: stopping", file=sys.stderr)
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
