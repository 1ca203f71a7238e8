"""The analyst's per-period notes file ("story behind the curve"), read and rendered safely.

indicator id to the analyst's text, for example::

    # notes/2018-02.yml
    da_incidents: |
      Reporting rose after the November White Ribbon campaign; the IDVA service logged
      [[38]] more referrals than a year earlier.

      A blank line starts a new paragraph.
    drug_trafficking_offences:          # text per priority when the story differs
      organised_crime: Operation X disrupted two county lines.
      default: Shown for every other priority that has this indicator.

Text is shown as written (HTML is escaped). A count quoted in the text must be written as
``[[n]]``: it is shown through the same small-count rule as the tables (``[[3]]`` becomes
``<5``). A bare 1-4 in the text produces a warning in the result. Unknown ids are warnings too.

Disclosure control (METHODS.md section 3, ``reporting.disclosure``)
--------------------------------------------------------------------
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup, escape

from reporting.disclosure import DisclosureRules
from reporting.figures import primary_count

__all__ = ["load_notes", "render_note"]



_COUNT_MARKUP = re.compile(r"\[\[\s*(\d[\d,]*)\s*\]\]")


def load_notes(notes_dir: Path | None, period: str, known_ids: set[str], warnings: list[str]) -> dict[str, Any]:
    """The analyst's per-period notes (see the module docstring); {} when there is no file."""
    if notes_dir is None:
        return {}
    path = Path(notes_dir) / f"{period}.yml"
    if not path.exists():
        alt = path.with_suffix(".yaml")
        if not alt.exists():
            return {}
        path = alt
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"notes file {path.name}: not valid YAML ({error})") from error
    if not isinstance(data, dict):
        # ValueError, not TypeError: a problem in the analyst's file, told as a sentence.
        raise ValueError(f"notes file {path.name}: expected a mapping of indicator id to text, "  # noqa: TRY004
                         f"got {type(data).__name__}")
    out: dict[str, Any] = {}
    for key, text in data.items():
        key = str(key)
        if key not in known_ids:
            warnings.append(f"notes file {path.name}: '{key}' is not an indicator of this plan; its text is not shown")
            continue
        if isinstance(text, dict):
            out[key] = {str(k): str(v) for k, v in text.items() if v is not None}
        elif text is not None:
            out[key] = str(text)
    return out


def render_note(text: str, rules: DisclosureRules, warnings: list[str], indicator_id: str) -> Markup:
    """Escaped paragraphs; [[n]] counts go through the small-count rule."""
    bare = [t for t in re.findall(r"(?<![\d.\[])\b(\d+)\b(?![\d.\]%])", _COUNT_MARKUP.sub(" ", text))
            if rules.is_small(int(t))]
    if bare:
        warnings.append(f"notes for {indicator_id}: the text has bare numbers {sorted(set(bare))}; "
                        f"write counts as [[n]] so small ones are suppressed")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    html = []
    for p in paragraphs:
        escaped = str(escape(p)).replace("\n", " ")

        def count(match: re.Match) -> str:
            try:
                n = int(match.group(1).replace(",", ""))
            except ValueError:
                return match.group(0)
            s = primary_count(n, rules)
            flag = f' data-suppressed="{s.flag}" title="{s.title}"' if s.suppressed else ""
            return f'<span class="count{" suppressed" if s.suppressed else ""}"{flag}>{escape(s.text)}</span>'

        html.append(f"<p>{_COUNT_MARKUP.sub(count, escaped)}</p>")
    return Markup("".join(html))


