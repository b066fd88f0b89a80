"""The in-process store of whole public responses: an LRU bounded by bytes, thread-safe."""

import gzip
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock

from werkzeug.http import parse_date

# Bodies smaller than this go out as they are: gzip saves too little to pay for itself.
GZIP_MIN_BYTES = 1024
COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/xml",
                "application/atom+xml", "application/javascript", "image/svg+xml")
# Headers never kept with a stored response: the server adds Date and the length, the store
# sets its own validator, and a rate-limit count is the first requester's, nobody else's.
DROPPED_HEADERS = frozenset({"date", "content-length", "content-encoding", "etag",
                             "retry-after", "x-ratelimit-limit",
                             "x-ratelimit-remaining", "x-ratelimit-reset"})
VARY = ("Accept-Encoding", "Accept-Language")


@dataclass
class Entry:
    """One stored 200 response and what it stays valid for."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str  # as sent, quoted: the view's own, else a strong one of the body
    last_modified: datetime | None  # the view's Last-Modified, for If-Modified-Since
    revision: tuple  # (epoch, value) of the public revision it was rendered at
    valid_until: datetime | None  # the next moment the clock alone changes public pages
    gzipped: bytes | None = None
    compressible: bool = False
    lock: Lock = field(default_factory=Lock, repr=False)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + 64 * len(self.headers) + 256

    def gzip_body(self) -> bytes:
        """The gzip variant, compressed on first demand (then kept)."""
        with self.lock:
            if self.gzipped is None:
                # mtime=0: the same body always gives the same bytes, so one ETag per variant
                # holds across workers and instances.
                self.gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
            return self.gzipped


def make_entry(status: str, headers: list[tuple[str, str]], body: bytes, revision: tuple,
               valid_until: datetime | None) -> Entry:
    """An entry from a response as the app sent it: validator, Vary and length rules applied."""
    kept, vary, content_type, etag = [], [], "", None
    for name, value in headers:
        lower = name.lower()
        if lower == "etag":
            etag = value  # the view's validator (feeds, GeoJSON) stays the validator
        if lower in DROPPED_HEADERS:
            continue
        if lower == "vary":
            vary += [v.strip() for v in value.split(",") if v.strip()]
            continue
        if lower == "content-type":
            content_type = value.lower()
        kept.append((name, value))
    for name in VARY:
        if name.lower() not in {v.lower() for v in vary}:
            vary.append(name)
    kept.append(("Vary", ", ".join(vary)))
    if etag is None:
        etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
    modified = next((parse_date(v) for n, v in kept if n.lower() == "last-modified"), None)
    compressible = len(body) >= GZIP_MIN_BYTES and content_type.startswith(COMPRESSIBLE)
    return Entry(status, kept, body, etag, modified, revision, valid_until,
                 compressible=compressible)


def variant_etag(etag: str) -> str:
    """The gzip variant's ETag: another representation, so another tag ("x" -> "x-gz")."""
    return f"{etag[:-1]}-gz\""


class Store:
    """Entries by key, least recently used dropped first once over `max_bytes`."""

    def __init__(self, max_bytes: int, max_entry_bytes: int | None = None):
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes or max_bytes // 4
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._sizes: dict[tuple, int] = {}
        self._lock = Lock()
        self.bytes = 0
        self.hits = self.misses = self.stores = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> bool:
        """Keep the entry (False when it alone is too big to keep)."""
        size = entry.size
        if size > self.max_entry_bytes:
            return False
        with self._lock:
            self._drop(key)
            self._entries[key] = entry
            self._sizes[key] = size
            self.bytes += size
            self._trim()
        self.stores += 1
        return True

    def resize(self, key: tuple, entry: Entry) -> None:
        """Count an entry's new size (its gzip variant was added)."""
        with self._lock:
            if self._entries.get(key) is entry:
                self.bytes += entry.size - self._sizes[key]
                self._sizes[key] = entry.size
                self._trim()

    def discard(self, key: tuple) -> None:
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._sizes.clear()
            self.bytes = 0

    def _drop(self, key: tuple) -> None:
        if self._entries.pop(key, None) is not None:
            self.bytes -= self._sizes.pop(key)

    def _trim(self) -> None:
        while self.bytes > self.max_bytes and self._entries:
            key, _ = self._entries.popitem(last=False)
            self.bytes -= self._sizes.pop(key)
