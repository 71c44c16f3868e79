"""The evaluator's pure core: rules over plain values, no database and no messaging."""

from .facts import DayCount, Evidence, FeedSeen, PageSeen, beijing_date
from .ruleset import NATIONAL_2019, RuleSet
from .verdict import OUTCOME_RANK, evaluate, failed_vetoes, verdict

__all__ = [
    "NATIONAL_2019",
    "OUTCOME_RANK",
    "DayCount",
    "Evidence",
    "FeedSeen",
    "PageSeen",
    "RuleSet",
    "beijing_date",
    "evaluate",
    "failed_vetoes",
    "verdict",
]
