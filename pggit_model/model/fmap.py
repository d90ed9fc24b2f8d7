"""An immutable dict: the model's states share structure by copying small maps, never mutating them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(dict[K, V]):
    """A dict that refuses mutation; `set`/`drop`/`merge` return changed copies."""

    __slots__ = ()

    def _immutable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("FrozenMap is immutable; use .set(), .drop() or .merge() to get a changed copy")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _immutable
    __ior__ = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({dict.__repr__(self)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle rebuilds dicts item by item through __setitem__, which refuses; rebuild from a plain dict instead
        return (FrozenMap, (dict(self),))

    def set(self, key: K, value: V) -> FrozenMap[K, V]:
        new: FrozenMap[K, V] = FrozenMap(self)
        dict.__setitem__(new, key, value)
        return new

    def drop(self, *keys: K) -> FrozenMap[K, V]:
        new: FrozenMap[K, V] = FrozenMap(self)
        for k in keys:
            dict.pop(new, k, None)
        return new

    def merge(self, items: Iterable[tuple[K, V]] | dict[K, V]) -> FrozenMap[K, V]:
        new: FrozenMap[K, V] = FrozenMap(self)
        dict.update(new, items)
        return new


EMPTY: FrozenMap[Any, Any] = FrozenMap()
