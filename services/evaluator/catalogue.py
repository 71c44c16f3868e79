"""The rule set catalogue: the shipped rule sets stored at start-up, local ones submitted over HTTP.

Every version is stored once and never changes (``EvaluatorRepository.save_rule_set``). A submitted rule set must
extend a stored one and may only tighten it; national rule sets come only with the code
(``services/evaluator/rulesets/``), so that loosening a national rule takes a code review, not an HTTP request.
"""

from __future__ import annotations

from shared.clock import Clock
from shared.logging import get_logger

from .repository import EvaluatorRepository, RuleSetConflict, StoredRuleSet
from .rules.loading import Problem, RuleSetError, build, builtin_rule_sets, parse
from .rules.ruleset import RuleSet

log = get_logger(__name__)

BUILTIN_AUTHOR = "built-in"  # stored_by of the shipped rule sets
SUBMITTED = "提交的规则集"  # how messages name a submitted file


class RuleSetCatalogue:
    def __init__(self, repo: EvaluatorRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock
        self._pinned: dict[str, RuleSet] = {}

    async def store_builtins(self) -> list[str]:
        """Store every shipped rule set (idempotent); a shipped file changed without a new version stops start-up."""
        refs: list[str] = []
        for builtin in builtin_rule_sets():
            record = StoredRuleSet.of(builtin.rule_set, builtin.text, BUILTIN_AUTHOR, self._clock.now())
            try:
                created = await self._repo.save_rule_set(record)
            except RuleSetConflict as exc:
                raise RuntimeError(
                    f"{builtin.source}: {record.ref} is stored with other rules; a changed rule set needs a new version"
                ) from exc
            log.info("rule_set.builtin", rule_set=record.ref, created=created)
            refs.append(record.ref)
        return refs

    async def submit(self, text: str, stored_by: str, source: str = SUBMITTED) -> tuple[StoredRuleSet, bool]:
        """Validate and store a local rule set; True when stored now, False when already stored identically.

        Raises ``RuleSetError`` (invalid, loosening, or not a local set) and ``RuleSetConflict`` (the id@version is
        stored with other rules).
        """
        parsed = parse(text, source)
        if parsed.extends is None:
            message = "通过接口提交的规则集须用 extends 指明所依据的规则集（如 national-2019）；国家规则集随程序发布"
            raise RuleSetError(source, [Problem("extends", message)])
        rule_set_id = parsed.document.get("id")
        existing = await self._repo.rule_set(rule_set_id) if isinstance(rule_set_id, str) else None
        if existing is not None and existing.extends is None:
            message = f"「{rule_set_id}」是随程序发布的国家规则集，不能通过接口提交"
            raise RuleSetError(source, [Problem("id", message)])
        base_id, _, version = parsed.extends.partition("@")
        base = await self._repo.rule_set(base_id, int(version) if version.isdigit() else None)
        rule_set = build(parsed, base.rule_set() if base is not None and (version.isdigit() or not version) else None)
        record = StoredRuleSet.of(rule_set, text, stored_by, self._clock.now())
        created = await self._repo.save_rule_set(record)
        log.info("rule_set.submitted", rule_set=record.ref, created=created, stored_by=stored_by)
        return (record if created else await self._stored(record)), created

    async def _stored(self, record: StoredRuleSet) -> StoredRuleSet:
        stored = await self._repo.rule_set(record.id, record.version)
        return stored if stored is not None else record

    async def rule_set(self, ref: str) -> RuleSet | None:
        """The rules a period names: ``id@version`` exactly (immutable, so kept once read), or ``id``'s latest."""
        if ref in self._pinned:
            return self._pinned[ref]
        rule_set_id, _, version = ref.partition("@")
        stored = await self._repo.rule_set(rule_set_id, int(version) if version.isdigit() else None)
        if stored is None:
            return None
        rules = stored.rule_set()
        if version:
            self._pinned[ref] = rules
        return rules

    async def get(self, rule_set_id: str, version: int | None = None) -> StoredRuleSet | None:
        return await self._repo.rule_set(rule_set_id, version)

    async def all(self) -> list[StoredRuleSet]:
        return await self._repo.rule_sets()
