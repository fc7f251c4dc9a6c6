"""The whole-page fallback: trafilatura's fast extractor first, its full comparison only when
the fast one finds no article."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest

from postcrawl import extraction
from postcrawl.chinese_text import clean_line

PAGE = lxml.html.fromstring("<html><body><p>x</p></body></html>")


def test_the_full_comparison_runs_only_when_the_fast_extractor_finds_no_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[bool] = []
    answers = {True: "", False: "邮政管理局召开寄递渠道安全工作会议，部署下一阶段重点任务。"}

    def extract(tree: Any, **options: Any) -> str:
        calls.append(options["fast"])
        return answers[options["fast"]]

    monkeypatch.setattr(extraction.trafilatura, "extract", extract)
    assert extraction._whole_page_lines(PAGE, "http://x.cn/a") == [clean_line(answers[False])]
    assert calls == [True, False]

    calls.clear()
    answers[True] = "国家邮政局发布快递服务质量通报，全国快递服务满意度稳中有升。"
    assert extraction._whole_page_lines(PAGE, "http://x.cn/a") == [clean_line(answers[True])]
    assert calls == [True]  # enough text: no second, full run
