"""Dashboard figures computed once per ledger revision, in each worker's memory.

The key holds the ledger's revision (services/revisions.py raises it in the same transaction
as every change the figures depend on), so a worker or instance that has not seen a write
still recomputes as soon as the write is committed: a stale copy is never served.
LEDGER_CACHE_SIZE sets how many figures each worker keeps (0: no cache). The test suite's
shared app defaults to 0, because its cleanup empties the revisions table between tests,
which production never does: counters would repeat with other data behind them.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

from ...extensions import db
from .. import revisions
from .rollup import base_currency

DEFAULT_SIZE = 64
EXTENSION = "ledger_figures"
T = TypeVar("T")


class FigureCache:
    """A small LRU of computed figures keyed by (revision, what, arguments)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, object] = OrderedDict()
        self.lock = threading.Lock()
        self.newest = -1  # the highest revision seen
        self.hits = self.misses = 0

    def get(self, key: tuple, revision: int):
        """The figures stored for the key at this revision, or None."""
        with self.lock:
            if revision < self.newest:
                # The counter went back (a restored or emptied database): nothing kept
                # from before can be trusted.
                self.entries.clear()
            elif revision > self.newest:
                # Older revisions can never be asked for again: free their memory.
                for stale in [k for k in self.entries if k[0] < revision]:
                    del self.entries[stale]
            self.newest = revision
            found = self.entries.get((revision, *key))
            if found is None:
                self.misses += 1
                return None
            self.entries.move_to_end((revision, *key))
            self.hits += 1
            return found

    def put(self, key: tuple, revision: int, value: object) -> None:
        """Keep the figures computed at this revision, dropping the least recently used."""
        with self.lock:
            if revision < self.newest:
                return  # a newer write is already visible elsewhere: do not keep old figures
            self.entries[(revision, *key)] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def figure_cache() -> FigureCache:
    """This app's cache (one per app, so per worker process)."""
    cache = current_app.extensions.get(EXTENSION)
    if cache is None:
        size = current_app.config.get("LEDGER_CACHE_SIZE",
                                      0 if current_app.testing else DEFAULT_SIZE)
        cache = current_app.extensions.setdefault(EXTENSION, FigureCache(int(size)))
    return cache


def cached(what: str, arguments: Hashable, compute: Callable[[], T]) -> T:
    """compute(), or the copy computed at the ledger's current revision for these arguments.

    A transaction that has itself changed the ledger computes afresh and keeps nothing: its
    revision is not committed and may be rolled back.
    """
    cache = figure_cache()
    if not cache.size:
        return compute()
    revision = revisions.current(revisions.LEDGER)  # after any autoflush of pending changes
    if revisions.LEDGER in db.session().info.get("revisions_raised", ()):
        return compute()
    key = (what, base_currency(), arguments)
    found = cache.get(key, revision)
    if found is not None:
        return found  # type: ignore[return-value]
    value = compute()
    cache.put(key, revision, value)
    return value
