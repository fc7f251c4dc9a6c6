"""The generated text of the bureau mirror's articles: deterministic per bureau and article
number, drawn from the word lists in ``postcrawl/mirror/sites/bureau/words.json``."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, fields
from functools import cache

from postcrawl.mirror.bureau_layout import site_text
from postcrawl.sites.bureaus import Bureau


@dataclass(frozen=True)
class Words:
    """The word lists generated articles are drawn from (``sites/bureau/words.json``): many
    words, so that two articles share little text (a crawl test must see distinct articles as
    distinct, not as near-duplicates of one template). Their order is part of the output."""

    cities: tuple[str, ...]
    topics: tuple[str, ...]
    duties: tuple[str, ...]
    words: tuple[str, ...]
    verbs: tuple[str, ...]
    openers: tuple[str, ...]


@cache
def words() -> Words:
    """The word lists, read once."""
    data = json.loads(site_text("words.json"))
    return Words(**{f.name: tuple(data[f.name]) for f in fields(Words)})


def article_text(
    bureau: Bureau, key: int, year: int | None = None, min_chars: int = 0
) -> tuple[str, tuple[str, ...]]:
    """A generated title and body for article number *key* (each key a different body), about
    the quarter before *year*'s publication, with paragraphs of further work added until the
    body has *min_chars* characters (the seeds average about 2,500). Deterministic per bureau
    and key."""
    w = words()
    rng = random.Random(f"{bureau.code}-{key}")
    city = w.cities[key % len(w.cities)]
    topic = w.topics[(key // len(w.cities)) % len(w.topics)]
    duties = rng.sample(w.duties, 3)
    year = year or 2019 + key % 6

    def clause() -> str:
        return "、".join(rng.sample(w.words, rng.randint(3, 5)))

    def details(n: int) -> str:
        return "，".join(f"{rng.choice(w.verbs)}{clause()}工作" for _ in range(n))

    paragraphs = (
        f"近日，{city}市邮政管理局{topic}，{bureau.display_name}有关处室负责同志参加会议。"
        f"会议通报了{year}年第{key % 4 + 1}季度全市寄递渠道运行情况，"
        f"全市快递业务量累计完成{1000 + key * 37 % 9000}万件，同比增长{5 + key % 17}.{key % 10}%。",
        f"会议强调，各寄递企业要提高政治站位，{details(3)}。"
        f"一是{duties[0]}；二是{duties[1]}；三是{duties[2]}。",
        f"据统计，本次共检查快递网点{30 + key}个，发现并督促整改问题{key % 9 + 2}处，"
        f"{details(4)}。",
        f"下一步，{city}市邮政管理局将{details(3)}，推动全市邮政快递业高质量发展（第{key}号）。",
    )
    while sum(len(p) for p in paragraphs) < min_chars:
        extra = f"{rng.choice(w.openers)}{clause()}方面，{city}市邮政管理局{details(4)}。"
        paragraphs = (*paragraphs[:-1], extra, paragraphs[-1])
    return f"{city}局{topic}", paragraphs
