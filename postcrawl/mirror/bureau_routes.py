"""The bureau mirror's route table: every page of :class:`~postcrawl.mirror.bureau_pages.
BureauPages` at its path, with the faults served as they are seen in the wild."""

from __future__ import annotations

from postcrawl.mirror.bureau_articles import MirrorArticle
from postcrawl.mirror.bureau_pages import BureauPages, template
from postcrawl.mirror.server import Route

SLOW_SECONDS = 0.5


def bureau_routes(pages: BureauPages, api: bool = True) -> dict[str, Route]:
    """The whole site: path (with query for the API and more pages) → :class:`Route`.
    ``api=False`` makes the API answer an HTML maintenance page."""
    layout = pages.layout
    routes: dict[str, Route] = {
        "/robots.txt": Route(
            template("robots.txt").substitute(pages.site_vars()).encode(),
            content_type="text/plain",
        )
    }
    # The root is a JavaScript stub to the home page.
    routes["/"] = Route(template("stub.html").substitute(target=layout.home_path).encode("utf-8"))
    routes[layout.home_path] = Route(pages.home_page())
    down = template("api_down.html").substitute().encode("utf-8")
    for channel in layout.channels:
        routes[layout.list_path(channel)] = Route(pages.list_page(channel))
        if not channel.holds_articles:
            continue
        routes[layout.more_path(channel)] = Route(pages.more_page(channel))
        if not api:
            # Every query of this channel's API answers an HTML maintenance page.
            routes[f"/common/search/{channel.channel_id}"] = Route(down)
            continue
        for key, body in pages.api_pages(channel).items():
            routes[key] = Route(body, content_type="application/json;charset=UTF-8")
    for article in pages.article_set.articles:
        routes.update(_article_routes(pages, article))
    return routes


def _article_routes(pages: BureauPages, article: MirrorArticle) -> dict[str, Route]:
    """An article's page at its home path, and a stub or redirect at its listed path."""
    if article.fault == "missing":
        return {}
    if article.fault == "empty":
        return {article.home_path: Route(b"")}
    body, content_type = pages.article_page(article)
    routes = {
        article.home_path: Route(
            body,
            content_type=content_type,
            fail_first=1 if article.fault == "retry" else 0,
            delay=SLOW_SECONDS if article.fault == "slow" else 0.0,
        )
    }
    if article.fault == "stub":
        stub = template("stub.html").substitute(target=article.home_path)
        routes[article.listed_path] = Route(stub.encode("utf-8"))
    elif article.fault == "moved":
        routes[article.listed_path] = Route(status=301, location=article.home_path)
    return routes
