"""Bookkeeping that an index and its forks share, so a fork costs the same at a thousand rows and at a million.

A KB change is made on a fork of the live index while searches go on in the original (`KbIndex.fork`). The
fork used to copy its dictionaries (chunk id → row, slug → document, ...) and row-id lists: at 200 000 chunks
that was a third of a second under load, growing with the index. Here:

- `CopyOnWriteMap` is a dictionary over a *base* that forks share and none modifies, plus a small dictionary
  of this fork's changes; a fork copies only the changes. When the changes outgrow `overlay_limit` they are
  folded into a new base (a copy at C speed: tens of milliseconds at a million entries, once every few
  hundred one-article updates), so lookups stay two dictionary probes and a fork stays cheap.
- `RowsClaim` lets forks share append-only row storage (vectors, row ids): only the holder whose rows end
  where the storage ends may append behind them; any other holder copies its rows before appending.
"""

from __future__ import annotations

import math
import threading
from collections.abc import ItemsView, Iterable, Iterator, Mapping, MutableMapping, Sequence, ValuesView
from typing import Any, Final, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_REMOVED: Final = object()
_ABSENT: Final = object()
# Changes a fork may carry before they are folded into a new base: a fork copies up to this many entries, and a
# fold copies the whole map, so about √(entries) keeps both small (at least this floor, for small maps).
_OVERLAY_FLOOR = 1024


def overlay_limit(entries: int) -> int:
    """How many changed keys a map of `entries` keys carries before folding them into a new base."""
    return max(_OVERLAY_FLOOR, 8 * math.isqrt(entries))


class CopyOnWriteMap(MutableMapping[K, V], Generic[K, V]):
    """A dictionary whose `fork` shares the bulk of its entries; iteration order is the base's, then new keys.

    A map that was never forked (an index being built) owns its base and writes into it like a dictionary;
    after a fork, neither side writes into the shared base again: each keeps its own changes, until it folds
    them into a new base that it owns.
    """

    __slots__ = ("_base", "_changes", "_owns_base", "_size")

    def __init__(self, entries: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._base: dict[K, V] = dict(entries)
        self._changes: dict[K, object] = {}
        self._owns_base = True
        self._size = len(self._base)

    def fork(self) -> CopyOnWriteMap[K, V]:
        """A copy whose changes never show here (and this one's never show there): shares the base."""
        twin: CopyOnWriteMap[K, V] = CopyOnWriteMap.__new__(CopyOnWriteMap)
        twin._base, twin._changes, twin._size = self._base, dict(self._changes), self._size
        twin._owns_base = self._owns_base = False
        return twin

    def __getitem__(self, key: K) -> V:
        changed = self._changes.get(key, _ABSENT)
        if changed is _ABSENT:
            return self._base[key]
        if changed is _REMOVED:
            raise KeyError(key)
        return changed  # type: ignore[return-value]

    def values_of(self, keys: Sequence[K]) -> list[V]:
        """The value of each key, in order (KeyError for a missing one): one pass, no method call per key."""
        changes, base = self._changes, self._base
        found = [base[key] if (changed := changes.get(key, _ABSENT)) is _ABSENT else changed for key in keys]
        if changes and any(value is _REMOVED for value in found):
            raise KeyError(next(k for k, v in zip(keys, found, strict=False) if v is _REMOVED))
        return found  # type: ignore[return-value]

    def __contains__(self, key: object) -> bool:
        if key in self._changes:
            return self._changes[key] is not _REMOVED
        return key in self._base

    def __setitem__(self, key: K, value: V) -> None:
        if self._owns_base:
            self._base[key] = value
            self._size = len(self._base)
            return
        if key not in self:
            self._size += 1
        self._changes[key] = value
        self._fold_when_large()

    def __delitem__(self, key: K) -> None:
        if self._owns_base:
            del self._base[key]
            self._size = len(self._base)
            return
        if key not in self:
            raise KeyError(key)
        self._size -= 1
        if key in self._base:
            self._changes[key] = _REMOVED
        else:
            del self._changes[key]
        self._fold_when_large()

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[K]:
        if not self._changes:
            return iter(self._base)
        return (key for key, _ in self._merged_items())

    def items(self) -> ItemsView[K, V]:
        """The entries, in iteration order; at dictionary speed when this map has no changes of its own."""
        return _Items(self)

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def _items(self) -> Iterator[tuple[K, V]]:
        return iter(self._base.items()) if not self._changes else self._merged_items()

    def _merged_items(self) -> Iterator[tuple[K, V]]:
        changes, base = self._changes, self._base
        for key, value in base.items():
            changed = changes.get(key, _ABSENT)
            if changed is _ABSENT:
                yield key, value
            elif changed is not _REMOVED:
                yield key, changed  # type: ignore[misc]
        for key, changed in changes.items():
            if changed is not _REMOVED and key not in base:
                yield key, changed  # type: ignore[misc]

    def _fold_when_large(self) -> None:
        if len(self._changes) <= overlay_limit(len(self._base)):
            return
        folded = dict(self._base)
        for key, value in self._changes.items():
            if value is _REMOVED:
                del folded[key]
            else:
                folded[key] = value  # type: ignore[assignment]
        self._base, self._changes, self._owns_base = folded, {}, True


class _Items(ItemsView[K, V]):
    _mapping: CopyOnWriteMap[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        return self._mapping._items()


class _Values(ValuesView[V]):
    _mapping: CopyOnWriteMap[Any, V]

    def __iter__(self) -> Iterator[V]:
        return (value for _, value in self._mapping._items())


class RowsClaim:
    """How many rows of shared, append-only storage are written: only the holder whose rows end there appends."""

    def __init__(self, end: int) -> None:
        self.end = end
        self._lock = threading.Lock()

    def take(self, start: int, end: int) -> bool:
        """Claim rows `start`..`end` for the holder that sees `start` rows; False when another appended first."""
        with self._lock:
            if self.end != start:
                return False
            self.end = end
            return True
