"""Copy-on-write maps: what a fork of the KB index shares with the index searches are using."""

import random

import pytest

from deskpilot.ml.copy_on_write import CopyOnWriteMap, overlay_limit


def test_a_change_on_a_fork_never_shows_in_the_original_nor_the_other_way() -> None:
    original = CopyOnWriteMap({f"k{i}": i for i in range(100)})
    fork = original.fork()
    fork["k1"] = -1
    del fork["k2"]
    fork["new"] = 7
    original["k3"] = -3
    assert (original["k1"], "k2" in original, "new" in original) == (1, True, False)
    assert (fork["k1"], "k2" in fork, fork["new"], fork["k3"]) == (-1, False, 7, 3)
    assert (len(original), len(fork)) == (100, 100)
    assert fork.values_of(["k1", "new", "k3"]) == [-1, 7, 3] and original.values_of(["k1", "k2"]) == [1, 2]
    with pytest.raises(KeyError):
        fork.values_of(["k1", "k2"])


def test_a_second_fork_does_not_overwrite_the_first() -> None:
    original = CopyOnWriteMap({"a": 1})
    first, second = original.fork(), original.fork()
    first["b"] = 2
    second["b"] = 3
    del second["a"]
    assert dict(first) == {"a": 1, "b": 2}
    assert dict(second) == {"b": 3}
    assert dict(original) == {"a": 1}


def test_forks_behave_like_dictionaries_through_many_changes_and_folds() -> None:
    rng = random.Random(7)
    maps = [CopyOnWriteMap({i: i for i in range(2000)})]
    references = [{i: i for i in range(2000)}]
    changes = 3 * overlay_limit(2000)  # enough to fold the changes into a new base several times
    for step in range(changes):
        if step % 500 == 0:  # fork the newest, as the KB index holder does, and keep the old ones readable
            maps.append(maps[-1].fork())
            references.append(dict(references[-1]))
        key = rng.randrange(3000)
        if rng.random() < 0.3:
            maps[-1].pop(key, None)
            references[-1].pop(key, None)
        else:
            maps[-1][key] = step
            references[-1][key] = step
    for cow, reference in zip(maps, references, strict=True):
        assert dict(cow) == reference
        assert len(cow) == len(reference)
        assert list(cow) == [key for key, _ in cow.items()]
        assert list(cow.values()) == [reference[key] for key in cow]
