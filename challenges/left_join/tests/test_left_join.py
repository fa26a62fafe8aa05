"""left_join keeps every left key, in order, with the right value or None, for any mapping."""

import ast
import re
from collections import OrderedDict, defaultdict
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from left_join import HashTable, left_join

SYNONYMS = {
    "diligent": "employed",
    "fond": "enamored",
    "guide": "usher",
    "outfit": "garb",
    "wrath": "anger",
}
ANTONYMS = {
    "diligent": "idle",
    "fond": "averse",
    "guide": "follow",
    "flow": "jam",
    "wrath": "delight",
}


def table_of(pairs, capacity=8):
    table = HashTable(capacity=capacity)
    for key, value in pairs.items():
        table.set(key, value)
    return table


@pytest.mark.parametrize(
    "make_left, make_right",
    [(dict, dict), (table_of, table_of), (table_of, dict), (dict, table_of)],
    ids=["dicts", "tables", "table-dict", "dict-table"],
)
def test_the_lab_example(make_left, make_right):
    rows = left_join(make_left(SYNONYMS), make_right(ANTONYMS))

    assert rows == [
        ("diligent", "employed", "idle"),
        ("fond", "enamored", "averse"),
        ("guide", "usher", "follow"),
        ("outfit", "garb", None),
        ("wrath", "anger", "delight"),
    ]


def test_the_readme_example_gives_the_rows_it_shows():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.DOTALL).group(1)
    setup, call, shown = example.partition("left_join(synonyms, antonyms)\n")
    namespace = {}
    exec(setup, namespace)

    assert call
    assert eval(call, namespace) == ast.literal_eval(shown.replace("#", ""))


def test_a_key_only_on_the_right_is_not_returned():
    rows = left_join(table_of(SYNONYMS), table_of(ANTONYMS))

    assert "flow" not in [key for key, _, _ in rows]


def test_empty_left_gives_no_rows():
    assert left_join(HashTable(), table_of(ANTONYMS)) == []
    assert left_join({}, ANTONYMS) == []


def test_empty_right_gives_every_left_key_with_none():
    expected = [(key, synonym, None) for key, synonym in SYNONYMS.items()]

    assert left_join(table_of(SYNONYMS), HashTable()) == expected
    assert left_join(SYNONYMS, {}) == expected


def test_none_stored_on_the_right_is_a_value_has_tells_from_a_missing_key():
    right = table_of({"fond": None, "wrath": "delight"})

    rows = left_join(table_of(SYNONYMS), right)

    assert ("fond", "enamored", None) in rows
    assert ("outfit", "garb", None) in rows
    assert right.has("fond") and not right.has("outfit")


def test_a_missing_sentinel_tells_a_stored_none_from_a_missing_key_in_the_rows():
    missing = object()
    right = {"fond": None, "wrath": "delight"}

    rows = dict((key, antonym) for key, _, antonym in left_join(SYNONYMS, right, missing))

    assert rows["fond"] is None
    assert rows["outfit"] is missing
    assert rows["wrath"] == "delight"


def test_non_string_keys():
    left = HashTable()
    for key, value in [(1, "one"), (2.5, "two and a half"), ((3, "x"), "tuple"), (None, "none")]:
        left.set(key, value)
    left.set(True, "true")  # True == 1, so as in a dict this replaces the value of key 1
    right = {1.0: "float one", (3, "x"): "same tuple", None: "none on the right"}

    assert left_join(left, right) == [
        (1, "true", "float one"),
        (2.5, "two and a half", None),
        ((3, "x"), "tuple", "same tuple"),
        (None, "none", "none on the right"),
    ]


def test_collisions_in_tiny_tables_on_both_sides():
    # Multiples of 1024 share bucket 0 at every size these tables reach, and growth still happens.
    left = HashTable(capacity=1)
    right = HashTable(capacity=1)
    for k in range(40):
        left.set(k * 1024, f"left {k}")
        if k % 3 == 0:
            right.set(k * 1024, f"right {k}")
    right.set(99 * 1024, "right only")

    assert max(left.chain_lengths()) == 40 and left.bucket_count > 1
    assert left_join(left, right) == [
        (k * 1024, f"left {k}", f"right {k}" if k % 3 == 0 else None) for k in range(40)
    ]


def test_the_left_key_order_is_kept_whatever_the_right_order():
    left = OrderedDict((word, word.upper()) for word in ["zeta", "alpha", "mu"])
    right = MappingProxyType({"mu": 1, "zeta": 2})

    rows = left_join(left, right)

    assert rows == [("zeta", "ZETA", 2), ("alpha", "ALPHA", None), ("mu", "MU", 1)]


def test_neither_map_is_changed():
    left = table_of(SYNONYMS)
    right = defaultdict(lambda: "invented", ANTONYMS)

    rows = left_join(left, right)

    assert ("outfit", "garb", None) in rows
    assert "outfit" not in right
    assert dict(right) == ANTONYMS and dict(left) == SYNONYMS


@pytest.mark.parametrize("bad", [None, [("fond", "averse")], "fond"])
def test_a_non_mapping_is_refused_with_a_clear_error(bad):
    with pytest.raises(TypeError, match="right must be a mapping"):
        left_join(SYNONYMS, bad)
    with pytest.raises(TypeError, match="left must be a mapping"):
        left_join(bad, SYNONYMS)


def reference_left_join(left, right):
    """The join as its definition reads, with no hashing: scan the right map for each left key."""
    rows = []
    for key, value in left.items():
        matches = [antonym for other, antonym in right.items() if other == key]
        rows.append((key, value, matches[0] if matches else None))
    return rows


KEYS = st.one_of(st.integers(-50, 50), st.text(max_size=3), st.tuples(st.booleans(), st.integers()))
VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=5))


# deadline=None: the 2-core machine is shared, and a slow example is not a wrong one.
@settings(max_examples=300, deadline=None)
@given(
    left=st.dictionaries(KEYS, VALUES, max_size=40),
    right=st.dictionaries(KEYS, VALUES, max_size=40),
    capacity=st.integers(1, 16),
)
def test_matches_a_dict_reference_for_random_maps(left, right, capacity):
    expected = reference_left_join(left, right)
    right_table = table_of(right, capacity)

    assert left_join(table_of(left, capacity), right_table) == expected
    assert left_join(left, right) == expected
    # Where a row holds None, `has` says whether the right map stored it or lacks the key.
    assert [right_table.has(key) for key in left] == [key in right for key in left]
