"""The peer chart: a sorted horizontal bar chart ("ski slope") of the peer rates."""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reporting.charts import _RC, BODY_PT
from reporting.colours import DATA_STYLES

__all__ = ["PEER_MIN_AREAS", "draw_peer_chart"]

PEER_HOME_COLOUR = DATA_STYLES["peer_home"].fill  # NHS blue
PEER_OTHER_COLOUR = DATA_STYLES["peer_other"].fill
PEER_MIN_AREAS = 3


def draw_peer_chart(group: dict[str, Any], area_name: str) -> None:
    """Sorted horizontal bar chart ("ski slope") of the peer rates, into group['chart_b64'].

    An area whose rate is withheld (its count is suppressed) is not drawn: a bar shows a rate and,
    with the population, the count. Drawn only when at least three areas have a rate.
    """
    drawn = [a for a in group["areas"] if a["rate"].number is not None and not a["rate"].suppressed]
    omitted = [a["name"] for a in group["areas"] if a not in drawn]
    group["chart_b64"], group["chart_alt"] = None, ""
    group["chart_note"] = ("Not drawn on the chart (rate withheld for disclosure control): "
                           + ", ".join(omitted) + "." if omitted else "")
    if len(drawn) < PEER_MIN_AREAS:
        group["chart_note"] = (f"No peer chart: fewer than {PEER_MIN_AREAS} areas have a rate that can be shown."
                               + (" " + group["chart_note"] if omitted else ""))
        return
    drawn = sorted(drawn, key=lambda a: (a["rate"].number, a["name"]))
    title = f"{area_name} vs {group['group']} districts"
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(8, 0.45 * len(drawn) + 1.4))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        ys = list(range(len(drawn)))
        values = [a["rate"].number for a in drawn]
        styles = [DATA_STYLES["peer_home" if a["home"] else "peer_other"] for a in drawn]
        # Pale bars carry an outline that passes 3:1 on white (reporting.colours).
        ax.barh(ys, values, color=[st.fill for st in styles], edgecolor=[st.outline for st in styles],
                linewidth=1.0, height=0.65, zorder=2)
        for y, a in zip(ys, drawn, strict=True):
            lo, hi = a.get("ci_lower"), a.get("ci_upper")
            if lo is not None and hi is not None:
                ax.errorbar([a["rate"].number], [y], xerr=[[a["rate"].number - lo], [hi - a["rate"].number]],
                            fmt="none", ecolor="#231f20", elinewidth=1, capsize=3, zorder=3)
        peer = group["peer_value"]
        if peer.number is not None and not peer.suppressed:
            ax.axvline(peer.number, color="#231f20", linestyle="--", linewidth=1.2, zorder=4,
                       label=f"Peer value ({peer.text})")
            ax.legend(loc="lower right", frameon=False, fontsize=BODY_PT)
        ax.set_yticks(ys)
        ax.set_yticklabels([a["name"] + (" (this CSP)" if a["home"] else "") for a in drawn])
        for label, a in zip(ax.get_yticklabels(), drawn, strict=True):
            if a["home"]:
                label.set_fontweight("bold")
                label.set_color(PEER_HOME_COLOUR)
        ax.set_xlabel("Rate per 1,000 residents (bars: 95% confidence interval)")
        ax.set_xlim(left=0)
        ax.grid(axis="x", color="#e8edee", zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_title(title, loc="left", fontsize=11)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    group["chart_b64"] = base64.b64encode(buf.getvalue()).decode("ascii")
    group["chart_title"] = title
    low, high = drawn[0], drawn[-1]
    home = next((i for i, a in enumerate(reversed(drawn), start=1) if a["home"]), None)
    place = (f" {area_name} is {home} of {len(drawn)} from the highest ({next(a for a in drawn if a['home'])['rate'].text})."
             if home is not None else "")
    peer_words = (f" The peer value, {peer.text}, is the dashed line." if peer.number is not None and not peer.suppressed
                  else "")
    group["chart_alt"] = (f"Bar chart: {title}, rate per 1,000 residents for {len(drawn)} areas, lowest at the "
                          f"bottom: lowest {low['name']} ({low['rate'].text}), highest {high['name']} "
                          f"({high['rate'].text}).{place}{peer_words} Every figure is in the table above.")

