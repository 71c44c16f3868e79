"""One observer per check kind: how the prober turns a probe request into facts.

An observer gets the request and a fetcher, fetches what it needs (one page, a feed, a crawl) and returns the entry
page's fetch result (its status, error, timings and body become the observation's) with the facts of its kind.
"""

from __future__ import annotations

from shared.events import CheckKind

from .base import Context, Observed, Observer
from .basics import observe_site_basics
from .content import observe_content
from .guides import observe_service_guides
from .interaction import observe_interaction
from .links import observe_links
from .pages import observe_availability, observe_columns, observe_homepage, observe_newmedia

OBSERVERS: dict[CheckKind, Observer] = {
    CheckKind.availability: observe_availability,
    CheckKind.homepage: observe_homepage,
    CheckKind.columns: observe_columns,
    CheckKind.newmedia: observe_newmedia,
    CheckKind.site_basics: observe_site_basics,
    CheckKind.interaction: observe_interaction,
    CheckKind.service_guides: observe_service_guides,
    CheckKind.content: observe_content,
    CheckKind.links: observe_links,
}

__all__ = ["OBSERVERS", "Context", "Observed", "Observer"]
