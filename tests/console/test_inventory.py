"""监测对象 in a real browser: search and filters, a unit's page, import with row-level errors, export."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
from playwright.async_api import BrowserContext, Page, expect

from tests.console.conftest import ADMIN, SCENARIO, SONGXI, ConsoleStack, login

WEBSITE_HEADER = ["网站名称", "网站地址", "网站标识码", "网站类型", "主办单位编码", "登记日期"]


def workbook(*rows: list[object]) -> bytes:
    """A 网站 sheet as an office fills it in, with the given rows under the header."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "网站"
    sheet.append(WEBSITE_HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def row_ids(page: Page) -> list[str]:
    return [str(await row.get_attribute("data-target-id")) for row in await page.locator("#targets tbody tr").all()]


async def test_the_inventory_is_searched_by_site_code_filtered_in_administrative_order_and_exported(
    browser: BrowserContext,
) -> None:
    page = await browser.new_page()
    await login(page, ADMIN.username, ADMIN.password, "/inventory")
    everything = len(SCENARIO.to_inventory("http://sim").targets)
    await expect(page.locator("#result-count")).to_contain_text(f"共 {everything} 个监测对象")
    ids = await row_ids(page)
    # 松溪县 (order 20) first, 市直 (order 100) last, although the scenario lists 市直 first.
    assert ids[0] == "songxi-portal" and ids[-1].startswith("yl-")

    await page.get_by_label("搜索").fill("5399230001")
    await page.get_by_role("button", name="查询").click()
    await expect(page.locator("#result-count")).to_contain_text("共 1 个监测对象")
    assert await row_ids(page) == ["songxi-portal"]

    await page.get_by_role("link", name="清除筛选").click()
    await page.get_by_label("类型").select_option("account")
    await page.get_by_label("平台").select_option("微博")
    await page.get_by_role("button", name="查询").click()
    await expect(page.locator("#result-count")).to_contain_text("共 3 个监测对象")
    assert await row_ids(page) == ["sx-fb-wb", "ml-fb-wb", "yl-fb-wb"]  # counties in administrative order
    assert "platform=%E5%BE%AE%E5%8D%9A" in page.url  # the filters are in the address, to share or bookmark

    await page.get_by_label("县（区）").select_option("梅岭县")
    await page.get_by_role("button", name="查询").click()
    assert await row_ids(page) == ["ml-fb-wb"]
    await page.get_by_role("link", name="梅岭县人民政府").click()
    await expect(page.get_by_role("heading", name="梅岭县人民政府", level=1)).to_be_visible()
    unit_targets = await row_ids(page)
    assert set(unit_targets) == {"meiling-portal", "meiling-portal-hdjl", "ml-fb-wb", "ml-fb-dy"}

    await page.goto("/inventory")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="导出清单（XLSX）").click()
    download = await waiting.value
    assert download.suggested_filename.endswith(".xlsx")
    path = await download.path()
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))  # the download's file has no .xlsx suffix
    assert "网站" in book.sheetnames and "单位" in book.sheetnames
    cells = {str(c.value) for row in book["网站"].iter_rows() for c in row if c.value}
    assert {"松溪县人民政府", "5399230001"} <= cells


async def test_a_unit_user_lists_only_its_own_targets_and_may_not_import(browser: BrowserContext) -> None:
    page = await browser.new_page()
    await login(page, SONGXI.username, SONGXI.password, "/inventory")
    await expect(page.locator("#result-count")).to_contain_text("共 3 个监测对象")
    assert sorted(await row_ids(page)) == ["songxi-portal", "sx-fb-wb", "sx-fb-wx"]
    assert "梅岭" not in await page.locator("#targets").inner_text()

    await page.goto("/inventory/import")
    await expect(page.get_by_text("导入清单须由市级或县级管理员操作")).to_be_visible()
    body = workbook(["松溪县新网站", "http://127.0.0.1:9/sites/sx-new/", "5399230099", "部门", "sx-gov", "2022-01-01"])
    await page.get_by_label("清单文件").set_input_files({"name": "清单.xlsx", "mimeType": "", "buffer": body})
    await page.get_by_role("button", name="校验").click()
    # The registry's refusal (403), in its own words: nothing imported.
    await expect(page.locator("#import-refused")).to_contain_text("未导入任何内容：无权操作该单位的数据")


async def test_an_import_with_a_bad_row_shows_the_registrys_problem_and_imports_nothing(
    browser: BrowserContext, console_stack: ConsoleStack
) -> None:
    page = await browser.new_page()
    await login(page, ADMIN.username, ADMIN.password, "/inventory/import")
    good = ["松溪县新网站", "http://127.0.0.1:9/sites/sx-new/", "5399230099", "部门", "sx-gov", date(2022, 1, 1)]
    bad = ["松溪县坏网站", "http://127.0.0.1:9/sites/sx-bad/", "12345", "部门", "sx-gov", date(2022, 1, 1)]
    await page.get_by_label("清单文件").set_input_files(
        {"name": "松溪县清单.xlsx", "mimeType": "", "buffer": workbook(good, bad)}
    )
    await page.get_by_role("button", name="校验").click()
    await expect(page.locator("#import-problems-summary")).to_contain_text("未导入任何内容")
    rows = page.locator("#import-problems tbody tr")
    await expect(rows).to_have_count(1)
    cells = [await c.inner_text() for c in await rows.first.locator("td").all()]
    assert cells[1:5] == ["网站", "3", "网站标识码", "12345"]  # 工作表 / 行 / 列 / 值 as the registry gives them
    assert "10位" in cells[5]
    stored = await console_stack.http.get(
        f"{console_stack.registry}/targets", params={"q": "松溪县新网站"}, headers=console_stack.admin
    )
    assert stored.json() == []  # the good row was not imported either

    await page.goto("/inventory/import")
    await page.get_by_label("清单文件").set_input_files(
        {"name": "松溪县清单.xlsx", "mimeType": "", "buffer": workbook(good)}
    )
    await page.get_by_label("导入原因（记入变更记录）").fill("新增部门网站")
    await page.get_by_role("button", name="校验").click()
    await expect(page.locator("#import-checked")).to_contain_text("校验通过")
    await page.get_by_role("button", name="确认导入").click()
    await expect(page.locator("#import-done")).to_contain_text("导入成功")
    await page.goto("/inventory?q=松溪县新网站")
    await expect(page.locator("#result-count")).to_contain_text("共 1 个监测对象")
    await page.locator("#targets").get_by_role("link", name="松溪县新网站").click()
    await expect(page.locator("#versions")).to_contain_text("新增部门网站")
    await expect(page.locator("#versions")).to_contain_text("首次登记")
