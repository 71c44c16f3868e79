"""site_basics: 网站标识码, records, labels and entries read from a homepage's header and footer."""

from __future__ import annotations

from services.prober.extract.basics import read_site_basics
from shared.events import SiteBasicsFacts

from .test_corpus import CorpusSite, observe

URL = "http://www.example.gov.cn/"


def test_site_code_in_the_meta_wins_over_the_footer() -> None:
    html = '<meta name="SiteIDCode" content="5309000001"><div class="footer">网站标识码：5309009999</div>'
    facts = read_site_basics(html, URL)
    assert (facts.site_code, facts.site_code_source) == ("5309000001", "meta")


def test_site_code_is_read_from_the_footer_when_the_meta_is_empty_or_absent() -> None:
    facts = read_site_basics('<meta name="SiteIDCode" content=""><p>网站标识码: 5309240001 滇ICP备05000001号</p>', URL)
    assert (facts.site_code, facts.site_code_source) == ("5309240001", "footer")
    assert facts.icp == "滇ICP备05000001号"


def test_a_long_number_is_not_a_site_code() -> None:
    facts = read_site_basics("<p>网站标识码：530900000123 滇公网安备 53090202000001号</p>", URL)
    assert facts.site_code == ""
    assert facts.police_record == "滇公网安备 53090202000001号"


def test_icp_number_with_a_suffix_and_spaces_is_normalised() -> None:
    facts = read_site_basics("<p>备案号：滇ICP备 05000001号 - 3</p>", URL)
    assert facts.icp == "滇ICP备05000001号-3"


def test_the_simulator_footer_gives_every_basic() -> None:
    html = (
        '<meta name="SiteName" content="镇康县人民政府"><meta name="SiteIDCode" content="5309240001">'
        '<form class="search" action="javascript:;"><input type="text" placeholder="请输入关键词">'
        '<button type="button">搜索</button></form>'
        '<div class="footer"><p>主办单位：镇康县人民政府办公室　承办单位：镇康县人民政府办公室</p>'
        '<p>网站标识码：5309240001　<a href="https://beian.miit.gov.cn/">滇ICP备09240001号</a>　'
        '<a href="http://www.beian.gov.cn/">滇公网安备 53090202240001号</a></p>'
        '<p>版权所有 &copy; 2022 镇康县人民政府办公室　<span class="dzjg">党政机关</span></p></div>'
    )
    facts = read_site_basics(html, URL)
    assert facts == SiteBasicsFacts(
        site_code="5309240001",
        site_code_source="meta",
        site_name="镇康县人民政府",
        icp="滇ICP备09240001号",
        police_record="滇公网安备 53090202240001号",
        party_gov_label=True,
        organizer="镇康县人民政府办公室",
        search=True,
        error_report=False,
    )


def test_party_government_label_in_an_article_sentence_does_not_count() -> None:
    facts = read_site_basics("<p>全县党政机关干部职工参加义务植树活动。</p>", URL)
    assert not facts.party_gov_label


def test_a_login_form_is_not_a_search_box() -> None:
    html = '<form action="/login.do"><input type="text" name="username"><input type="password" name="pwd"></form>'
    assert not read_site_basics(html, URL).search


def test_the_error_report_entry_is_found_as_text_link_or_script() -> None:
    assert read_site_basics('<a href="/zc/"><img src="zc.png" alt="我为政府网站找错"></a>', URL).error_report
    assert read_site_basics('<a href="https://zfwzzc.www.gov.cn/check_web/x">找错</a>', URL).error_report
    assert read_site_basics(
        "<script id=\"_jiucuo_\" src='https://zfwzgl.www.gov.cn/exposure/jiucuo.js'></script>", URL
    ).error_report
    assert not read_site_basics("<p>欢迎访问</p>", URL).error_report


async def test_the_observer_reads_the_homepage_and_a_failed_visit_gives_empty_facts() -> None:
    async with CorpusSite({"/": "hp_jcms_county_gbk.html"}) as site:
        seen = await observe("site_basics", site.url("/"))
        assert seen.facts.site_code == "5309260001" and seen.facts.error_report
        failed = await observe("site_basics", site.url("/missing/"))
    assert failed.result.status == 404
    assert failed.facts == SiteBasicsFacts()
