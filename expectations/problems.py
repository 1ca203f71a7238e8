"""What is wrong with a file, said as sentences that name file, row, column and rule."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Issue:
    """One broken rule. `row` is the row number as a spreadsheet shows it (header = its own row)."""

    rule: str
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()
    count: int = 0

    def sentence(self, source: str | None, file_name: str) -> str:
        """'police_street 2017-10-kent-street.csv row 1,204: Month '2017-13' is not a month …'."""
        where = f"{source or 'unrecognised file'} {file_name}"
        if self.rows:
            shown = ", ".join(f"{row:,}" for row in self.rows[:10])
            more = self.count - min(len(self.rows), 10)
            label = "row" if len(self.rows) == 1 and self.count <= 1 else "rows"
            where += f" {label} {shown}" + (f" and {more:,} more" if more > 0 else "")
        return f"{where}: {self.message}"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["rows"] = list(self.rows)
        data["values"] = list(self.values)
        return data


@dataclass
class Verdict:
    """The outcome of checking one file."""

    path: str
    file_name: str
    source: str | None
    sha256: str
    size_bytes: int
    rows: int = 0
    periods: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rules_checked: int = 0
    header_row: int = 1
    system_error: str | None = None  # the pipeline failed on this file (not the file's fault): retried next run

    @property
    def passed(self) -> bool:
        return not self.issues

    def sentences(self) -> list[str]:
        return [issue.sentence(self.source, self.file_name) for issue in self.issues]

    def reason(self) -> str:
        """One-line reason for audit and summaries."""
        if not self.issues:
            return ""
        first = self.issues[0].sentence(self.source, self.file_name)
        extra = len(self.issues) - 1
        return first + (f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else "")
