"""One observer per check kind: how the prober turns a probe request into facts.

An observer gets the request and a fetcher, fetches what it needs (one page, a feed, a crawl) and returns the entry
page's fetch result (its status, error, timings and body become the observation's) with the facts of its kind.
"""

from __future__ import annotations

from shared.events import CheckKind

from .base import Context, Observed, Observer
from .pages import observe_availability, observe_columns, observe_homepage, observe_newmedia

OBSERVERS: dict[CheckKind, Observer] = {
    CheckKind.availability: observe_availability,
    CheckKind.homepage: observe_homepage,
    CheckKind.columns: observe_columns,
    CheckKind.newmedia: observe_newmedia,
}

__all__ = ["OBSERVERS", "Context", "Observed", "Observer"]
