"""The evaluator's pure core: rules over plain values, no database and no messaging."""

from .facts import ColumnState, DayCount, Evidence, FeedSeen, PageSeen, Seen, beijing_date
from .ruleset import NATIONAL_2019, RuleSet
from .verdict import OUTCOME_RANK, RULE_NAMES, Judgement, evaluate, failed_vetoes, judge, verdict
from .warnings import EarlyWarning

__all__ = [
    "NATIONAL_2019",
    "OUTCOME_RANK",
    "RULE_NAMES",
    "ColumnState",
    "DayCount",
    "EarlyWarning",
    "Evidence",
    "FeedSeen",
    "Judgement",
    "PageSeen",
    "RuleSet",
    "Seen",
    "beijing_date",
    "evaluate",
    "failed_vetoes",
    "judge",
    "verdict",
]
