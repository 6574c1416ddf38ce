"""Replay HTTP server: answers the real URLs of captured material from files.

The server listens on 127.0.0.1 only. The crawler (with ``Settings.replay_url``
set) rewrites every request for ``https://host/path`` into
``http://127.0.0.1:PORT/replay?url=<original>[&snapshot=<id>]``; the server
looks the original URL up in a ``replay_map.tsv`` (columns url, file,
content_type, snapshot, kind) and serves the file with its recorded
Content-Type, an ETag and conditional-GET support (304). Unknown URLs get 404.
One URL may have several captures: ``snapshot`` picks one by file stem,
otherwise the last row wins. Tests can add synthetic routes (errors, delays).

Synthetic routes for the malicious-input tests (tests/test_hostile_input.py) (:class:`ReplayEntry` fields):
``headers`` (extra response headers, e.g. Content-Encoding or Location),
``chunks`` (a callable yielding the body piece by piece, sent with chunked
transfer encoding and no Content-Length: bodies bigger than memory, streamed
from a file), ``chunk_delay`` (seconds between pieces: a trickling body),
``max_hits`` (answer this way only N times, then fall through to the next
entry for the URL: 503 then 200). :func:`robots_entry` and
:func:`redirect_entry` build robots.txt and redirect routes.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


@dataclass
class ReplayEntry:
    """One answerable capture: body bytes (or a file), type, status, optional delay (s)."""

    url: str
    content_type: str
    kind: str = "page"
    snapshot: str = ""
    path: Path | None = None
    body: bytes | None = None
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Callable[[], Iterable[bytes]] | None = None
    chunk_delay: float = 0.0
    max_hits: int | None = None
    served: int = 0

    def read(self) -> bytes:
        if self.body is not None:
            return self.body
        assert self.path is not None
        return self.path.read_bytes()


def robots_entry(site: str, body: bytes | str, status: int = 200,
                 content_type: str = "text/plain; charset=utf-8") -> ReplayEntry:
    """A route answering ``site``/robots.txt (``site`` like ``https://host``) with ``body``."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return ReplayEntry(url=site.rstrip("/") + "/robots.txt", content_type=content_type, kind="robots",
                       body=data, status=status)


def redirect_entry(url: str, location: str, status: int = 302) -> ReplayEntry:
    """A route answering ``url`` with a redirect (``status``) to ``location``."""
    return ReplayEntry(url=url, content_type="text/html; charset=utf-8", kind="redirect", status=status,
                       body=b"", headers={"Location": location})


def read_replay_map(corpus_dir: Path) -> list[ReplayEntry]:
    """Parse ``corpus_dir/replay_map.tsv``; raises FileNotFoundError if absent."""
    rows: list[ReplayEntry] = []
    with (corpus_dir / "replay_map.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            path = corpus_dir / row["file"]
            rows.append(
                ReplayEntry(
                    url=row["url"].strip(),
                    content_type=row.get("content_type") or "application/octet-stream",
                    kind=(row.get("kind") or "page").strip(),
                    snapshot=path.stem,
                    path=path,
                )
            )
    return rows


EXCERPTS = Path("excerpts") / "pages_corpus_brvt.jsonl"


def excerpt_entries(corpus_dir: Path) -> list[ReplayEntry]:
    """Text excerpts (no HTML captured) served as minimal article pages at their URLs.

    The first line becomes the title; the text is HTML-escaped. Kind is
    ``page-excerpt`` so reports can tell them from captured pages.
    """
    path = corpus_dir / EXCERPTS
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        date = re.match(r"^\s*date (\d{4}-\d{2}(?:-\d{2})?)\s*", rec["excerpt"])
        text = rec["excerpt"][date.end():].strip() if date else rec["excerpt"].strip()
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if not lines:
            continue
        title = _short_title(lines[0])
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in lines)
        meta = ""
        if date:
            day = date.group(1) if len(date.group(1)) == 10 else date.group(1) + "-01"
            meta = f'<meta property="article:published_time" content="{day}T00:00:00+07:00">'
        body = (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
                f"{meta}</head><body><article><h1>{html.escape(title)}</h1>{paras}</article></body></html>")
        out.append(ReplayEntry(url=rec["url"], content_type="text/html; charset=utf-8", kind="page-excerpt",
                               snapshot="excerpt", body=body.encode("utf-8")))
    return out


def _short_title(line: str, limit: int = 120) -> str:
    """A title from an excerpt's first line: the first sentence, or words up to ``limit`` chars."""
    sentence = re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:–- ") + "…"


class ReplayServer:
    """Threaded loopback server; use as a context manager or call start()/stop()."""

    def __init__(self, entries: list[ReplayEntry] | None = None, host: str = "127.0.0.1") -> None:
        self._by_url: dict[str, list[ReplayEntry]] = {}
        self.hits: list[str] = []
        self._lock = threading.Lock()
        for entry in entries or []:
            self.add(entry)
        self._host = host
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_corpus(cls, corpus_dir: Path) -> ReplayServer:
        return cls(read_replay_map(corpus_dir) + excerpt_entries(corpus_dir))

    @property
    def entries(self) -> list[ReplayEntry]:
        return [e for group in self._by_url.values() for e in group]

    def add(self, entry: ReplayEntry) -> None:
        self._by_url.setdefault(entry.url, []).append(entry)

    def lookup(self, url: str, snapshot: str | None) -> ReplayEntry | None:
        group = self._by_url.get(url)
        if not group:
            return None
        if snapshot:
            for entry in group:
                if entry.snapshot == snapshot:
                    return entry
            return None
        with self._lock:
            for entry in group:
                if entry.max_hits is not None and entry.served < entry.max_hits:
                    entry.served += 1
                    return entry
        unlimited = [e for e in group if e.max_hits is None]
        return unlimited[-1] if unlimited else group[-1]

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplayServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: object) -> None:
                log.debug("replay: " + fmt, *args)

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if parts.path != "/replay" or "url" not in query:
                    self._send(404, b"not found", "text/plain")
                    return
                url = query["url"][0]
                server.hits.append(url)
                entry = server.lookup(url, (query.get("snapshot") or [None])[0])
                if entry is None:
                    self._send(404, b"not in replay map", "text/plain")
                    return
                if entry.delay:
                    time.sleep(entry.delay)
                if entry.chunks is not None:
                    self._send_chunked(entry)
                    return
                body = entry.read()
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                headers = {"ETag": etag, **entry.headers}
                if entry.status == 200 and self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", entry.content_type, headers)
                    return
                self._send(entry.status, body, entry.content_type, headers)

            def _send_chunked(self, entry: ReplayEntry) -> None:
                try:
                    self.send_response(entry.status)
                    self.send_header("Content-Type", entry.content_type)
                    self.send_header("Transfer-Encoding", "chunked")
                    for key, value in entry.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    assert entry.chunks is not None
                    for piece in entry.chunks():
                        if not piece:
                            continue
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.flush()
                        if entry.chunk_delay:
                            time.sleep(entry.chunk_delay)
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    log.debug("replay client went away mid-body")
                    self.close_connection = True

            def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    if body:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    log.debug("replay client went away")

        self._httpd = ThreadingHTTPServer((self._host, 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.handle_error = lambda request, address: log.debug("replay: client %s went away", address)  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
