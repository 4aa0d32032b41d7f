"""The client's PowerPoint deck, ``reports/<client>/report.pptx``, made from the report's tables.

A consultant presents the deck and edits it: every chart is a native PowerPoint chart whose
figures are embedded (right-click, "Edit data"), every table a native table. The deck is made
only from the tables the report already wrote for the client (``tables/*.csv``, see
`cemlab.report.ReportTables`), never from respondents' answers, so no figure the report hides
can appear in it: a suppressed cell is blank in those files, and stays blank here (no bar, a
dash in a table).

Slides: a title slide (title, client, wave, respondents, date, the consultancy's name and
"Confidential"), then for each section the report shows, in report order, one slide with a
chart and its key table (a statement and at most `MAX_FIGURES` figures): executive summary,
key findings, agreement of management and staff, scorecard, correlations, reliability, NPS,
trend and data quality. A section with no table (no customer feedback, no previous wave) has no
slide, as it has only a note in the report.

Words come from the message catalogue and the instrument (statements in the report's language:
the short label in a chart, the full statement in a table); numbers are written as the
report's language writes them (`cemlab.i18n.Language`). Text from client files is put in as
text: python-pptx escapes it, and the workbook embedded in each chart stores it as text, never
as a formula or a link.

``branding.pptx_template`` (params) names the consultancy's own master: its slide size and
layouts are used (a title layout for the first slide, a title-and-content layout for the
others); without one, a neutral 16:9 deck.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cemlab._files import written_atomically
from cemlab.exceptions import ParamsError, RenderError
from cemlab.i18n import Language
from cemlab.instrument import Instrument, load_instrument
from cemlab.params import Params, load_params
from cemlab.safe_export import DANGEROUS_PREFIXES, for_xlsx

#: The deck's file name in a client's report folder.
DECK_FILE = "report.pptx"
#: A key table shows a statement (or a practice, a segment) and at most this many figures.
MAX_FIGURES = 5
#: Rows of a key table below its header.
KEY_ROWS = 5
#: Findings listed on the findings slide.
FINDINGS_ROWS = 6
#: Pairs of statements in the correlations chart.
CHART_PAIRS = 8
#: The sections of a report, in its order (params ``sections``; the cover is the title slide).
SECTIONS = ("findings", "agreement", "scorecard", "correlations", "reliability", "nps", "trend",
            "quality")
#: The table CSV columns holding labels, read as text (a wave "2026" is not a number).
_TEXT_COLUMNS = ("item", "item_a", "item_b", "statement", "statement_a", "statement_b",
                 "dimension", "dimension_a", "dimension_b", "group", "segment", "driver",
                 "wave_current", "wave_previous", "title", "kind", "finding", "unit", "items",
                 "quadrant", "check", "detail", "figure", "note", "suppressed_reason", "test")

_EMU_PER_INCH = 914400
_NEUTRAL = "3B4F6B"
#: Series colours after the accent: a warm contrast, then greys.
_PALETTE = ("D08C32", "8C9AAE", "5B6573", "B9C2CF")
#: What XML 1.0 cannot hold: replaced (`safe_export.for_xlsx`) before any text goes in.
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# --- reading the report's tables ------------------------------------------------------------


def read_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The tables a report wrote (``<name>.csv``), as written: blanks are NaN, labels are text.

    The CSV files carry a ``'`` before a text that a spreadsheet would run as a formula
    (`cemlab.safe_export.neutralise`); it is taken off again, since the deck stores text as
    text.
    """
    tables = {}
    for path in sorted(Path(folder).glob("*.csv")):
        columns = pd.read_csv(path, nrows=0, encoding="utf-8").columns
        text = {c: str for c in columns if c in _TEXT_COLUMNS}
        frame = pd.read_csv(path, dtype=text, keep_default_na=False, na_values=[""],
                            encoding="utf-8")
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = frame[column].map(_unneutralised)
        tables[path.stem] = frame
    return tables


def _unneutralised(value: object) -> object:
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(
            DANGEROUS_PREFIXES):
        return value[1:]
    return value


def _flag(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in table.columns:
        return pd.Series(False, index=table.index)
    return table[column].map(lambda v: str(v).strip().lower() == "true")


def _shown(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _rounded(value: object, decimals: int) -> float | None:
    """A figure as the deck shows it (None for a blank): the chart's data is what it says."""
    if not _shown(value):
        return None
    rounded = round(float(value), decimals)
    return 0.0 if rounded == 0 else rounded


# --- the deck -------------------------------------------------------------------------------


def write_deck(params_path: str | Path, tables_dir: str | Path, target: str | Path, *,
               date: str | None = None) -> Path:
    """Write ``target`` (``report.pptx``) from the client's params and its report's tables.

    Written beside ``target`` and renamed into place, so it is whole or absent. Raises
    `ParamsError` for a template that cannot be opened, `RenderError` for anything else, each
    naming the file.
    """
    params = load_params(params_path)
    target = Path(target)
    try:
        deck = build_deck(params, read_tables(tables_dir), date=date)
        with written_atomically(target) as partial:
            deck.save(str(partial))
    except (ParamsError, RenderError):
        raise
    except Exception as exc:  # a bug or a full disk: this client fails, saying where
        raise RenderError(f"{target.name}: could not be written: {type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:200]}") from None
    return target


def open_template(path: Path | None) -> Any:
    """The consultancy's master as a python-pptx `Presentation`, emptied of its slides; a
    neutral 16:9 presentation without one."""
    from pptx import Presentation
    from pptx.util import Inches

    if path is None:
        deck = Presentation()
        deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
        return deck
    try:
        deck = Presentation(str(path))
    except Exception as exc:
        raise ParamsError(
            f"branding.pptx_template: {path} cannot be opened as a PowerPoint presentation "
            f"({type(exc).__name__}). Fix: save the consultancy's master again from PowerPoint "
            "as a PowerPoint Presentation (.pptx)"
        ) from None
    slides = deck.slides._sldIdLst  # its example slides are not the client's
    for slide_id in list(slides):
        deck.part.drop_rel(slide_id.rId)
        slides.remove(slide_id)
    return deck


def build_deck(params: Params, tables: Mapping[str, pd.DataFrame], *,
               date: str | None = None) -> Any:
    """The deck as a python-pptx `Presentation` (see the module docstring for its slides)."""
    builder = _Deck(params, tables, date or datetime.date.today().isoformat())
    builder.title_slide()
    sections = params.sections if params.sections is not None else SECTIONS
    for section in SECTIONS:
        if section in sections:
            getattr(builder, f"{section}_slides")()
    return builder.deck


@dataclass(frozen=True)
class _Frame:
    """A rectangle on a slide, in EMU."""

    left: int
    top: int
    width: int
    height: int

    def split(self, share: float, gap: int) -> tuple[_Frame, _Frame]:
        """Left and right parts, the left ``share`` of the width."""
        left_width = int((self.width - gap) * share)
        return (_Frame(self.left, self.top, left_width, self.height),
                _Frame(self.left + left_width + gap, self.top,
                       self.width - left_width - gap, self.height))

    def below(self, height: int, gap: int) -> tuple[_Frame, _Frame]:
        """A band of ``height`` at the top, and the rest below it."""
        return (_Frame(self.left, self.top, self.width, height),
                _Frame(self.left, self.top + height + gap, self.width,
                       self.height - height - gap))


@dataclass
class _Table:
    """A key table: header, rows of text, and which columns hold text (set left, and given
    the width the figures leave); the others are figures, set right."""

    header: list[str]
    rows: list[list[str]]
    text: tuple[int, ...] = (0,)


class _Deck:
    def __init__(self, params: Params, tables: Mapping[str, pd.DataFrame], date: str) -> None:
        self.params, self.tables, self.date = params, tables, date
        self.lang = Language(params.language)
        self.instrument = load_instrument(params.instrument)
        self.feedback_instrument = (load_instrument(params.feedback.instrument)
                                    if params.feedback is not None else None)
        branding = params.branding
        self.template = branding.pptx_template
        self.deck = open_template(self.template)
        self.accent = branding.accent.lstrip("#").upper() if branding.accent else _NEUTRAL
        self.title_layout, self.content_layout = _layouts(self.deck)
        scale = self.instrument.scale
        self.scale = f"{scale.min}-{scale.max}"

    # -- words -------------------------------------------------------------------------------

    def _(self, message: str) -> str:
        return self.lang.gettext(message)

    def statement(self, item: object, short: bool = False,
                  instrument: Instrument | None = None) -> str:
        """A statement in the report's language: its short label for a chart, else in full."""
        instrument = instrument or self.instrument
        try:
            if short:
                return instrument.short_of(str(item), self.lang.code)
            return instrument.text_of(str(item), self.lang.code)
        except KeyError:  # not this instrument's item: the table's own text is all there is
            return str(item)

    def practice(self, dimension: object, fallback: object = "") -> str:
        try:
            return self.instrument.title_of(str(dimension), self.lang.code)
        except KeyError:
            return str(fallback or dimension)

    def group(self, level: str) -> str:
        _ = self._
        names = {"management": _("Management"), "staff": _("Staff")}
        return names.get(level, _capital(self.lang.gettext(level)))

    def segment(self, label: object) -> str:
        if label == "all":
            return self._("All customers")
        return _capital(self.lang.gettext(str(label)))

    def number(self, value: object, decimals: int = 1, sign: bool = False) -> str:
        return self.lang.number(float(value) if _shown(value) else None, decimals, sign=sign)

    def percent(self, value: object) -> str:
        return self.lang.percent(float(value) if _shown(value) else None)

    def p(self, value: object) -> str:
        return self.lang.p_value(float(value) if _shown(value) else None)

    # -- slides ------------------------------------------------------------------------------

    def title_slide(self) -> None:
        _ = self._
        params = self.params
        slide = self.deck.slides.add_slide(self.title_layout)
        title = _placeholder(slide, ("CENTER_TITLE", "TITLE"))
        subtitle = _placeholder(slide, ("SUBTITLE", "BODY", "OBJECT"))
        width, height = self.deck.slide_width, self.deck.slide_height
        margin = int(width * 0.06)
        if title is None:
            title = slide.shapes.add_textbox(margin, int(height * 0.25), width - 2 * margin,
                                             int(height * 0.25))
        elif self.template is None:
            _place(title, _Frame(margin, int(height * 0.22), width - 2 * margin,
                                 int(height * 0.26)))
        else:
            _keep_inside(title, width, height, _Frame(margin, int(height * 0.22),
                                                      width - 2 * margin, int(height * 0.26)))
        _set_text(title, [params.title], size=_fitting(title, [params.title], 34, bold=True),
                  color=None if self.template else self.accent, bold=self.template is None)
        respondents = self._respondents()
        facts = [f"{_('Client')}: {params.client}"]
        if params.wave not in (None, ""):
            facts.append(f"{_('Wave')}: {params.wave}")
        facts.append(f"{_('Respondents')}: {respondents}")
        facts.append(f"{_('Date')}: {self.date}")
        lines = [params.branding.shown_name(_), " · ".join(facts), _("Confidential")]
        if subtitle is None:
            subtitle = slide.shapes.add_textbox(margin, int(height * 0.55), width - 2 * margin,
                                                int(height * 0.3))
        elif self.template is None:
            _place(subtitle, _Frame(margin, int(height * 0.54), width - 2 * margin,
                                    int(height * 0.3)))
        else:
            _keep_inside(subtitle, width, height, _Frame(margin, int(height * 0.54),
                                                         width - 2 * margin, int(height * 0.3)))
        _set_text(subtitle, lines, size=_fitting(subtitle, lines, 18),
                  bold_last=True)
        self._logo(slide)

    def _respondents(self) -> str:
        figures = self.tables.get("key_figures")
        if figures is not None and "figure" in figures.columns:
            found = figures.loc[figures["figure"] == "Respondents", "value"]
            if len(found) and _shown(pd.to_numeric(found.iloc[0], errors="coerce")):
                return self.number(float(found.iloc[0]), 0)
        # the report leaves out a total below the minimum (`ReportTables.respondents`)
        return self._("fewer than {n}").format(n=self.number(self.params.min_group_size, 0))

    def _logo(self, slide: Any) -> None:
        logo = self.params.branding.logo
        if logo is None or logo.suffix.lower() == ".svg":  # PowerPoint's pictures: no SVG here
            return
        height = int(self.deck.slide_height * 0.1)
        picture = slide.shapes.add_picture(str(logo), 0, 0, height=height)
        if picture.width > self.deck.slide_width * 0.3:  # a wide logo: limit its width
            ratio = self.deck.slide_width * 0.3 / picture.width
            picture.width, picture.height = int(picture.width * ratio), int(height * ratio)
        picture.left = self.deck.slide_width - picture.width - int(self.deck.slide_width * 0.04)
        picture.top = int(self.deck.slide_height * 0.05)

    def content_slide(self, title: str) -> tuple[Any, _Frame]:
        """A slide with ``title``, its footer, and the frame left for a chart and a table."""
        slide = self.deck.slides.add_slide(self.content_layout)
        width, height = self.deck.slide_width, self.deck.slide_height
        margin = int(width * 0.04)
        heading = _placeholder(slide, ("TITLE", "CENTER_TITLE"))
        body = _placeholder(slide, ("OBJECT", "BODY"))
        if heading is None:
            heading = slide.shapes.add_textbox(margin, int(height * 0.04), width - 2 * margin,
                                               int(height * 0.12))
        elif self.template is None:
            _place(heading, _Frame(margin, int(height * 0.04), width - 2 * margin,
                                   int(height * 0.12)))
        else:
            _keep_inside(heading, width, height, _Frame(margin, int(height * 0.04),
                                                        width - 2 * margin, int(height * 0.12)))
        _set_text(heading, [title], size=_fitting(heading, [title], 26, bold=True),
                  color=None if self.template else self.accent, bold=self.template is None)
        heading_bottom = heading.top + heading.height
        footer_top = height - int(height * 0.07)
        if (body is not None and self.template is not None and None not in (
                body.left, body.top, body.width, body.height)
                and heading_bottom <= body.top < footer_top - height * 0.3
                and body.width > width * 0.5):
            left = max(0, body.left)
            frame = _Frame(left, body.top, min(body.width, width - left),
                           min(body.height, footer_top - body.top))
        else:
            top = heading_bottom + int(height * 0.02)
            frame = _Frame(margin, top, width - 2 * margin, footer_top - top)
        for placeholder in list(slide.placeholders):  # nothing left saying "Click to add"
            if placeholder.placeholder_format.idx != heading.placeholder_format.idx:
                placeholder.element.getparent().remove(placeholder.element)
        footer = slide.shapes.add_textbox(margin, footer_top, width - 2 * margin,
                                          int(height * 0.05))
        _set_text(footer, [f"{self.params.branding.shown_name(self._)} · {self.params.client} · "
                           f"{self._('Confidential')}"], size=9, color="666666")
        return slide, frame

    def chart_and_table(self, title: str, chart: _Chart | None, table: _Table | None,
                        note: str = "", share: float = 0.56) -> None:
        slide, frame = self.content_slide(title)
        gap = int(self.deck.slide_width * 0.02)
        if note:
            band, frame = frame.below(int(self.deck.slide_height * 0.06), gap // 2)
            box = slide.shapes.add_textbox(band.left, band.top, band.width, band.height)
            _set_text(box, [note], size=14)
        if chart is not None and table is not None:
            chart_frame, table_frame = frame.split(share, gap)
        else:
            chart_frame = table_frame = frame
        if chart is not None:
            chart.draw(slide, chart_frame, self.accent)
        if table is not None:
            _draw_table(slide, table_frame, table, self.accent)

    # executive summary and findings

    def findings_slides(self) -> None:
        self.summary_slide()
        findings = self.tables.get("findings")
        if findings is None or findings.empty:
            return
        _ = self._
        decimals = {_("points"): 0, _("NPS points"): 0, _("scale points"): 1,
                    _("correlation"): 2, _("% of explained variance"): 0}
        rows = []
        for row in findings.head(FINDINGS_ROWS).itertuples():
            unit = "" if not _shown(row.unit) else str(row.unit)
            if _shown(row.value):
                number = self.number(row.value, decimals.get(unit, 1))
                shown = f"{number}{unit}" if unit.startswith("%") else f"{number} {unit}"
            else:
                shown = "–"
            rows.append([str(int(row.rank)), str(row.finding), shown.strip(),
                         self.p(row.p_adjusted)])
        table = _Table([_("Rank"), _("Finding"), _("Value"), _("p adjusted")], rows, text=(1,))
        self.chart_and_table(_("Key findings"), None, table)

    def _maturity(self) -> pd.DataFrame | None:
        """The executive summary's maturity table (`cemlab.summary.maturity`), from the
        practices table and the benchmark means of the scorecard."""
        practices = self.tables.get("practices")
        if practices is None or practices.empty:
            return None
        table = practices.copy()
        table["practice"] = [self.practice(d, t) for d, t in
                             zip(table["dimension"], table.get("title", table["dimension"]))]
        card = self.tables.get("scorecard")
        if card is not None and "benchmark_mean" in card.columns:
            published = card.groupby("dimension")["benchmark_mean"].mean()
            table["benchmark_mean"] = table["dimension"].map(published)
        else:
            table["benchmark_mean"] = float("nan")
        table["benchmark_mean"] = table["benchmark_mean"].where(table["mean"].notna())
        if "gap_to_target" not in table.columns:
            table["gap_to_target"] = float("nan")
        return table.sort_values(["rank", "dimension"], na_position="last", kind="stable",
                                 ignore_index=True)

    def summary_slide(self) -> None:
        _ = self._
        table = self._maturity()
        if table is None:
            return
        target = self.params.target
        shown = table[table["mean"].notna()]
        chart = _Chart(
            categories=list(shown["practice"]),
            series=[(_("Mean"), [_rounded(v, 1) for v in shown["mean"]])]
            + ([(_("Benchmark"), [_rounded(v, 1) for v in shown["benchmark_mean"]])]
               if shown["benchmark_mean"].notna().any() else []),
            decimals=1, horizontal=True, labels=True,
            minimum=self.instrument.scale.min, maximum=self.instrument.scale.max,
            title=(_("Mean by practice; target {target}").format(target=self.number(target))
                   if target is not None else _("Mean by practice")),
        )
        lines = []
        if len(shown):
            overall = self.number(shown["mean"].mean())
            lines.append((f"{_('Overall maturity')}: {overall}", True))
        strengths = self.strengths(table)
        if strengths:
            lines.append((_("Strengths"), True))
            lines += [(f"• {s}", False) for s in strengths]
        priorities = self.priorities(table)
        if priorities:
            lines.append((_("Priorities"), True))
            lines += [(f"• {s}", False) for s in priorities]
        customers = self._nps_sentence()
        if customers:
            lines.append((_("Customers"), True))
            lines.append((customers, False))
        slide, frame = self.content_slide(_("Executive summary"))
        chart_frame, text_frame = frame.split(0.5, int(self.deck.slide_width * 0.02))
        chart.draw(slide, chart_frame, self.accent)
        box = slide.shapes.add_textbox(text_frame.left, text_frame.top, text_frame.width,
                                       text_frame.height)
        _set_lines(box, lines, size=_fit_size(lines, text_frame))

    def strengths(self, table: pd.DataFrame) -> list[str]:
        """The three practices with the highest means, in `cemlab.summary`'s words."""
        from cemlab.summary import strength_sentence

        target = self.params.target
        return [
            strength_sentence(
                self.lang, practice=row.practice, mean=float(row.mean), rank=int(row.rank),
                total=len(table), scale=self.scale, target=target,
                gap_to_target=float(row.gap_to_target) if target is not None else None)
            for row in table[table["mean"].notna()].head(3).itertuples()
        ]

    def priorities(self, table: pd.DataFrame) -> list[str]:
        """The summary's priorities (`cemlab.summary.executive_summary`): the significant key
        weaknesses of the findings (at most two), then the practices furthest below the
        target, with the widest significant management - staff gap given its place."""
        _ = self._
        target = self.params.target
        sentences: list[str] = []
        findings = self.tables.get("findings")
        if findings is not None and not findings.empty:
            weak = findings[findings["kind"] == "key weakness"]
            sentences += [str(s) for s in weak["finding"].head(2)]
        gaps = self._practice_gaps()
        shown = table[table["mean"].notna()]
        by_need = shown.sort_values("gap_to_target" if target is not None else "mean",
                                    kind="stable")
        if target is not None:
            by_need = by_need[by_need["gap_to_target"] < 0]
        room = 3 - len(sentences)
        chosen = list(by_need["dimension"][:room])
        widest = gaps.index[0] if len(gaps) else None
        if widest is not None and room > 0 and not any(d in gaps.index for d in chosen):
            chosen = [*chosen[: room - 1], widest]
        names = {"management": _("management"), "staff": _("staff")}
        for dimension in chosen:
            row = shown.set_index("dimension").loc[dimension]
            if target is not None:
                sentence = _("{practice}: {mean} on the {scale} scale, {distance} below the "
                             "target of {target}.").format(
                    practice=row["practice"], mean=self.number(row["mean"]), scale=self.scale,
                    distance=self.number(abs(row["gap_to_target"])),
                    target=self.number(target))
            else:
                sentence = _("{practice}: {mean} on the {scale} scale, ranked {rank} of "
                             "{total}.").format(practice=row["practice"],
                                                mean=self.number(row["mean"]), scale=self.scale,
                                                rank=int(row["rank"]), total=len(table))
            if dimension in gaps.index:
                gap = gaps.loc[dimension]
                divide = _("{group_a} and {group_b} disagree here: {points} points apart in % "
                           "agree on {statement} ({p}).").format(
                    group_a=names["management"], group_b=names["staff"],
                    points=self.number(abs(gap["gap_pct"]), 0),
                    statement=f"“{self.statement(gap['item'])}”", p=self._p_text(
                        gap["p_adjusted"]))
                sentence += " " + _capital(divide)
            sentences.append(sentence)
        return sentences

    def _p_text(self, p: object) -> str:
        written = self.p(p)
        return f"p {written}" if written.startswith("<") else f"p = {written}"

    def _practice_gaps(self) -> pd.DataFrame:
        gap = self.tables.get("agreement_gap")
        if gap is None or gap.empty:
            return pd.DataFrame(columns=["item", "gap_pct", "p_adjusted"])
        hits = gap[_flag(gap, "significant") & gap["gap_pct"].notna()].copy()
        hits["_size"] = hits["gap_pct"].abs()
        hits = hits.sort_values("_size", ascending=False, kind="stable")
        return hits.drop_duplicates("dimension").set_index("dimension")

    def _nps_sentence(self) -> str:
        _ = self._
        scores = self.tables.get("nps")
        if scores is None or "segment" not in scores.columns:
            return ""
        total = scores.loc[scores["segment"] == "all", "nps"]
        if not len(total) or not _shown(total.iloc[0]):
            return ""
        text = _("Net Promoter Score: {nps}").format(nps=self.number(total.iloc[0], 0))
        change = self.tables.get("nps_trend")
        if change is not None and len(change) and _shown(change["change"].iloc[0]):
            written = self.p(change["p_value"].iloc[0])
            text += " " + _("({change} points since the previous wave, p {p})").format(
                change=self.number(change["change"].iloc[0], 0, sign=True),
                p=written if written.startswith("<") else f"= {written}")
        return text

    # management and staff

    def agreement_slides(self) -> None:
        _ = self._
        agreement = self.tables.get("agreement")
        if agreement is None or agreement.empty or "group" not in agreement.columns:
            return
        items = list(dict.fromkeys(agreement["item"]))
        series = []
        for level in self.instrument.groups.levels:
            rows = agreement[agreement["group"] == level].set_index("item")
            if rows.empty or rows["pct_agree"].isna().all():
                continue  # a group the report hides on every statement: no series at all
            values = [_rounded(rows["pct_agree"].get(i), 0) for i in items]
            series.append((self.group(level), values))
        if not series:
            rows = agreement[agreement["group"] == "all"].set_index("item")
            series = [(_("All respondents"), [_rounded(rows["pct_agree"].get(i), 0)
                                              for i in items])]
        chart = _Chart(categories=[self.statement(i, short=True) for i in items], series=series,
                       decimals=0, horizontal=True, minimum=0, maximum=100,
                       title=_("% agree with each statement"), legend=True)
        self.chart_and_table(_("Management and staff: where they agree"), chart,
                             self._agreement_table(agreement))

    def _agreement_table(self, agreement: pd.DataFrame) -> _Table | None:
        _ = self._
        gap = self.tables.get("agreement_gap")
        if gap is not None and gap["gap_pct"].notna().any():
            top = gap[gap["gap_pct"].notna()].assign(_size=gap["gap_pct"].abs())
            top = top.sort_values("_size", ascending=False, kind="stable").head(KEY_ROWS)
            return _Table(
                [_("Statement"), _("% agree, {group}").format(group=self.group("management")),
                 _("% agree, {group}").format(group=self.group("staff")), _("Gap (points)"),
                 _("p adjusted")],
                [[self.statement(r.item), self.percent(r.pct_agree_management),
                  self.percent(r.pct_agree_staff), self.number(r.gap_pct, 0, sign=True),
                  self.p(r.p_adjusted)] for r in top.itertuples()])
        # no gap can be shown (a group too small): the statements least agreed with, by group
        shown = [level for level in (*self.instrument.groups.levels, "all")
                 if agreement.loc[agreement["group"] == level, "pct_agree"].notna().any()]
        if not shown:
            return None
        wide = agreement.pivot_table(index="item", columns="group", values="pct_agree",
                                     aggfunc="first", dropna=False)
        wide = wide.reindex(list(dict.fromkeys(agreement["item"])))
        order = wide[shown[-1]].sort_values(kind="stable").index[:KEY_ROWS]
        header = [_("Statement")] + [_("% agree, {group}").format(
            group=self.group(level) if level != "all" else _("all respondents"))
            for level in shown[:MAX_FIGURES]]
        return _Table(header, [[self.statement(i)] + [self.percent(wide.loc[i, level])
                                                      for level in shown[:MAX_FIGURES]]
                               for i in order])

    # scorecard

    def scorecard_slides(self) -> None:
        _ = self._
        card = self.tables.get("scorecard")
        if card is None or card.empty:
            return
        chart = None
        if card is not None and card["mean"].notna().any():
            target = self.params.target
            chart = _Chart(categories=[self.statement(i, short=True) for i in card["item"]],
                           series=[(_("Mean"), [_rounded(v, 1) for v in card["mean"]])],
                           decimals=1, horizontal=True, labels=True,
                           minimum=self.instrument.scale.min, maximum=self.instrument.scale.max,
                           title=(_("Mean score per statement; target {target}").format(
                               target=self.number(target)) if target is not None
                               else _("Mean score per statement")))
        key = None
        if card is not None and card["mean"].notna().any():
            low = card[card["mean"].notna()].sort_values("mean", kind="stable").head(KEY_ROWS)
            header = [_("Statement"), _("Mean"), _("% agree")]
            columns = [("mean", 1, False), ("pct_agree", None, False)]
            if "gap_to_target" in card.columns and card["gap_to_target"].notna().any():
                header.append(_("Gap to target"))
                columns.append(("gap_to_target", 1, True))
            if "benchmark_mean" in card.columns and card["benchmark_mean"].notna().any():
                header.append(_("Benchmark mean"))
                columns.append(("benchmark_mean", 1, False))
            key = _Table(header, [
                [self.statement(r["item"])] + [
                    self.percent(r[c]) if d is None else self.number(r[c], d, sign=s)
                    for c, d, s in columns]
                for _i, r in low.iterrows()])
        self.chart_and_table(_("Scorecard and gaps"), chart, key)

    # correlations

    def correlations_slides(self) -> None:
        _ = self._
        pairs = self.tables.get("correlations")
        if pairs is None or pairs.empty or pairs["r"].isna().all():
            return
        top = pairs[pairs["r"].notna()].assign(_size=pairs["r"].abs())
        top = top.sort_values("_size", ascending=False, kind="stable")
        charted = top.head(CHART_PAIRS)
        chart = _Chart(
            categories=[f"{self.statement(a, short=True)} – {self.statement(b, short=True)}"
                        for a, b in zip(charted["item_a"], charted["item_b"])],
            series=[(_("Correlation (r)"), [_rounded(v, 2) for v in charted["r"]])],
            decimals=2, horizontal=True, labels=True, minimum=-1 if (charted["r"] < 0).any()
            else 0, maximum=1, title=_("Strongest correlations"))
        table = _Table([_("Statement"), _("Goes with"), _("Correlation (r)"), _("p adjusted")],
                       [[self.statement(r.item_a), self.statement(r.item_b),
                         self.number(r.r, 2), self.p(r.p_adjusted)]
                        for r in top.head(KEY_ROWS).itertuples()], text=(0, 1))
        self.chart_and_table(_("Which practices go together"), chart, table, share=0.5)

    # reliability

    def reliability_slides(self) -> None:
        _ = self._
        table = self.tables.get("reliability")
        if table is None or table.empty:
            return
        names = [self.practice(d, t) for d, t in
                 zip(table["dimension"], table.get("title", table["dimension"]))]
        chart = _Chart(categories=names,
                       series=[(_("Cronbach's alpha"), [_rounded(v, 2) for v in table["alpha"]])],
                       decimals=2, horizontal=True, labels=True, minimum=0, maximum=1,
                       title=_("Cronbach's alpha per practice"))
        key = _Table([_("Practice"), _("Statements"), _("Cronbach's alpha"),
                      _("Alpha, 95% CI from"), _("Alpha, 95% CI to")],
                     [[name, self.number(r.n_items, 0), self.number(r.alpha, 2),
                       self.number(r.alpha_ci_low, 2), self.number(r.alpha_ci_high, 2)]
                      for name, r in zip(names, table.itertuples())])
        self.chart_and_table(_("Reliability per dimension"), chart, key, share=0.5)

    # customers

    def nps_slides(self) -> None:
        _ = self._
        scores = self.tables.get("nps")
        if scores is None or scores.empty:
            return
        chart = _Chart(categories=[self.segment(s) for s in scores["segment"]],
                       series=[(_("NPS"), [_rounded(v, 0) for v in scores["nps"]])],
                       decimals=0, horizontal=False, labels=True,
                       minimum=0 if (scores["nps"].dropna() >= 0).all() else None,
                       title=_("Net Promoter Score by segment"))
        key = _Table([_("Segment"), _("Respondents"), _("% promoters"), _("% passives"),
                      _("% detractors"), _("NPS")],
                     [[self.segment(r.segment), self.number(r.n, 0), self.percent(r.pct_promoters),
                       self.percent(r.pct_passives), self.percent(r.pct_detractors),
                       self.number(r.nps, 0)] for r in scores.itertuples()])
        self.chart_and_table(_("Customer Net Promoter Score and its drivers"), chart, key,
                             note=self._nps_sentence(), share=0.4)

    # trend

    def trend_slides(self) -> None:
        _ = self._
        table = self.tables.get("trend")
        if table is None or table.empty:
            return
        before = self.params.previous.wave if self.params.previous is not None else None
        now = self.params.wave
        names = ((str(before), str(now)) if before and now else
                 (_("Previous wave"), _("This wave")))
        chart = _Chart(categories=[self.statement(i, short=True) for i in table["item"]],
                       series=[(names[0], [_rounded(v, 1) for v in table["mean_previous"]]),
                               (names[1], [_rounded(v, 1) for v in table["mean_current"]])],
                       decimals=1, horizontal=True, minimum=self.instrument.scale.min,
                       maximum=self.instrument.scale.max, title=_("Mean score per statement"))
        moved = table[table["change_mean"].notna()].assign(_size=table["change_mean"].abs())
        moved = moved.sort_values("_size", ascending=False, kind="stable").head(KEY_ROWS)
        key = _Table([_("Statement"), _("Mean, previous wave"), _("Mean, this wave"),
                      _("Change in mean"), _("p adjusted (mean)")],
                     [[self.statement(r.item), self.number(r.mean_previous),
                       self.number(r.mean_current), self.number(r.change_mean, sign=True),
                       self.p(r.p_adjusted_mean)] for r in moved.itertuples()])
        self.chart_and_table(_("Trend against the previous wave"), chart,
                             key if len(moved) else None)

    # appendix

    def quality_slides(self) -> None:
        _ = self._
        table = self.tables.get("data_quality")
        if table is None or table.empty:
            return
        counted = table[table["check"] == "respondents"]
        words = {"read from the file": _("Respondents read from the file"),
                 "excluded": _("Respondents excluded"), "analysed": _("Respondents analysed")}
        rows = [[words.get(str(r.detail), _capital(self.lang.gettext(str(r.detail)))),
                 self.number(r.count, 0)] for r in counted.itertuples()]
        reasons = table[table["check"] == "excluded"]
        rows += [[f"– {_capital(self.lang.gettext(str(r.detail)))}", self.number(r.count, 0)]
                 for r in reasons.itertuples()]
        slide, frame = self.content_slide(_("Appendix: data quality and methods"))
        half, _rest = frame.split(0.5, int(self.deck.slide_width * 0.02))
        _draw_table(slide, half, _Table([_("Check"), _("Count")], rows), self.accent)


# --- charts and tables ----------------------------------------------------------------------


@dataclass
class _Chart:
    """A native bar chart: categories, ``(name, values)`` per series (None: no bar)."""

    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    decimals: int = 1
    horizontal: bool = True
    labels: bool = False
    minimum: float | None = None
    maximum: float | None = None
    title: str = ""
    #: a legend even for one series (whose bars are then of a group, say)
    legend: bool = False

    def draw(self, slide: Any, frame: _Frame, accent: str) -> Any:
        from pptx.dml.color import RGBColor
        from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
        from pptx.util import Pt

        data = _new_chart_data(number_format=_number_format(self.decimals))
        data.categories = [_plain(c) for c in self.categories]
        for name, values in self.series:
            data.add_series(_plain(name), values)
        kind = XL_CHART_TYPE.BAR_CLUSTERED if self.horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
        shape = slide.shapes.add_chart(kind, frame.left, frame.top, frame.width, frame.height,
                                       data)
        chart = shape.chart
        chart.font.size = Pt(_chart_font(len(self.categories) * max(1, len(self.series)),
                                         frame))
        if self.title:
            chart.has_title = True
            chart.chart_title.text_frame.text = _plain(self.title)
            chart.chart_title.text_frame.paragraphs[0].font.size = Pt(12)
            chart.chart_title.text_frame.paragraphs[0].font.bold = True
        chart.has_legend = self.legend or len(self.series) > 1
        if chart.has_legend:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
        if self.horizontal:  # the first category at the top, as the report lists them
            chart.category_axis.reverse_order = True
        value_axis = chart.value_axis
        if self.minimum is not None:
            value_axis.minimum_scale = self.minimum
        if self.maximum is not None:
            value_axis.maximum_scale = self.maximum
        value_axis.has_major_gridlines = True
        value_axis.major_gridlines.format.line.color.rgb = RGBColor.from_string("D9D9D9")
        # whole ticks for scores and percentages (1, 2, ... 10), tenths for r and alpha
        value_axis.tick_labels.number_format = _number_format(0 if self.decimals <= 1 else 1)
        value_axis.tick_labels.number_format_is_linked = False
        plot = chart.plots[0]
        plot.gap_width = 60
        if len(self.series) > 1:
            plot.overlap = -10
        for index, series in enumerate(plot.series):
            fill = series.format.fill
            fill.solid()
            fill.fore_color.rgb = RGBColor.from_string(
                accent if index == 0 else _PALETTE[(index - 1) % len(_PALETTE)])
            series.invert_if_negative = False
        if self.labels:
            plot.has_data_labels = True
            plot.data_labels.number_format = _number_format(self.decimals)
            plot.data_labels.number_format_is_linked = False
            plot.data_labels.font.size = Pt(9)
        return chart


def _number_format(decimals: int) -> str:
    return "0" if decimals <= 0 else "0." + "0" * decimals


def _chart_font(bars: int, frame: _Frame) -> int:
    """Category labels small enough for the bars to have room: 10 pt, 8 pt when crowded."""
    inches = frame.height / _EMU_PER_INCH
    return 10 if bars <= inches * 5 else 8


def _chart_data_class() -> type:
    """python-pptx's CategoryChartData, its embedded workbook written with every label as
    text: XlsxWriter would otherwise store a label starting with "=" as a live formula, and
    one that looks like an address as a link."""
    from pptx.chart.data import CategoryChartData
    from pptx.chart.xlsx import CategoryWorkbookWriter
    from xlsxwriter import Workbook

    class TextOnlyWorkbookWriter(CategoryWorkbookWriter):
        @contextmanager
        def _open_worksheet(self, xlsx_file):
            workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False,
                                            "strings_to_numbers": False})
            worksheet = workbook.add_worksheet()
            yield workbook, worksheet
            workbook.close()

    class ChartData(CategoryChartData):
        @property
        def _workbook_writer(self):
            return TextOnlyWorkbookWriter(self)

    return ChartData


def _new_chart_data(**kwargs: Any) -> Any:
    return _chart_data_class()(**kwargs)


def _draw_table(slide: Any, frame: _Frame, table: _Table, accent: str) -> Any:
    """A native table: text columns share what the figure columns leave, figures set right."""
    from pptx.dml.color import RGBColor
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Pt

    size = _table_font(table, frame)
    while size is None and len(table.rows) > 1:  # even 7 pt is too tall: fewer rows
        table = _Table(table.header, table.rows[:-1], table.text)
        size = _table_font(table, frame)
    size = size or _SMALLEST
    widths = _column_widths(table, frame.width, size)
    rows = [table.header, *table.rows]
    heights = [_row_height(row, widths, size, _BOLD_EM if i == 0 else _CHAR_EM)
               for i, row in enumerate(rows)]
    shape = slide.shapes.add_table(len(rows), len(widths), frame.left, frame.top, sum(widths),
                                   sum(heights))
    grid = shape.table
    for index, width in enumerate(widths):
        grid.columns[index].width = width
    for r, (row, height) in enumerate(zip(rows, heights, strict=True)):
        grid.rows[r].height = height
        for c, text in enumerate(row):
            cell = grid.cell(r, c)
            cell.margin_left = cell.margin_right = _CELL_MARGIN
            cell.margin_top = cell.margin_bottom = int(_EMU_PER_INCH * 0.03)
            cell.text = _plain(text)
            paragraph = cell.text_frame.paragraphs[0]
            paragraph.font.size = Pt(size)
            paragraph.alignment = PP_ALIGN.LEFT if c in table.text else PP_ALIGN.RIGHT
            cell.fill.solid()
            if r == 0:
                paragraph.font.bold = True
                paragraph.font.color.rgb = RGBColor.from_string("FFFFFF")
                cell.fill.fore_color.rgb = RGBColor.from_string(accent)
            else:
                cell.fill.fore_color.rgb = RGBColor.from_string("F2F2F2" if r % 2 else "FFFFFF")
    return shape


_CELL_MARGIN = int(_EMU_PER_INCH * 0.05)
#: The width of an average character, in em, of the sans-serif fonts a deck is shown in
#: (Calibri is narrower; LibreOffice's stand-in, DejaVu Sans, wider).
_CHAR_EM = 0.56


#: The same for bold headings, and a little to spare.
_BOLD_EM = 0.8


def _text_width(characters: int, size: float, em: float = _CHAR_EM) -> int:
    """EMU that ``characters`` of a ``size`` pt font take, with a cell's margins."""
    return int(characters * size * em * 12700) + 2 * _CELL_MARGIN


def _column_widths(table: _Table, width: int, size: float) -> list[int]:
    """Figure columns as wide as their longest word or figure (so a heading breaks between
    words only), the text columns sharing the rest."""
    columns = len(table.header)
    widths = [0] * columns
    for c in range(columns):
        if c in table.text:
            continue
        heading = max([len(w) for w in table.header[c].split()] + [3])
        figure = max([len(row[c]) for row in table.rows] + [3])
        widths[c] = min(max(_text_width(heading, size, _BOLD_EM), _text_width(figure, size)),
                        int(width * 0.2))
    figures = sum(widths)
    if figures > width * 0.6:  # the text keeps at least 40% of the width
        widths = [int(w * width * 0.6 / figures) for w in widths]
    left = width - sum(widths)
    texts = [c for c in range(columns) if c in table.text] or [0]
    for c in texts:
        widths[c] = max(left // len(texts), _text_width(8, size))
    return widths


def _chars_per_line(width: int, size: float, em: float = _CHAR_EM) -> int:
    """About how many characters of a ``size`` pt sans-serif font fit in ``width`` EMU."""
    return max(3, int((width - 2 * _CELL_MARGIN) / (size * em * 12700)))


def _row_height(row: Sequence[str], widths: Sequence[int], size: float,
                em: float = _CHAR_EM) -> int:
    lines = max(_wrapped_lines(text, _chars_per_line(w, size, em))
                for text, w in zip(row, widths))
    return int(lines * size * 1.2 * 12700) + int(_EMU_PER_INCH * 0.08)


def _wrapped_lines(text: str, width: int) -> int:
    lines = 0
    for part in str(text).split("\n"):
        length, count = 0, 1
        for word in part.split():
            if length and length + 1 + len(word) > width:
                count, length = count + 1, len(word)
            else:
                length += len(word) + (1 if length else 0)
            count += max(0, (len(word) - 1) // width)  # a word longer than a line wraps too
        lines += count
    return max(1, lines)


_SMALLEST = 7


def _table_font(table: _Table, frame: _Frame) -> float | None:
    """The largest size (12 down to 7 pt) at which the table's rows fit the frame's height;
    None when they fit at none."""
    for size in range(12, _SMALLEST - 1, -1):
        widths = _column_widths(table, frame.width, size)
        height = _row_height(table.header, widths, size, _BOLD_EM) + sum(
            _row_height(row, widths, size) for row in table.rows)
        if height <= frame.height:
            return size
    return None


def _fit_size(lines: Sequence[tuple[str, bool]], frame: _Frame) -> int:
    """The largest size (16 down to 9 pt) at which these lines fit the text frame."""
    for size in (16, 15, 14, 13, 12, 11, 10, 9):
        per_line = max(4, int(frame.width / (size * _CHAR_EM * 12700)))
        total = sum(_wrapped_lines(text, per_line) for text, _bold in lines)
        if total * size * 1.3 * 12700 + len(lines) * size * 0.3 * 12700 <= frame.height:
            return size
    return 9


# --- text and placeholders ------------------------------------------------------------------


def _plain(text: object) -> str:
    """Client text as the XML of a slide can hold it; python-pptx escapes the rest."""
    return str(for_xlsx("" if text is None else str(text)))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fitting(shape: Any, lines: Sequence[str], largest: int, *, bold: bool = False) -> int:
    """The largest size up to ``largest`` pt at which ``lines`` fit in the shape (a long
    title in a template's placeholder, whose own size would overflow it); 12 pt at least."""
    em = _BOLD_EM if bold else _CHAR_EM
    inner = shape.width - int(_EMU_PER_INCH * 0.2)  # the text frame's own insets
    for size in range(largest, 11, -1):
        per_line = max(4, int(inner / (size * em * 12700)))
        rows = sum(_wrapped_lines(text, per_line) for text in lines)
        if rows * size * 1.2 * 12700 + _EMU_PER_INCH * 0.1 <= shape.height:
            return size
    return 12


def _set_text(shape: Any, lines: Sequence[str], *, size: float | None = None,
              color: str | None = None, bold: bool = False, bold_last: bool = False) -> None:
    """Put ``lines`` in a shape as plain paragraphs (the template's style unless given)."""
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    frame = shape.text_frame
    frame.word_wrap = True
    frame.text = ""
    for index, text in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = _plain(text)
        if size is not None:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = RGBColor.from_string(color)
        if bold or (bold_last and index == len(lines) - 1):
            run.font.bold = True


def _set_lines(shape: Any, lines: Sequence[tuple[str, bool]], *, size: int) -> None:
    from pptx.util import Pt

    frame = shape.text_frame
    frame.word_wrap = True
    for index, (text, bold) in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = _plain(text)
        run.font.size = Pt(size)
        run.font.bold = bold
        if bold and index:
            paragraph.space_before = Pt(size * 0.6)


def _keep_inside(shape: Any, width: int, height: int, fallback: _Frame) -> None:
    """A placeholder of the template that reaches past the slide is cut to fit on it."""
    if None in (shape.left, shape.top, shape.width, shape.height) or (
            shape.width < width * 0.1 or shape.height < height * 0.03):
        _place(shape, fallback)  # none, or too small to hold its text
        return
    left, top = min(max(0, shape.left), width - 1), min(max(0, shape.top), height - 1)
    frame = _Frame(left, top, min(shape.width, width - left), min(shape.height, height - top))
    if frame != _Frame(shape.left, shape.top, shape.width, shape.height):
        _place(shape, frame)


def _place(shape: Any, frame: _Frame) -> None:
    shape.left, shape.top, shape.width, shape.height = (frame.left, frame.top, frame.width,
                                                        frame.height)


def _placeholder(slide: Any, kinds: Iterable[str]) -> Any:
    """The slide's first placeholder of the first of ``kinds`` it has (None if none)."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    for kind in kinds:
        for placeholder in slide.placeholders:
            if placeholder.placeholder_format.type == getattr(PP_PLACEHOLDER, kind):
                return placeholder
    return None


def _layout_kinds(layout: Any) -> list[str]:
    from pptx.enum.shapes import PP_PLACEHOLDER

    kinds = []
    for placeholder in layout.placeholders:
        kind = placeholder.placeholder_format.type
        for name in ("CENTER_TITLE", "TITLE", "SUBTITLE", "BODY", "OBJECT"):
            if kind == getattr(PP_PLACEHOLDER, name):
                kinds.append(name)
    return kinds


def _layouts(deck: Any) -> tuple[Any, Any]:
    """The title layout (a centred title and a subtitle) and the content layout (a title and
    one body), by their placeholders, whatever the template names them; else the closest."""
    layouts = list(deck.slide_layouts)

    def score_title(layout: Any) -> int:
        kinds = _layout_kinds(layout)
        return 2 * ("CENTER_TITLE" in kinds) + ("SUBTITLE" in kinds) + ("TITLE" in kinds)

    def score_content(layout: Any) -> tuple[int, int]:
        kinds = _layout_kinds(layout)
        bodies = sum(k in ("BODY", "OBJECT") for k in kinds)
        return (2 * ("TITLE" in kinds) + (bodies == 1), -len(kinds))

    title = max(layouts, key=score_title)  # max keeps the first of equals: the master's order
    content = max(layouts, key=score_content)
    return title, content


__all__ = ["DECK_FILE", "build_deck", "open_template", "read_tables", "write_deck"]
