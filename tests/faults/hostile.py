"""Malformed and hostile events, generated deterministically from one good event of a subject.

Pure: no NATS, no MongoDB. Every bad event says what its dead letter's reason must name, so a test can check that
the reason is about the defect and not a generic failure. The same seed gives the same events on every run.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shared.events import Event

HOLE = "__HOSTILE__"
QUOTED_HOLE = json.dumps(HOLE).encode()
# Huge payloads stay this far under the server's max_payload: the headers count against it too.
HEADROOM = 4096
# At most this many payloads near max_payload per subject; later "huge" ones are 64 KiB (the full run stays quick).
MOST_HUGE = 25


@dataclass(frozen=True)
class Bad:
    kind: str
    payload: bytes
    # What the dead letter's reason must contain (case-insensitive); "" when only "invalid message" is certain.
    says: str
    headers: dict[str, str] = field(default_factory=dict)
    # A reference the service does not know (yet): it waits (nak with backoff), then dead-letters after max_deliver.
    waits: bool = False


@dataclass(frozen=True)
class Subject:
    """A consumed subject, its durable consumer, and a good event to derive the bad ones from."""

    subject: str
    stream: str
    consumer: str
    good: Event
    # Dotted paths of ids the service looks up and waits for when unknown (unknown target ids): empty when it
    # does not (a projection stores what it is told; the prober probes what it is asked).
    refs: tuple[str, ...] = ()


Maker = Callable[[random.Random, dict[str, Any], "Context"], Bad]


@dataclass
class Context:
    subject: Subject
    max_payload: int
    huge_made: int = 0


def bad_events(subject: Subject, count: int, max_payload: int) -> list[Bad]:
    """``count`` bad events for the subject, cycling through every kind of defect."""
    rng = random.Random(f"{subject.subject}/{subject.consumer}")
    ctx = Context(subject, max_payload)
    makers = list(MAKERS)
    if subject.refs:
        makers.append(unknown_reference)
    template = subject.good.model_dump(mode="json")
    out = []
    for i in range(count):
        base = copy.deepcopy(template)
        base["event_id"] = f"{rng.getrandbits(128):032x}"  # each bad event is a different event, not a redelivery
        out.append(makers[i % len(makers)](rng, base, ctx))
    return out


# --- the kinds ---------------------------------------------------------------------------------------------------


def not_json(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    text = json.dumps(base).encode()
    choices: list[tuple[bytes, dict[str, str]]] = [
        (b"{not json", {}),
        (b"", {}),
        (text[: rng.randrange(1, len(text) - 1)], {}),  # cut short
        (b"<html><body>" + rng.randbytes(16).hex().encode() + b"</body></html>", {}),
        (text.replace(b'"', b"'"), {}),  # Python's repr, not JSON
        (b"{not json either", {"Content-Type": "application/json"}),  # lying about its type
    ]
    payload, headers = rng.choice(choices)
    return Bad("not JSON", payload, "not JSON", headers)


def wrong_shape(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    shapes: list[Any] = [[], [base], "event", 42, None, True, {}, {"data": base}, {"event": base, "v": 1}]
    return Bad("wrong shape", json.dumps(rng.choice(shapes)).encode(), "")


def wrong_type(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    path, value = rng.choice([(p, v) for p, v in leaves(base) if p[-1] != "event_type"])
    if isinstance(value, bool):
        wrong: list[Any] = ["maybe", [], {}, 7]
    elif isinstance(value, int | float):
        wrong = ["abc", [], {}, "1e999x"]
    elif isinstance(value, str):
        wrong = [[], {}, ["x"], {"$gt": ""}]
    elif isinstance(value, list):
        wrong = ["x", 5, {"k": 1}]
    elif isinstance(value, dict):
        wrong = ["x", 5, ["k"]]
    else:  # null: an optional model, date, number or string; a container is none of them (a string may be)
        wrong = [[1, 2], {"$ne": None}]
    put(base, path, rng.choice(wrong))
    return Bad("wrong type", json.dumps(base).encode(), "invalid field")


def unknown_version(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    base["schema_version"] = rng.choice([0, 2, 3, 99, -1, 2**31])
    return Bad("unknown schema version", json.dumps(base).encode(), "unknown schema version")


def missing_field(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    model = type(ctx.subject.good)
    required = [(name,) for name, f in model.model_fields.items() if f.is_required()]
    path = rng.choice(required)
    del base[path[0]]
    return Bad("missing required field", json.dumps(base).encode(), "field required")


def huge(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    near = ctx.huge_made < MOST_HUGE
    ctx.huge_made += 1
    size = ctx.max_payload - HEADROOM - rng.randrange(HEADROOM) if near else 64 * 1024
    which = rng.randrange(4)
    if which == 0:  # a good event with a field it does not have
        base["padding"] = HOLE
        text = json.dumps(base).encode()
        return Bad("huge", fill(text, b'"' + b"x" * (size - len(text)) + b'"'), "extra inputs")
    if which == 1:  # a good field grown past any sense
        base["correlation_id"] = HOLE
        text = json.dumps(base).encode()
        return Bad("huge", fill(text, b'"' + b"y" * (size - len(text)) + b'"'), "correlation_id")
    if which == 2:  # a long JSON array
        return Bad("huge", b"[" + b"1," * ((size - 3) // 2) + b"1]", "")
    return Bad("huge", rng.randbytes(size), "not UTF-8")


def deep(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    depth = rng.choice([64, 300, 5_000, 200_000])
    nested = b"[" * depth + b"]" * depth
    if rng.random() < 0.5:
        return Bad("deeply nested", nested, "nested too deeply" if depth > 1000 else "")
    base["padding"] = HOLE
    says = "nested too deeply" if depth > 1000 else "extra inputs"
    return Bad("deeply nested", fill(json.dumps(base).encode(), nested), says)


INVALID_UTF8 = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80", b"\xe2\x82"]


def invalid_utf8(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    path, _ = rng.choice([(p, v) for p, v in leaves(base) if isinstance(v, str)])
    put(base, path, HOLE)
    raw = b'"ok' + rng.choice(INVALID_UTF8) + b'ok"'
    return Bad("invalid UTF-8", fill(json.dumps(base).encode(), raw), "not UTF-8")


OPERATORS: list[Any] = [{"$gt": ""}, {"$ne": None}, {"$regex": ".*"}, ["$ne"], {"$where": "sleep(1000)"}]


def operator_id(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    ids = [p for p, v in leaves(base) if p[-1].endswith("_id") and isinstance(v, str)]
    put(base, rng.choice(ids), rng.choice(OPERATORS))
    return Bad("MongoDB operator as id", json.dumps(base).encode(), "invalid field")


DATETIMES = [
    ("9999-12-31T23:59:59-14:00", "outside the dates"),
    ("0001-01-01T00:00:00+14:00", "outside the dates"),
    ("10000-01-01T00:00:00Z", "invalid field"),
    ("2022-02-30T10:00:00+08:00", "invalid field"),
    ("2022-09-29T10:00:00", "invalid field"),  # no offset: an instant nobody can place
    ("2022-09-29T25:00:00Z", "invalid field"),
    ("-0001-01-01T00:00:00Z", "invalid field"),
]
DATES = [("0000-01-01", "invalid field"), ("2022-13-01", "invalid field"), ("99999-01-01", "invalid field")]


def date_out_of_range(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    stamps = [p for p, v in leaves(base) if isinstance(v, str) and is_stamp(v)]
    path = rng.choice(stamps)
    value, says = rng.choice(DATETIMES if "T" in str(get(base, path)) else DATES)
    put(base, path, value)
    return Bad("date out of range", json.dumps(base).encode(), says)


REFERENCES = ["$ne", ".*", "../../etc/passwd", "a.b$c", '{"$gt": ""}', "unknown-target"]


def unknown_reference(rng: random.Random, base: dict[str, Any], ctx: Context) -> Bad:
    made = [f"{rng.choice(REFERENCES)}-{rng.randrange(10**6)}" for _ in ctx.subject.refs]
    for ref, value in zip(ctx.subject.refs, made, strict=True):
        put(base, tuple(ref.split(".")), value)
    # The service looks the first reference up first: the reason names it.
    return Bad("unknown target id", json.dumps(base).encode(), made[0], waits=True)


MAKERS: tuple[Maker, ...] = (
    not_json,
    wrong_shape,
    wrong_type,
    unknown_version,
    missing_field,
    huge,
    deep,
    invalid_utf8,
    operator_id,
    date_out_of_range,
)


# --- JSON paths --------------------------------------------------------------------------------------------------


def leaves(doc: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every scalar, empty container and null of a JSON document, with its path."""
    if isinstance(doc, dict) and doc:
        for key, value in doc.items():
            yield from leaves(value, (*path, key))
    elif isinstance(doc, list) and doc:
        for i, value in enumerate(doc):
            yield from leaves(value, (*path, str(i)))
    elif path:
        yield path, doc


def get(doc: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def put(doc: Any, path: tuple[str, ...], value: Any) -> None:
    parent = get(doc, path[:-1])
    if isinstance(parent, list):
        parent[int(path[-1])] = value
    else:
        parent[path[-1]] = value


def fill(text: bytes, raw: bytes) -> bytes:
    """Put raw bytes where the placeholder string was: what json.dumps cannot write (bad bytes, deep nesting)."""
    return text.replace(QUOTED_HOLE, raw, 1)


def is_stamp(value: str) -> bool:
    return len(value) >= 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit() and value[5:7].isdigit()
