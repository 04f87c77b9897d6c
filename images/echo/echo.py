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

Memory does not grow with the file: /data is sent from an open file descriptor with
sendfile (no copy in the process, none per request), its Content-Length taken from that
same descriptor. The generator only appends or replaces the file by rename, so the first
Content-Length bytes of an open descriptor are a consistent snapshot. In upstream mode the
response is streamed into one cached copy that every request sends from: an unnamed file
in CACHE_DIR (on disk), or, with CACHE_DIR unset, an anonymous memory file (then at most
two copies, the one served and the one being fetched, are held in memory).

    echo.py --probe PATH   GET http://127.0.0.1:$PORT/PATH; exit 0 on 200, else 1

Env: PORT (8000), DATA_DIR (/data), UPSTREAM_URL (unset = file mode; a base URL such as
http://generator:8080), UPSTREAM_TIMEOUT_SECONDS (2), UPSTREAM_CACHE_SECONDS (1),
CACHE_DIR (unset = in memory; upstream mode only: a writable directory for the copy).
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
import http.client  # noqa: E402 - http.server imports it anyway
import os  # noqa: E402
import select  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import socketserver  # noqa: E402
import tempfile  # noqa: E402
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


# Chunk size for streaming an upstream response into its copy (bounded memory).
CHUNK = 64 * 1024


class Body:
    """What one /data response sends: the first `size` bytes of `file`, and a Warning or None.

    close() when sent: it closes the file, or hands the copy back (upstream mode).
    """

    def __init__(self, file, size, warning=None, release=None):
        self.file, self.size, self.warning = file, size, warning
        self._release = release or file.close

    def close(self):
        self._release()


class FileSource:
    """The data file, opened per request: each reader gets its own descriptor."""

    def __init__(self, path):
        self.path = path

    def get(self):
        """A Body, or None when there is no file yet.

        The size is the open descriptor's: appends after it are left for the next request,
        and a rename replacing the file leaves this descriptor on the old, unchanged one.
        """
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return None
        return Body(f, os.fstat(f.fileno()).st_size)

    def ready(self):
        return os.path.isfile(self.path)


class Copy:
    """One complete copy of the upstream's /data, and how many responses are sending it."""

    def __init__(self, file, size):
        self.file, self.size, self.readers = file, size, 0
        self.replaced_at = None  # monotonic time a newer copy took its place


class UpstreamSource:
    """Another server's /data, fetched in the background; the last good copy outlives failures.

    A request never waits on the upstream longer than the timeout, whatever hangs (name
    resolution included: the fetch runs in its own thread and the request stops waiting at
    the deadline). /ready never waits at all: it answers from what echo already holds.

    A fetch streams into a new copy (see new_copy) and swaps it in whole; responses send
    from the copy that was current when they began. So that no more than two copies ever
    exist (the current one and one older or one being fetched), no fetch starts while a
    replaced copy is still being sent — for at most HOLD_SECONDS, so one stalled client
    cannot stop the refreshes.
    """

    HOLD_SECONDS = 60  # the connection timeout: a stalled client is cut off by then

    def __init__(self, base_url, timeout, cache_seconds, cache_dir=None):
        self.url = base_url.rstrip("/") + "/data"
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self.cache_dir = cache_dir
        self._copy = None  # the last good copy
        self._replaced = []  # older copies still being sent
        self._ok = False  # did the last completed fetch succeed?
        self._done_at = None  # monotonic time the last fetch completed, good or bad
        self._started_at = None  # monotonic time the fetch in flight started (None: none)
        self._cond = threading.Condition()

    def new_copy(self):
        """An unnamed file for one copy: in cache_dir (on disk), else in memory; gone when closed."""
        if self.cache_dir:
            return tempfile.TemporaryFile(dir=self.cache_dir)
        if not hasattr(os, "memfd_create"):  # not Linux: a temporary file where the OS keeps them
            return tempfile.TemporaryFile()
        return os.fdopen(os.memfd_create("echo-upstream-copy", os.MFD_CLOEXEC), "w+b")

    def _download(self):
        """Stream the upstream's /data into a new Copy, or raise."""
        import urllib.request  # lazily: file mode and probes never pay for it

        file = self.new_copy()
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as resp:
                shutil.copyfileobj(resp, file, CHUNK)
                size = file.tell()
                expected = resp.headers.get("Content-Length")
                if expected is not None and expected.isdigit() and int(expected) != size:
                    raise http.client.IncompleteRead(b"", int(expected) - size)
            file.flush()
            return Copy(file, size)
        except BaseException:
            file.close()
            raise

    def _fetch(self):
        try:
            copy, error = self._download(), None
        except (OSError, ValueError, http.client.HTTPException) as e:  # URLError, HTTPError, timeouts; a cut-off body
            copy, error = None, e
        with self._cond:
            if error is not None and (self._ok or self._done_at is None):
                print(f"echo: upstream {self.url} failed: {error!r}", file=sys.stderr)
            if copy is not None:
                old, self._copy = self._copy, copy
                if old is not None:
                    old.replaced_at = time.monotonic()
                    self._replaced.append(old)
                    self._drop_unread()
            self._ok = copy is not None
            self._done_at = time.monotonic()
            self._started_at = None
            self._cond.notify_all()

    def _drop_unread(self):
        """Close the replaced copies nobody sends any more (caller holds the lock)."""
        for old in [c for c in self._replaced if c.readers == 0]:
            old.file.close()
            self._replaced.remove(old)

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
                if any(now - c.replaced_at < self.HOLD_SECONDS for c in self._replaced):
                    return self._ok  # a third copy would be one too many: serve the current one
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
        """A Body sending the current copy (with a Warning when stale), or None without one."""
        current = self.refresh(wait=True)
        with self._cond:
            copy = self._copy
            if copy is None:
                return None
            copy.readers += 1

        def release():
            with self._cond:
                copy.readers -= 1
                self._drop_unread()

        return Body(copy.file, copy.size, None if current else '110 - "stale: upstream unavailable"', release)

    def ready(self):
        self.refresh(wait=False)  # keeps the copy fresh in the background, never waits
        return self._copy is not None


def send_range(sock, fd, size, timeout):
    """Send bytes 0..size of fd to sock; return how many were sent (fewer: the file ended).

    Positional reads only (sendfile with an offset, else pread), never the descriptor's own
    position, so many responses can send the same open file at once. sock has a timeout,
    which makes it non-blocking underneath: wait for room before each send.
    """
    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    use_sendfile = hasattr(os, "sendfile")
    offset = 0
    while offset < size:
        if not poller.poll(timeout * 1000):
            raise TimeoutError("timed out sending /data")
        if use_sendfile:
            try:
                n = os.sendfile(sock.fileno(), fd, offset, size - offset)
            except BlockingIOError:
                continue
            except OSError as e:
                if offset or e.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                    raise
                use_sendfile = False  # this file or socket cannot: copy through a small buffer
                continue
        else:
            chunk = os.pread(fd, min(CHUNK, size - offset), offset)
            n = len(chunk)
            if n:
                sock.sendall(chunk)
        if n == 0:
            break  # end of file before size
        offset += n
    return offset


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

    def _head(self, status, length, content_type=TEXT, extra=()):
        lines = [
            f"HTTP/1.1 {status} {self.responses[status][0]}",
            f"Content-Type: {content_type}",
            f"Content-Length: {length}",
            "Cache-Control: no-store",
            f"Date: {self.date_time_string()}",
        ]
        lines.extend(extra)
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, status, body, extra=()):
        # Small answers: status line, headers and body in one write.
        head = self._head(status, len(body), extra=extra)
        self.wfile.write(head if self.command == "HEAD" else head + body)

    def _send_body(self, body):
        """200 with the body's bytes, sent by the kernel (sendfile) straight from its file."""
        head = self._head(200, body.size, extra=(f"Warning: {body.warning}",) if body.warning else ())
        if self.command == "HEAD":
            self.wfile.write(head)
            return
        # MSG_MORE: the headers leave with the first part of the body, not in a segment of their own.
        self.connection.sendall(head, getattr(socket, "MSG_MORE", 0))
        if send_range(self.connection, body.file.fileno(), body.size, self.timeout) < body.size:
            self.close_connection = True  # the file shrank under us (never the generator's way): end the response

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/data":
            body = self.source.get()
            if body is None:
                if isinstance(self.source, UpstreamSource):
                    self._send(502, b"upstream unavailable and no cached data\n")
                else:
                    self._send(503, b"no data yet\n")
                return
            try:
                self._send_body(body)
            finally:
                body.close()
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
        cache_dir = os.environ.get("CACHE_DIR", "") or None
        if cache_dir and not (os.path.isdir(cache_dir) and os.access(cache_dir, os.W_OK | os.X_OK)):
            fail_config("CACHE_DIR", cache_dir, "a writable directory (or unset: keep the copy in memory)")
        Handler.source = UpstreamSource(upstream, timeout, cache, cache_dir)
        Handler.source.refresh(wait=False)  # first copy in the background: ready sooner
        what = f"upstream {Handler.source.url} (copy {'in ' + cache_dir if cache_dir else 'in memory'})"
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
