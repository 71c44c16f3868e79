"""A read held under its version: served again while the version stands, read again as soon as it moves."""

from __future__ import annotations

from shared.versioned import Versioned


class Store:
    """A projection and its counter, as a repository keeps them; counts the reads."""

    def __init__(self) -> None:
        self.data = ["a"]
        self.counter = 0
        self.reads = 0
        self.during_read: list[str] | None = None  # a write that lands while the data is being read

    async def version(self) -> int:
        return self.counter

    async def load(self) -> list[str]:
        self.reads += 1
        found = list(self.data)
        if self.during_read is not None:
            self.data, self.during_read = self.during_read, None
            self.counter += 1
        return found

    def write(self, data: list[str]) -> None:
        self.data = data
        self.counter += 1


async def test_a_read_is_served_again_while_its_version_stands() -> None:
    store, held = Store(), Versioned[str, list[str]]()
    first = await held.get("k", store.version, store.load)
    again = await held.get("k", store.version, store.load)
    assert first == again == ["a"] and store.reads == 1


async def test_a_write_makes_the_next_get_read_again() -> None:
    store, held = Store(), Versioned[str, list[str]]()
    await held.get("k", store.version, store.load)
    store.write(["a", "b"])
    assert await held.get("k", store.version, store.load) == ["a", "b"]
    assert store.reads == 2


async def test_a_write_during_a_read_is_not_hidden_by_what_that_read_returned() -> None:
    store, held = Store(), Versioned[str, list[str]]()
    store.during_read = ["new"]
    assert await held.get("k", store.version, store.load) == ["a"]  # read before the write landed
    assert await held.get("k", store.version, store.load) == ["new"]  # the version moved: read again


async def test_keys_are_held_apart() -> None:
    one, two, held = Store(), Store(), Versioned[str, list[str]]()
    two.data = ["z"]
    assert await held.get("one", one.version, one.load) == ["a"]
    assert await held.get("two", two.version, two.load) == ["z"]
    assert await held.get("one", one.version, one.load) == ["a"] and one.reads == 1
