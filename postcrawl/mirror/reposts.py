"""An aggregator mirror that reposts a bureau mirror's articles, at any scale: cross-site
reposts for the distributed-mode tests and benchmark (an article and its repost are archived
once, whichever is fetched first).

:class:`RepostMirror` is txyddy's mirror (:class:`~postcrawl.mirror.aggregators.AggregatorMirror`:
its list and article layout) with its lists replaced: every *every*-th article of the bureau
mirror becomes a txyddy article with the same title, day, source and paragraphs, listed newest
first on ``/hydt/`` and ``/shjd/`` (the row's start lists) and their next pages. Serve it with
the bureau mirror through :func:`~postcrawl.mirror.aggregators.combined_routes`.
"""

from __future__ import annotations

from postcrawl.mirror.aggregators import AggregatorMirror, MirrorList, MirrorPage
from postcrawl.mirror.bureau import BureauMirror, MirrorArticle

# The saved txyddy article the reposts are made from, and the strings of its date line.
TEMPLATE = "003_txyddy_shanxi.html"
TEMPLATE_DAY = "2023-09-11"
TEMPLATE_SOURCE = "山西省邮政管理局"
SECTIONS = ("/hydt/", "/shjd/")


class RepostMirror(AggregatorMirror):
    """txyddy reposting every *every*-th article of *bureau*, *page_size* rows per list page."""

    def __init__(self, bureau: BureauMirror, *, every: int = 3, page_size: int = 20) -> None:
        super().__init__("txyddy")
        if every < 1 or page_size < 1:
            raise ValueError("every and page_size must be at least 1")
        self.originals: list[MirrorArticle] = bureau.articles[::every]
        source = bureau.bureau.display_name
        self.pages = {}
        keys_by_section: dict[str, list[str]] = {section: [] for section in SECTIONS}
        for n, article in enumerate(self.originals):
            section = SECTIONS[n % len(SECTIONS)]
            key = f"repost{n}"
            self.pages[key] = MirrorPage(
                key=key,
                url=f"http://www.txyddy.org.cn{section}{article.published:%Y/%m%d}/{50000 + n}.html",
                title=article.title,
                listed=article.day,
                template=TEMPLATE,
                replace={TEMPLATE_DAY: article.day, TEMPLATE_SOURCE: source},
                paragraphs=article.paragraphs,
                published=article.day,
                source=source,
            )
            keys_by_section[section].append(key)
        self.lists = []
        for section, section_keys in keys_by_section.items():
            chunks = [
                section_keys[i : i + page_size] for i in range(0, len(section_keys), page_size)
            ]
            paths = [section] + [f"{section}list_{k + 2}.html" for k in range(len(chunks) - 1)]
            for k, chunk in enumerate(chunks or [[]]):
                self.lists.append(
                    MirrorList(
                        path=paths[k],
                        label=section.strip("/"),
                        template="list.html",
                        rows=tuple(chunk),
                        next=paths[k + 1] if k + 1 < len(paths) else None,
                        start=None if k == 0 else section,
                    )
                )

    def reposted(self) -> dict[str, MirrorArticle]:
        """Each repost's real URL → the bureau article it copies."""
        return {self.pages[f"repost{n}"].url: article for n, article in enumerate(self.originals)}
