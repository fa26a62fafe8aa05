"""LEFT JOIN of two hash maps: every key of the left one, with the right one's value or a gap."""

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
W = TypeVar("W")
M = TypeVar("M")


def left_join(
    left: Mapping[K, V], right: Mapping[K, W], missing: M = None
) -> list[tuple[K, V, W | M]]:
    """Rows `(key, left value, right value)` for every key of `left`, in `left`'s key order.

    A key that `right` lacks gets `missing` (None, the challenge's null) as its right value; keys
    found only in `right` are left out. `left` and `right` may each be a `HashTable` or any other
    Mapping (dict, OrderedDict, MappingProxyType, ...); neither is changed, so a defaultdict on
    the right gains no keys.

    A None stored in `right` also comes back as None. To tell it from a missing key, check
    `right.has(key)` (or `key in right`), or pass a `missing` sentinel of your own.

    Time O(n) expected for n keys in `left`: one pass over it and one hashed lookup per key;
    `right` is never walked. Space O(n) for the rows.
    """
    for name, table in (("left", left), ("right", right)):
        if not isinstance(table, Mapping):
            kind = type(table).__name__
            raise TypeError(f"{name} must be a mapping such as HashTable or dict, not {kind}")
    return [(key, value, right.get(key, missing)) for key, value in left.items()]
