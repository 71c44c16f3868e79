"""Rule sets: every indicator's rule as data, in one versioned value (``national-2019@1``).

The national rule set is the YAML file ``services/evaluator/rulesets/national-2019.yaml``; ``NATIONAL_2019`` is that
file's value. A city tightens a threshold without a code change by a local rule set that extends it: see
``loading`` (YAML, ``extends``) and ``tightening`` (what a local set may change).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.events import RULE_SET_REF

from .specs import (
    AvailabilityRule,
    ClosureRule,
    ColumnRule,
    ContentRule,
    InteractionRule,
    NewMediaInteractionRule,
    ScoringRule,
    ServiceRule,
    SiteColumnsRule,
    StalenessRule,
    WarningRules,
)

# Where the built-in rule sets live (stored in MongoDB at the evaluator's start-up).
BUILTIN_DIR = Path(__file__).resolve().parents[1] / "rulesets"
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"  # used in URLs and in a verdict's "id@version"
REF_PATTERN = RULE_SET_REF  # an id, or one version of it


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1, description="a stored id@version never changes; a change is a new version")
    title: str = Field(min_length=1)
    extends: str | None = Field(
        default=None,
        pattern=REF_PATTERN,
        description="the rule set this one tightens: an id (its latest) or id@version",
    )
    description: str = ""
    availability: AvailabilityRule
    homepage: StalenessRule
    column: ColumnRule
    newmedia: StalenessRule
    content: ContentRule
    newmedia_content: ContentRule
    site_columns: SiteColumnsRule
    interaction: InteractionRule
    services: ServiceRule
    newmedia_interaction: NewMediaInteractionRule
    closure: ClosureRule
    scoring: ScoringRule
    warnings: WarningRules

    @property
    def ref(self) -> str:
        """What a verdict records: ``national-2019@1``."""
        return f"{self.id}@{self.version}"


# The fields that describe a rule set rather than its rules; they are never inherited through ``extends``.
META_FIELDS = ("id", "version", "title", "extends", "description")


def _builtin(name: str) -> RuleSet:
    # Read once at import: the file is part of the code; tests/evaluator/test_rulesets.py checks its every value.
    return RuleSet.model_validate(yaml.safe_load((BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8")))


NATIONAL_2019 = _builtin("national-2019")
