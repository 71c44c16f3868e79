"""Export then import gives back the same inventory, for the example prefecture and for generated inventories."""

from __future__ import annotations

import importlib.util
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.registry.tabular import export_csv, export_csv_zip, export_xlsx, parse_import
from services.registry.tabular.cells import credit_code_check
from shared.clock import CHINA_TZ
from shared.events import RULES, Contact, Inventory, Period, Target, TargetStatus, TargetType, Unit, UnitLevel
from shared.sampling import SampleRule, Sampling

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TEXT = st.text(
    alphabet="云岭市翠湖区松溪县人民政府办公室教育体育局信息公开通知公告（）·-ABCxyz0123", min_size=1, max_size=12
)
OPTIONAL_TEXT = st.one_of(st.just(""), TEXT)
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
CODES = ["", *(body + credit_code_check(body) for body in ("11530010000100000", "12530300MB0123456"))]
SITE_STATUSES = [TargetStatus.running, TargetStatus.suspended, TargetStatus.migrated, TargetStatus.closed]
ACCOUNT_STATUSES = [TargetStatus.running, TargetStatus.closure_announced, TargetStatus.closed]
PROFILES = st.dictionaries(
    st.sampled_from(["list", "date", "title"]), st.sampled_from(["ul li", "span.d", "a"]), max_size=2
)

SAMPLE_RULES = st.one_of(
    st.builds(
        SampleRule,
        types=st.lists(
            st.sampled_from(["website", "column", "message_board", "service_guide"]),
            min_size=1,
            max_size=2,
            unique=True,
        ),
        group_by=st.sampled_from([[], ["county"]]),
        per_group=st.integers(1, 50),
    ),
    st.builds(
        SampleRule,
        types=st.just(["account"]),
        group_by=st.sampled_from([[], ["county"], ["platform"], ["county", "platform"]]),
        ratio=st.integers(1, 1000).map(lambda permille: permille / 1000),
    ),
)
SAMPLINGS = st.builds(
    Sampling,
    seed=st.text(alphabet="2022Q3抽查种子-ab", min_size=1, max_size=10),
    rules=st.lists(SAMPLE_RULES, min_size=1, max_size=2, unique_by=lambda r: tuple(r.types)).filter(
        lambda rules: len({t for r in rules for t in r.types}) == sum(len(r.types) for r in rules)
    ),
)

# None: every rule; []: none; else some rules in any order, each once
SCOPES = st.one_of(st.none(), st.lists(st.sampled_from(sorted(RULES)), max_size=len(RULES), unique=True))
RULE_SETS = st.sampled_from(["", "national-2019", "national-2019@1", "lincang-2022@12", "x"])


def example_inventory() -> Inventory:
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    inventory: Inventory = module.example_inventory("http://127.0.0.1:8800")
    return inventory


def test_the_example_workbook_and_csv_files_import_to_the_example_inventory() -> None:
    expected = example_inventory()
    workbook = parse_import([("registry-example.xlsx", (EXAMPLES / "registry-example.xlsx").read_bytes())])
    csvs = parse_import([(p.name, p.read_bytes()) for p in sorted((EXAMPLES / "csv").glob("*.csv"))])
    assert workbook.problems == [] and csvs.problems == []
    assert workbook.inventory == expected
    assert csvs.inventory == expected
    assert {u.county for u in expected.units} == {"市直", "翠湖区", "松溪县", "梅岭县", "白沙自治县"}


def test_exported_csv_files_carry_a_bom_so_excel_opens_them_as_utf8() -> None:
    files = export_csv(example_inventory())
    assert set(files) == {f"{n}.csv" for n in ["单位", "网站", "栏目", "留言板", "办事指南", "政务新媒体", "监测周期"]}
    assert all(data.startswith(b"\xef\xbb\xbf") for data in files.values())


@st.composite
def inventories(draw: Any) -> Inventory:
    units = draw(_units())
    counties = {u.unit_id: u.county for u in units}
    unit_ids = st.sampled_from(sorted(counties))
    websites = [draw(_website(n, unit_ids, counties)) for n in range(draw(st.integers(0, 3)))]
    children: list[Target] = []
    for kind in (TargetType.column, TargetType.message_board, TargetType.service_guide):
        children += [draw(_child(kind, n, websites, unit_ids, counties)) for n in range(draw(st.integers(0, 3)))]
    accounts = [draw(_account(n, unit_ids, counties)) for n in range(draw(st.integers(0, 3)))]
    periods = [draw(_period(n)) for n in range(draw(st.integers(0, 2)))]
    return Inventory(units=units, targets=[*websites, *children, *accounts], periods=periods)


@st.composite
def _units(draw: Any) -> list[Unit]:
    units = [draw(_unit("city", UnitLevel.city, "市直", None, []))]
    for n in range(draw(st.integers(0, 5))):
        parent = draw(st.sampled_from([None, *units]))
        if parent is None or draw(st.booleans()):
            level, county = UnitLevel.county, draw(st.sampled_from(["翠湖区", "松溪县", "白沙自治县"]))
            parent = None if parent is None or parent.level is not UnitLevel.city else parent
        else:
            level, county = UnitLevel.department, parent.county
        units.append(draw(_unit(f"u{n}", level, county, parent, units)))
    return units


@st.composite
def _unit(draw: Any, unit_id: str, level: UnitLevel, county: str, parent: Unit | None, others: list[Unit]) -> Unit:
    contact = st.builds(
        Contact,
        name=TEXT,
        role=OPTIONAL_TEXT,
        email=st.sampled_from(["", "a@example.gov.cn"]),
        mobile=st.sampled_from(["", "13908830001"]),
        chatbot=st.sampled_from(["", "https://oapi.dingtalk.com/robot/send?access_token=x"]),
    )
    return Unit(
        unit_id=unit_id,
        name=draw(TEXT),
        short_name=draw(OPTIONAL_TEXT),
        code=draw(st.sampled_from(CODES)),
        level=level,
        county=county,
        parent_id=parent.unit_id if parent else None,
        supervisor_id=draw(st.sampled_from([None, *(u.unit_id for u in others)])),
        order=draw(st.integers(-1000, 100000)),
        emails=draw(st.lists(st.sampled_from(["x@example.gov.cn", "y.z@example.cn"]), max_size=2)),
        mobiles=draw(st.lists(st.sampled_from(["13908830101", "18600000000"]), max_size=2)),
        contacts=draw(st.lists(contact, max_size=3)),
        active=draw(st.booleans()),
    )


@st.composite
def _lifecycle(draw: Any, statuses: list[TargetStatus]) -> dict[str, Any]:
    registered = draw(DAYS)
    status = draw(st.sampled_from(statuses))
    closed = draw(st.one_of(st.none(), st.dates(min_value=registered, max_value=date(2070, 1, 1))))
    if status is TargetStatus.closed and closed is None:
        closed = registered
    return {"status": status, "registered_on": registered, "closed_on": closed}


@st.composite
def _website(draw: Any, n: int, unit_ids: Any, counties: dict[str, str]) -> Target:
    unit_id = draw(unit_ids)
    return Target(
        target_id=f"w{n}",
        type=TargetType.website,
        name=draw(TEXT),
        url=f"https://s{n}.example.gov.cn/{draw(st.sampled_from(['', 'index.html', 'a/b']))}",
        unit_id=unit_id,
        county=counties[unit_id],
        site_code=draw(st.sampled_from(["", f"53990000{n:02d}"])),
        site_kind=draw(st.sampled_from(["门户", "部门"])),
        has_message_board=draw(st.booleans()),
        public_services=draw(st.booleans()),
        profile=draw(PROFILES),
        **draw(_lifecycle(SITE_STATUSES)),
    )


@st.composite
def _child(draw: Any, kind: TargetType, n: int, sites: list[Target], unit_ids: Any, counties: dict[str, str]) -> Target:
    slot = f"{kind.value}-{n}"
    choices: list[Target | None] = [None, *sites] if kind is TargetType.service_guide or not sites else list(sites)
    site = draw(st.sampled_from(choices))
    if site is None:  # only a service guide may stand without a website
        kind = TargetType.service_guide
    unit_id = draw(unit_ids)
    return Target(
        target_id=slot,
        type=kind,
        name=draw(TEXT),
        url=f"https://c.example.gov.cn/{slot}/",
        unit_id=unit_id,
        county=counties[unit_id],
        site_id=site.target_id if site else None,
        site_code=site.site_code if site else "",
        column_type=draw(OPTIONAL_TEXT) if kind is TargetType.column else "",
        first_level=draw(st.booleans()) if kind is TargetType.column else False,
        update_period_days=draw(st.one_of(st.none(), st.integers(1, 3650)))
        if kind is not TargetType.message_board
        else None,
        reply_days=draw(st.one_of(st.none(), st.integers(1, 365))) if kind is TargetType.message_board else None,
        profile=draw(PROFILES),
        **draw(_lifecycle(SITE_STATUSES)),
    )


@st.composite
def _account(draw: Any, n: int, unit_ids: Any, counties: dict[str, str]) -> Target:
    unit_id = draw(unit_ids)
    feed_kind = draw(st.sampled_from(["", "rss", "json", "export"]))
    url = "" if feed_kind == "export" and draw(st.booleans()) else f"https://feeds.example.cn/{n}.xml"
    lifecycle = draw(_lifecycle(ACCOUNT_STATUSES))
    required_by = draw(st.one_of(st.none(), st.dates(min_value=lifecycle["registered_on"], max_value=date(2070, 1, 1))))
    return Target(
        target_id=f"acct{n}",
        type=TargetType.account,
        name=draw(TEXT),
        url=url,
        unit_id=unit_id,
        county=counties[unit_id],
        platform=draw(st.sampled_from(["微信公众号", "微博", "抖音", "头条号", "快手", "其他"])),
        account_id=f"id{n}" if not url or draw(st.booleans()) else "",
        feed_kind=feed_kind,
        closure_required_by=required_by,
        profile=draw(PROFILES),
        **lifecycle,
    )


@st.composite
def _period(draw: Any, n: int) -> Period:
    start = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
    start = start.replace(microsecond=0, tzinfo=CHINA_TZ)
    length = draw(st.one_of(st.just(timedelta(days=90, seconds=-1)), st.timedeltas(timedelta(0), timedelta(days=400))))
    return Period(
        period_id=f"{2000 + n}Q{draw(st.integers(1, 4))}",
        window_start=start,
        monitoring_point=(start + length).replace(microsecond=0),
        **draw(st.one_of(st.just({"mode": "census"}), SAMPLINGS.map(lambda s: {"mode": "spot_check", "sampling": s}))),
        scope=draw(SCOPES),
        rule_set=draw(RULE_SETS),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventories())
def test_any_inventory_round_trips_through_xlsx(inventory: Inventory) -> None:
    result = parse_import([("export.xlsx", export_xlsx(inventory))])
    assert [p.message for p in result.problems] == []
    assert result.inventory == inventory


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inventories())
def test_any_inventory_round_trips_through_csv_files_and_a_zip_of_them(inventory: Inventory) -> None:
    assert parse_import(list(export_csv(inventory).items())).inventory == inventory
    assert parse_import([("export.zip", export_csv_zip(inventory))]).inventory == inventory
