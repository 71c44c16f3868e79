"""Target ids when the file gives none: stable, so importing the same file again updates instead of duplicating.

- 网站: ``site-<网站标识码>``; without a code, ``site-`` and a hash of the address.
- 栏目, 留言板, 办事指南: ``col-``, ``board-``, ``guide-`` and a hash of the address.
- 政务新媒体: ``acct-`` and a hash of 平台 and 账号ID; without an account id, of the 订阅地址.

An address counts by host (lower case), port, path without its trailing slash and query: http/https and a final
slash do not change the id. The hash is the first 16 hex digits of ``shared.events.natural_id``.
"""

from __future__ import annotations

from shared.events import TargetType, natural_id

from .cells import url_key

_PREFIX = {
    TargetType.website: "site",
    TargetType.column: "col",
    TargetType.message_board: "board",
    TargetType.service_guide: "guide",
    TargetType.account: "acct",
}


def derived_target_id(
    kind: TargetType, url: str | None, site_code: str | None = None, platform: str | None = None,
    account_id: str | None = None,
) -> str | None:  # fmt: skip
    """The id a row gets when its 对象编号 is blank, or None when the row lacks what the id is made from."""
    prefix = _PREFIX[kind]
    if kind is TargetType.website and site_code:
        return f"{prefix}-{site_code}"
    if kind is TargetType.account and account_id and platform:
        return f"{prefix}-{natural_id('account', platform, account_id)[:16]}"
    if url:
        return f"{prefix}-{natural_id(kind.value, url_key(url))[:16]}"
    return None
