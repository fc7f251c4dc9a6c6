"""A PNG of articles per month, stacked by site or by province (matplotlib, Agg backend)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from postcrawl.reader.corpus import CorpusError, MonthlyCounts
from postcrawl.sites.bureaus import BUREAUS

# Font families that carry Chinese glyphs, tried in order; the first one installed is used.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "AR PL UMing CN",
)
# A stack of more groups than this is unreadable; the smallest ones are summed as "other".
MAX_GROUPS = 12
DPI = 100
_PROVINCE_CODES = {b.province: ("national" if b.code == "www" else b.code) for b in BUREAUS}


def cjk_font() -> str | None:
    """The name of an installed font that can draw Chinese, if any."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def ascii_label(label: str) -> str:
    """A label without Chinese, for machines with no CJK font: a province becomes its bureau's
    subdomain code (``广东`` → ``gd``); other labels (site names) are ASCII already."""
    return _PROVINCE_CODES.get(
        label, label if label.isascii() else label.encode("unicode_escape").decode()
    )


def fold_groups(counts: MonthlyCounts, max_groups: int = MAX_GROUPS) -> dict[str, list[int]]:
    """The largest *max_groups* - 1 series, and the rest summed as ``other``."""
    items = list(counts.series.items())
    if len(items) <= max_groups:
        return dict(items)
    kept = dict(items[: max_groups - 1])
    kept["other"] = [sum(col) for col in zip(*(v for _, v in items[max_groups - 1 :]), strict=True)]
    return kept


def plot_monthly(
    counts: MonthlyCounts,
    out: Path,
    *,
    by: str,
    size: tuple[int, int] = (1200, 600),
    title: str | None = None,
) -> Path:
    """Draw *counts* as stacked bars, one per month, into the PNG *out* of *size* pixels."""
    if not counts.months:
        raise CorpusError("nothing to plot: no dated articles match")
    try:
        import matplotlib
    except ImportError:
        raise CorpusError("plotting needs matplotlib: pip install 'postcrawl[export]'") from None
    matplotlib.use("Agg")  # no display: draw to a file
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    font = cjk_font()
    series = fold_groups(counts)
    labels = list(series) if font else [ascii_label(label) for label in series]
    width, height = size
    rc = {"font.sans-serif": [font, "DejaVu Sans"]} if font else {}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
        try:
            positions = range(len(counts.months))
            bottom = [0] * len(counts.months)
            # tab10's distinct colours while they last; tab20 (paired shades) beyond ten groups.
            cmap = plt.get_cmap("tab10" if len(series) <= 10 else "tab20")
            for i, (label, values) in enumerate(zip(labels, series.values(), strict=True)):
                ax.bar(
                    positions,
                    values,
                    bottom=bottom,
                    label=label,
                    color=cmap(i % cmap.N),
                    width=0.85,
                )
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
            step = max(1, len(counts.months) // 24)  # at most ~24 tick labels
            ax.set_xticks(list(positions)[::step], counts.months[::step], rotation=60, ha="right")
            ax.set_xlim(-0.6, len(counts.months) - 0.4)
            ax.set_ylabel("articles")
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            total = sum(sum(v) for v in series.values())
            ax.set_title(title or f"Articles per month by {by} ({total} dated articles)")
            ax.legend(title=by, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
            fig.tight_layout()
            # Drawn to a temp name and renamed, so a failed write leaves no half a PNG.
            tmp = out.with_name(f".{out.name}.part")
            try:
                fig.savefig(tmp, format="png", dpi=DPI)
                tmp.replace(out)
            except OSError as exc:
                with contextlib.suppress(OSError):  # nothing to remove where nothing was made
                    tmp.unlink()
                raise CorpusError(f"cannot write {out}: {exc.strerror or exc}") from None
        finally:
            plt.close(fig)
    return out
