"""A hash table with separate chaining, written out because the challenge is about hash maps."""

from collections.abc import Hashable, Iterator, KeysView, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Entry:
    """One key-value pair; the key's hash is kept so growth never hashes a key twice."""

    __slots__ = ("hash", "key", "value")

    def __init__(self, hash_: int, key: Hashable, value: object) -> None:
        self.hash = hash_
        self.key = key
        self.value = value


class HashTable(Mapping[K, V]):
    """Maps hashable keys to values: each bucket is a chain (a list) of the entries hashed to it.

    Key order: `keys()`, iteration and `items()` give keys in the order they were first set, as
    a dict does; setting a key again changes its value, not its place. Each entry sits both in
    its bucket's chain and in that ordered list, so the order costs no lookup time.

    Growth: when a `set` leaves more than `max_load` entries per bucket, the buckets double and
    every entry moves to its new chain, which keeps chains short and lookups O(1) on average.

    Keys are equal as dict keys are (`1`, `1.0` and `True` are one key); an unhashable key raises
    TypeError before anything changes. Being a Mapping, the table also answers `in`, `[]`,
    `len()` and `==` against any other mapping. There is no delete: the challenge needs none.
    """

    def __init__(self, capacity: int = 8, max_load: float = 0.75) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be a positive integer, not {capacity!r}")
        if not max_load > 0:  # written so that NaN fails too
            raise ValueError(f"max_load must be above 0, not {max_load!r}")
        self._buckets: list[list[_Entry]] = [[] for _ in range(capacity)]
        self._ordered: list[_Entry] = []
        self._max_load = max_load

    def set(self, key: K, value: V) -> None:
        """Store `value` under `key`, replacing the value already there."""
        hash_ = hash(key)
        entry = self._find(hash_, key)
        if entry is not None:
            entry.value = value
            return
        entry = _Entry(hash_, key, value)
        self._buckets[hash_ % len(self._buckets)].append(entry)
        self._ordered.append(entry)
        if len(self._ordered) > self._max_load * len(self._buckets):
            self._grow()

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value stored under `key`, or `default` when the key is absent.

        A stored None and an absent key both give None here; `has` tells them apart.
        """
        entry = self._find(hash(key), key)
        return default if entry is None else entry.value

    def has(self, key: K) -> bool:
        """Whether `key` was set, whatever its value (None included)."""
        return self._find(hash(key), key) is not None

    def keys(self) -> KeysView[K]:
        """The keys in the order they were first set."""
        return KeysView(self)

    @property
    def bucket_count(self) -> int:
        return len(self._buckets)

    def chain_lengths(self) -> list[int]:
        """How many entries each bucket holds: shows collisions and the effect of growth."""
        return [len(chain) for chain in self._buckets]

    def _find(self, hash_: int, key: K) -> _Entry | None:
        for entry in self._buckets[hash_ % len(self._buckets)]:
            # Identity first, as dict does: a key such as float("nan") is not equal to itself.
            if entry.hash == hash_ and (entry.key is key or entry.key == key):
                return entry
        return None

    def _grow(self) -> None:
        self._buckets = [[] for _ in range(2 * len(self._buckets))]
        for entry in self._ordered:
            self._buckets[entry.hash % len(self._buckets)].append(entry)

    def __getitem__(self, key: K) -> V:
        entry = self._find(hash(key), key)
        if entry is None:
            raise KeyError(key)
        return entry.value

    def __setitem__(self, key: K, value: V) -> None:
        self.set(key, value)

    def __contains__(self, key: object) -> bool:
        return self.has(key)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[K]:
        return (entry.key for entry in self._ordered)

    def __len__(self) -> int:
        return len(self._ordered)

    def __repr__(self) -> str:
        pairs = ", ".join(f"{entry.key!r}: {entry.value!r}" for entry in self._ordered)
        return f"HashTable({{{pairs}}})"
