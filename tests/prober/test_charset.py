from services.prober.extract.charset import declared_in_document, decode, normalise

TEXT = "临沧市人民政府关于“喆”字的通知"


def page(charset_decl: str, text: str = TEXT) -> str:
    return f'<html><head><meta charset="{charset_decl}"></head><body>{text}</body></html>'


def test_gbk_and_gb2312_are_read_as_gb18030() -> None:
    assert normalise("GB2312") == normalise("gbk") == normalise("x-gbk") == "gb18030"
    assert normalise("UTF8") == "utf-8"
    assert normalise("no-such-charset") is None


def test_the_header_charset_comes_first() -> None:
    body = page("utf-8").encode("gbk")
    assert decode(body, "gbk") == (page("utf-8"), "gb18030")


def test_a_wrong_header_gives_way_to_the_meta_declaration() -> None:
    body = page("gb2312").encode("gbk")
    assert decode(body, "utf-8") == (page("gb2312"), "gb18030")


def test_meta_http_equiv_is_read() -> None:
    html = f'<meta http-equiv="Content-Type" content="text/html; charset=gb2312" /><p>{TEXT}</p>'
    assert declared_in_document(html.encode("gbk")) == "gb2312"
    assert decode(html.encode("gbk"))[0] == html


def test_undeclared_pages_try_utf8_then_gb18030() -> None:
    assert decode(f"<p>{TEXT}</p>".encode())[1] == "utf-8"
    assert decode(f"<p>{TEXT}</p>".encode("gbk"))[1] == "gb18030"


def test_a_gb_declaration_on_a_utf8_body_is_a_mislabel() -> None:
    body = page("gbk").encode("utf-8")
    assert decode(body, "gbk") == (page("gbk"), "utf-8")


def test_a_server_default_latin1_header_does_not_garble_a_gbk_page() -> None:
    body = page("gbk").encode("gbk")
    assert decode(body, "ISO-8859-1")[0] == page("gbk")


def test_undecodable_bytes_are_replaced_not_raised() -> None:
    text, codec = decode(b"<p>\xff\xfe\xff</p>", "utf-8")
    assert codec == "utf-8"
    assert text.startswith("<p>") and "\ufffd" in text
