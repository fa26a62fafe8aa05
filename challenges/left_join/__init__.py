"""The LEFT JOIN code challenge: a chained hash table and `left_join` over any two mappings."""

from left_join.hash_table import HashTable
from left_join.join import left_join

__all__ = ["HashTable", "left_join"]
