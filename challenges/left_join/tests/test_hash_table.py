"""HashTable stores, finds and orders keys as a dict would, through collisions and growth."""

import pytest

from left_join import HashTable


def test_set_get_has_and_replace():
    table = HashTable()
    table.set("fond", "enamored")
    table.set("wrath", "anger")
    table.set("fond", "fervent")

    assert table.get("fond") == "fervent"
    assert table.get("wrath") == "anger"
    assert table.has("wrath")
    assert not table.has("guide")
    assert table.get("guide") is None
    assert table.get("guide", "absent") == "absent"
    assert len(table) == 2


def test_stored_none_is_told_apart_from_an_absent_key_by_has():
    table = HashTable()
    table.set("void", None)

    assert table.get("void") is None and table.get("ghost") is None
    assert table.has("void")
    assert not table.has("ghost")
    assert table["void"] is None
    with pytest.raises(KeyError):
        table["ghost"]


def test_keys_come_in_the_order_first_set_even_after_growth_and_replacement():
    table = HashTable(capacity=1)
    words = [f"word{i}" for i in range(50)]
    for word in words:
        table.set(word, word.upper())
    table.set("word0", "replaced")

    assert list(table.keys()) == words
    assert list(table) == words
    assert table.get("word0") == "replaced"


def test_grows_past_the_load_bound_and_keeps_every_entry():
    table = HashTable(capacity=1, max_load=0.75)
    assert table.bucket_count == 1
    for key in range(100):
        table.set(key, -key)
        assert len(table) <= 0.75 * table.bucket_count

    assert table.bucket_count == 256  # 100 / 128 passes 0.75, 100 / 256 does not
    assert sum(table.chain_lengths()) == 100
    assert all(table.get(key) == -key for key in range(100))


def test_colliding_keys_share_one_chain_and_are_all_found():
    # hash(k * 1024) is k * 1024: in any table of at most 1024 buckets they all land in bucket 0.
    keys = [k * 1024 for k in range(20)]
    table = HashTable(capacity=1)
    for key in keys:
        table.set(key, str(key))

    assert table.bucket_count == 32
    assert max(table.chain_lengths()) == 20
    assert [table.get(key) for key in keys] == [str(key) for key in keys]
    assert not table.has(20 * 1024)


class SameHash:
    """A key whose every instance hashes alike but which equals only itself by name."""

    def __init__(self, name):
        self.name = name

    def __hash__(self):
        return 7

    def __eq__(self, other):
        return isinstance(other, SameHash) and other.name == self.name


def test_equal_hashes_are_not_equal_keys():
    table = HashTable()
    table.set(SameHash("a"), 1)
    table.set(SameHash("b"), 2)
    table.set(SameHash("a"), 3)

    assert len(table) == 2
    assert table.get(SameHash("a")) == 3
    assert table.get(SameHash("b")) == 2
    assert not table.has(SameHash("c"))


def test_keys_equal_as_dict_keys_are_one_key():
    table = HashTable()
    table.set(1, "int")
    table.set(1.0, "float")
    table.set(True, "bool")

    assert len(table) == 1
    assert table.get(1) == "bool"
    assert list(table.keys()) == [1]


def test_a_key_unequal_to_itself_is_still_found_by_identity():
    nan = float("nan")
    table = HashTable()
    table.set(nan, "not a number")

    assert table.get(nan) == "not a number"
    assert table.has(nan)


def test_unhashable_key_raises_and_changes_nothing():
    table = HashTable()
    table.set("kept", 1)

    with pytest.raises(TypeError):
        table.set(["a", "list"], 2)
    with pytest.raises(TypeError):
        table.has({"a": "dict"})

    assert len(table) == 1
    assert list(table.items()) == [("kept", 1)]


def test_is_a_mapping_equal_to_the_dict_of_the_same_pairs():
    table = HashTable()
    table["a"] = 1
    table["b"] = None

    assert table == {"b": None, "a": 1}
    assert "b" in table and "c" not in table
    assert dict(table) == {"a": 1, "b": None}
    assert repr(table) == "HashTable({'a': 1, 'b': None})"


@pytest.mark.parametrize("capacity", [0, -3, 2.5, "8"])
def test_rejects_a_capacity_that_is_not_a_positive_integer(capacity):
    with pytest.raises(ValueError, match="capacity must be a positive integer"):
        HashTable(capacity=capacity)


@pytest.mark.parametrize("max_load", [0, -1, float("nan")])
def test_rejects_a_load_bound_that_is_not_above_zero(max_load):
    with pytest.raises(ValueError, match="max_load must be above 0"):
        HashTable(max_load=max_load)
