"""Plain values for the reporter's tests: a Lincang-like city as the 2022 Q3 notice describes it."""

from __future__ import annotations

from datetime import date, datetime

from services.reporter.profile import NoticeProfile
from services.reporter.stats import CaseRecord
from shared.clock import CHINA_TZ
from shared.events import IndicatorResult, IndicatorStatus, Outcome, Period, Target, Unit, Verdict

COUNTIES = ("临沧市", "临翔区", "凤庆县", "云县", "永德县", "镇康县", "双江自治县", "耿马自治县", "沧源自治县")
EARLY = date(2020, 1, 1)

Q3 = Period(
    period_id="2022Q3",
    window_start=datetime(2022, 7, 1, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 9, 29, 18, 0, tzinfo=CHINA_TZ),
    mode="census",
)
Q2 = Period(
    period_id="2022Q2",
    window_start=datetime(2022, 4, 1, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 6, 29, 18, 0, tzinfo=CHINA_TZ),
    mode="census",
)


def county_units() -> list[Unit]:
    """One government per county, in administrative order (given here out of order on purpose)."""
    units = [Unit(unit_id=f"u{i}", name=f"{c}人民政府", county=c, order=i) for i, c in enumerate(COUNTIES)]
    return list(reversed(units))


def unit_of(county: str) -> str:
    return f"u{COUNTIES.index(county)}"


def website(target_id: str, name: str, county: str, **fields: object) -> Target:
    values: dict[str, object] = {"registered_on": EARLY} | fields
    return Target.model_validate(
        {
            "target_id": target_id,
            "type": "website",
            "name": name,
            "url": f"/sites/{target_id}/",
            "unit_id": unit_of(county),
            "county": county,
        }
        | values
    )


def column(target_id: str, name: str, site_id: str, county: str = "临沧市", **fields: object) -> Target:
    values: dict[str, object] = {"registered_on": EARLY, "column_type": "信息公开专栏"} | fields
    return Target.model_validate(
        {
            "target_id": target_id,
            "type": "column",
            "name": name,
            "url": f"/sites/{site_id}/{target_id}/",
            "unit_id": unit_of(county),
            "county": county,
            "site_id": site_id,
        }
        | values
    )


def account(target_id: str, name: str, county: str, platform: str = "微信公众号", **fields: object) -> Target:
    values: dict[str, object] = {"registered_on": EARLY} | fields
    return Target.model_validate(
        {
            "target_id": target_id,
            "type": "account",
            "name": name,
            "url": f"/feeds/{target_id}.xml",
            "unit_id": unit_of(county),
            "county": county,
            "platform": platform,
        }
        | values
    )


def verdict(
    target: Target,
    outcome: Outcome,
    failures: tuple[tuple[str, str], ...] = (),
    revision: int = 1,
    period: Period = Q3,
) -> Verdict:
    indicators = [
        IndicatorResult(indicator_id=i, name=label, status=IndicatorStatus.failed, label=label) for i, label in failures
    ]
    return Verdict(
        target_id=target.target_id,
        target_type=target.type,
        unit_id=target.unit_id,
        period_id=period.period_id,
        outcome=outcome,
        indicators=indicators,
        as_of=period.monitoring_point,
        revision=revision,
    )


def unqualified(target: Target, *failures: tuple[str, str], revision: int = 1) -> Verdict:
    return verdict(target, Outcome.unqualified, failures, revision)


def qualified(target: Target, revision: int = 1) -> Verdict:
    return verdict(target, Outcome.qualified, (), revision)


STALE = ("N-V2", "内容长期不更新")
ZOMBIE = ("N-V2", "未及时注销")
MESSAGES = ("W-V5", "留言未及时办理")


class Seed:
    """The city the seed notice describes: 9 websites (1 unqualified), 39 columns, 251 accounts (4 unqualified)."""

    def __init__(self) -> None:
        self.units = county_units()
        self.websites = [website("w-zk", "镇康县人民政府", "镇康县")] + [
            website(f"w{i}", f"{c}人民政府", c) for i, c in enumerate(COUNTIES) if c != "镇康县"
        ]
        self.columns = [column(f"c{i:02d}", f"市直部门{i:02d}信息公开专栏", "w0") for i in range(39)]
        self.failing_accounts = [
            account("a-cy-hr", "沧源县人社局", "沧源自治县"),
            account("a-zk-sf", "镇康司法行政", "镇康县"),
            account("a-yx-jt", "云县教育体育局", "云县"),
            account("a-cy-mj", "世界佤乡秘境沧源", "沧源自治县"),
        ]
        new = [account(f"n{i}", f"新账号{i}", COUNTIES[i % 9], registered_on=date(2022, 8, 1)) for i in range(9)]
        old = [account(f"a{i:03d}", f"账号{i:03d}", COUNTIES[i % 9], platform="微博") for i in range(238)]
        self.accounts = self.failing_accounts + new + old
        failures = {"a-cy-hr": ZOMBIE}
        self.verdicts = [unqualified(self.websites[0], MESSAGES)]
        self.verdicts += [qualified(t) for t in self.websites[1:] + self.columns]
        self.verdicts += [
            unqualified(t, failures.get(t.target_id, STALE)) if t in self.failing_accounts else qualified(t)
            for t in self.accounts
        ]
        self.cases = [
            CaseRecord(
                case_id=f"k-{t.target_id}", target_id=t.target_id, period_id="2022Q2", opened=True, resolved=True
            )
            for t in [self.websites[1], *self.columns[:5], *self.accounts[10:13]]
        ]

    @property
    def targets(self) -> list[Target]:
        return self.websites + self.columns + self.accounts


def lincang_profile(**changes: object) -> NoticeProfile:
    values: dict[str, object] = {
        "document_number": "临政办字〔2022〕111号",
        "issuer": "临沧市人民政府办公室",
        "city": "临沧市",
        "province": "云南省",
        "recipients": ["各县、自治县、区人民政府", "市直各委、办、局"],
        "cc": ["市委各部门", "市人大常委会办公室", "市政协办公室", "市监委", "市法院", "市检察院"],
        "issue_date": date(2022, 10, 7),
        "deadline": date(2022, 10, 14),
    }
    return NoticeProfile.model_validate(values | changes)
