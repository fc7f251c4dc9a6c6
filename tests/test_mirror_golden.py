"""The bureau mirror's output is pinned: every route (path, status, headers, body) of a few
configurations, the expected articles, and a few generated article texts hash to the values
recorded before the mirror was split into parts (issue 11). A change to the mirror's pages or
text must update these on purpose."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest

from postcrawl.mirror.bureau import BureauMirror, article_text, bureau_named, invented_layout
from postcrawl.mirror.server import Route


def _added(mirror: BureauMirror, count: int) -> BureauMirror:
    mirror.add_articles(count)
    return mirror


CONFIGS: dict[str, Callable[[], BureauMirror]] = {
    "gd": lambda: BureauMirror("gd"),
    "www-130-50-clean": lambda: BureauMirror("www", articles=130, page_size=50, faults=False),
    "gd-invented": lambda: BureauMirror("gd", layout=invented_layout("gd")),
    "gd-body2500": lambda: BureauMirror("gd", articles=40, body_chars=2500, faults=False),
    "gd-noapi-nonav-originals": lambda: BureauMirror("gd", api=False, nav=False, originals=True),
    "sh-60-add7": lambda: _added(BureauMirror("sh", articles=60), 7),
}

# (number of routes, sha256 over every route in order)
ROUTES = {
    "gd": (137, "e289a5c64c967903bcda43264245738a5b900bd3c40942592c6c403c1d1390d7"),
    "www-130-50-clean": (146, "e5a2b0f7068a1cd051e6b4916bc4ab2d1bee3121de7c8f7573990cbef0943d94"),
    "gd-invented": (137, "0d2c996cadd9fa77383f5332dedb610d734a400a9dd4d674dc553c727b7f5b69"),
    "gd-body2500": (56, "973003ea60ac49a5444017d7c767c888ee8b6080e03c59fa79cf40e286ff3b50"),
    "gd-noapi-nonav-originals": (
        135,
        "d9d4a163996cca4c95eeb213647b6be0b7e6305ec89bd61f6a4bbe01ab034217",
    ),
    "sh-60-add7": (84, "9d239366dbc1762744cc1b7590800136a0b45a50db7e155e935aed8e1d6f3c66"),
}
EXPECTED = {
    "gd": "0f797ef960a0ca6a309899aebb89bf6fed52ec28bc936758375762c73e16425b",
    "www-130-50-clean": "b80020c933a489259811cb957c8618872566a9d7ca2730686465460a7d2795fb",
    "gd-invented": "c37749c0ade590d279c688192494a2c4c14a8e441954f7f640f00cdf70731f40",
    "gd-body2500": "478d4992d44b6ab369509108c6943d648a890d300d7e5b44c3065038ebbb7d6c",
    "gd-noapi-nonav-originals": "fdd01f057f08628ea5061bd90a4c5b7a9830b015c1244448c9bc9925b839704c",
    "sh-60-add7": "d0dafb998e3fcda26e00c878a9c42ca69519298a4669d8475da3efbafcac0ee2",
}
TEXTS = {
    ("gd", 0, None, 0): "74b9354217820cbdd1d60678e377673d478efc65da50c8fdb37a137fc3bcfce0",
    ("gd", 37, 2021, 0): "e40b0963f973d169c745793516876cc265addf6031d8e7d0490bd4c90b60b27e",
    ("www", 5, 2019, 2500): "ad1881d4e273f77304e21b4a1318ce8d17d3126335ea7f140a99a1be37f458db",
    ("sh", 123, None, 4000): "2a3feda7f7d459a09cf7e4deb94f578ee86ad9d7fbc2f9dcab71dedeb6a521ae",
}


def _digest(routes: dict[str, Route]) -> tuple[int, str]:
    h = hashlib.sha256()
    for path, r in routes.items():
        row = [path, r.status, r.content_type, r.headers, r.location, r.fail_first, r.delay]
        row.append(hashlib.sha256(r.body).hexdigest())
        h.update(json.dumps(row, ensure_ascii=False).encode())
    return len(routes), h.hexdigest()


@pytest.mark.parametrize("name", list(CONFIGS))
def test_routes_are_unchanged(name: str) -> None:
    mirror = CONFIGS[name]()
    assert _digest(mirror.routes()) == ROUTES[name]
    keys = "\n".join(k + a.listed_path for k, a in mirror.expected().items())
    assert hashlib.sha256(keys.encode()).hexdigest() == EXPECTED[name]


@pytest.mark.parametrize("case", list(TEXTS))
def test_article_text_is_unchanged(case: tuple[str, int, int | None, int]) -> None:
    code, key, year, min_chars = case
    title, paragraphs = article_text(bureau_named(code), key, year, min_chars)
    text = title + "\n" + "\n".join(paragraphs)
    assert hashlib.sha256(text.encode()).hexdigest() == TEXTS[case]
