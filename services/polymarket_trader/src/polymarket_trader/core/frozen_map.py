"""`FrozenMap`: the read-only mapping inside `CanonicalState` (copy-on-write, msgspec-encodable).

State is immutable end to end (house style rule 8): a consumer holding a view can read the
mappings in it but any mutation raises `TypeError`, and the reducer never mutates one in place:
it builds a new map (`with_item`, `without`) and a new state around it. A plain `dict` subclass
keeps lookups O(1) and lets msgspec encode it natively; `state.decode_state` re-wraps
the plain dicts that decoding produces.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, NoReturn, TypeVar

import msgspec

K = TypeVar("K")
V = TypeVar("V")


def _refuse(*_: Any, **__: Any) -> NoReturn:
    raise TypeError("FrozenMap is immutable: build a new one with with_item()/without()")


class FrozenMap(dict[K, V]):
    __slots__ = ()

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (dict(self),))


def freeze(m: Mapping[K, V]) -> FrozenMap[K, V]:
    return m if type(m) is FrozenMap else FrozenMap(m)


def with_item(m: Mapping[K, V], key: K, value: V) -> FrozenMap[K, V]:
    d = dict(m)
    d[key] = value
    return FrozenMap(d)


def without(m: Mapping[K, V], *keys: K) -> FrozenMap[K, V]:
    d = dict(m)
    for k in keys:
        d.pop(k, None)
    return FrozenMap(d)


_WIDTH = 64  # buckets of a HashedMap


def _bucket(key: str) -> int:
    # crc32, not hash(): str hashes are salted per process and the layout must replay identically.
    return zlib.crc32(key.encode()) & (_WIDTH - 1)


class HashedMap(msgspec.Struct, Generic[V], frozen=True, kw_only=True):
    """A persistent string-keyed map for the collections that grow through an hour (fills,
    closed orders): 64 `FrozenMap` buckets, so an update copies one bucket (n/64 entries) and
    the bucket tuple instead of the whole map. Read-only like `FrozenMap`; `set`/`remove`
    return a new map. Layout is deterministic (crc32 buckets), so equal histories give equal maps.
    """

    buckets: tuple[Mapping[str, V], ...] = ()
    size: int = 0

    def frozen(self) -> HashedMap[V]:
        """This map with read-only buckets (decoding yields plain dicts; live updates never do)."""
        if not self.buckets or type(self.buckets[0]) is FrozenMap:
            return self
        return HashedMap(buckets=tuple(freeze(dict(b)) for b in self.buckets), size=self.size)

    @classmethod
    def from_items(cls, items: Iterable[tuple[str, V]]) -> HashedMap[V]:
        buckets: list[dict[str, V]] = [{} for _ in range(_WIDTH)]
        n = 0
        for k, v in items:
            b = buckets[_bucket(k)]
            n += k not in b
            b[k] = v
        return cls(buckets=tuple(FrozenMap(b) for b in buckets), size=n) if n else cls()

    def get(self, key: str, default: V | None = None) -> V | None:
        if not self.size:
            return default
        return self.buckets[_bucket(key)].get(key, default)

    def __getitem__(self, key: str) -> V:
        if not self.size:
            raise KeyError(key)
        return self.buckets[_bucket(key)][key]

    def __contains__(self, key: object) -> bool:
        return bool(self.size) and isinstance(key, str) and key in self.buckets[_bucket(key)]

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[str]:
        for b in self.buckets:
            yield from b

    def keys(self) -> Iterator[str]:
        return iter(self)

    def values(self) -> Iterator[V]:
        for b in self.buckets:
            yield from b.values()

    def items(self) -> Iterator[tuple[str, V]]:
        for b in self.buckets:
            yield from b.items()

    def set(self, key: str, value: V) -> HashedMap[V]:
        buckets = self.buckets or tuple(FrozenMap[str, V]() for _ in range(_WIDTH))
        i = _bucket(key)
        old = buckets[i]
        grown = key not in old
        new_buckets = (*buckets[:i], with_item(old, key, value), *buckets[i + 1:])
        return HashedMap(buckets=new_buckets, size=self.size + grown)

    def remove(self, key: str) -> HashedMap[V]:
        if key not in self:
            return self
        if self.size == 1:
            return HashedMap()
        i = _bucket(key)
        new_buckets = (*self.buckets[:i], without(self.buckets[i], key), *self.buckets[i + 1:])
        return HashedMap(buckets=new_buckets, size=self.size - 1)
