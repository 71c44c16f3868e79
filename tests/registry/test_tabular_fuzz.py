"""Whatever the cells hold, an import ends in an inventory or in problems: never in an exception."""

from __future__ import annotations

import time
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.registry.tabular import export_xlsx, parse_import
from services.registry.tabular.headers import SHEETS
from shared.events import Inventory, Target, TargetType, Unit, UnitLevel
from tests.registry.sheets import workbook

HEADERS = [column.header for spec in SHEETS for column in spec.columns] + ["备注", "所属网站", "序号"]
SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
CELLS = st.one_of(
    st.none(),
    SAFE_TEXT,
    st.sampled_from(
        ["是", "否", "2022-02-30", "2022年9月28日", "20220928", "5.399E+09", "http://", "https://x", "市直"]
    ),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from([s.title for s in SHEETS] + ["Sheet1"]), min_size=1, max_size=3, unique=True),
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
    st.lists(st.lists(CELLS, max_size=8), max_size=5),
)
def test_random_cells_in_a_workbook_give_problems_not_exceptions(
    titles: list[str], header: list[str], rows: list[list[object]]
) -> None:
    data = workbook({title: [header, *rows] for title in titles})
    result = parse_import([("fuzz.xlsx", data)])
    assert result.inventory is not None or result.problems
    assert all(p.message for p in result.problems)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8), st.lists(st.lists(SAFE_TEXT, max_size=8), max_size=5)
)
def test_random_csv_text_gives_problems_not_exceptions(header: list[str], rows: list[list[str]]) -> None:
    lines = [",".join(header), *(",".join(f'"{c}"' if "," in c else c for c in row) for row in rows)]
    for encoding in ("utf-8", "gb18030"):
        try:
            data = "\n".join(lines).encode(encoding)
        except UnicodeEncodeError:
            continue
        result = parse_import([("fuzz.csv", data)])
        assert result.inventory is not None or result.problems


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xff\xfe"]))
def test_random_bytes_give_problems_not_exceptions(data: bytes, prefix: bytes) -> None:
    result = parse_import([("fuzz.bin", prefix + data)])
    assert result.inventory is not None or result.problems


def ten_thousand_targets() -> Inventory:
    units = [Unit(unit_id="city", name="云岭市人民政府办公室", level=UnitLevel.city, county="市直")]
    units += [
        Unit(unit_id=f"u{n}", name=f"云岭市第{n}局", county="市直", supervisor_id="city", order=n) for n in range(200)
    ]
    targets = []
    for n in range(1000):
        unit = f"u{n % 200}"
        targets.append(
            Target(
                target_id=f"w{n}",
                type=TargetType.website,
                name=f"网站{n}",
                url=f"https://s{n}.example.gov.cn/",
                unit_id=unit,
                county="市直",
                site_code=f"{5399000000 + n}",
                site_kind="部门",
                registered_on=date(2018, 1, 1),
            )
        )
    for n in range(7000):
        site = n % 1000
        targets.append(
            Target(
                target_id=f"c{n}",
                type=TargetType.column,
                name=f"栏目{n}",
                url=f"https://s{site}.example.gov.cn/col{n}/",
                unit_id=f"u{site % 200}",
                county="市直",
                site_id=f"w{site}",
                site_code=f"{5399000000 + site}",
                column_type="通知公告",
                update_period_days=30,
                registered_on=date(2018, 1, 1),
            )
        )
    for n in range(2000):
        targets.append(
            Target(
                target_id=f"a{n}",
                type=TargetType.account,
                name=f"账号{n}",
                url=f"https://feeds.example.cn/{n}.xml",
                unit_id=f"u{n % 200}",
                county="市直",
                platform="微信公众号",
                account_id=f"acc{n}",
                feed_kind="rss",
                registered_on=date(2019, 5, 1),
            )
        )
    return Inventory(units=units, targets=targets)


def test_a_workbook_of_ten_thousand_targets_parses_without_problems() -> None:
    inventory = ten_thousand_targets()
    data = export_xlsx(inventory)
    started = time.perf_counter()
    result = parse_import([("big.xlsx", data)])
    elapsed = time.perf_counter() - started
    print(f"parsed and validated {len(inventory.targets)} targets in {elapsed:.2f} s")  # reported, not asserted
    assert result.problems == []
    assert result.inventory is not None and len(result.inventory.targets) == 10_000
    assert result.inventory == inventory
