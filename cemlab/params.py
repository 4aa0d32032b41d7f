"""The per-client parameters file (``params/<client>.yaml``), validated before anything runs.

`load_params` checks every key, type and path and names the key and the file on error;
`load_client` then reads the client's data (main survey, optional feedback and previous wave).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cemlab._yaml import YamlProblem, parse_yaml
from cemlab.benchmarks import list_benchmarks
from cemlab.exceptions import CemlabError, ParamsError
from cemlab.instrument import (
    SLUG_PATTERN,
    Instrument,
    KeyProblem,
    describe_validation_error,
    labels_as_text,
    list_instruments,
    load_instrument,
    not_an_instrument,
)
from cemlab.io import EXTRA_FIELDS, load
from cemlab.survey import Survey

#: The smallest min_group_size a params file may set without ``allow_small_groups: true``.
SMALLEST_SAFE_GROUP = 3

#: A report section; `Params.sections` lists them in report order (default: all).
Section = Literal[
    "cover",
    "findings",
    "agreement",
    "scorecard",
    "correlations",
    "reliability",
    "nps",
    "trend",
    "quality",
]
SECTIONS: tuple[str, ...] = get_args(Section)


def _base_folder(info: ValidationInfo) -> Path:
    return (info.context or {}).get("folder", Path.cwd())


def _absolute(value: str | Path, info: ValidationInfo) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = _base_folder(info) / path
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop (RuntimeError before 3.13)
        raise ValueError(
            f"{path} cannot be followed ({exc}). Fix: point the params file at the file itself, "
            "not at a link that leads back to itself"
        ) from None


def _existing_file(value: Any, info: ValidationInfo) -> Path:
    """A path relative to the params file's folder, made absolute; it must be a file."""
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ValueError("must be a file path (text)")
    path = _absolute(value, info)
    try:
        path.stat()
    except FileNotFoundError:
        pass  # said below, with where paths are relative to
    except OSError as exc:  # a name too long, a folder we may not enter, a loop
        raise ValueError(f"{path} cannot be read ({exc.strerror}). Fix: check the path") from None
    if path.is_dir():
        files = sorted(f.name for f in path.iterdir() if f.is_file() and not f.name.startswith("."))
        listed = ", ".join(files[:5]) + (", ..." if len(files) > 5 else "")
        raise ValueError(
            f"{path} is a folder, but {info.field_name} needs a file. Fix: give the path of the "
            "file itself" + (f", e.g. one of the files in it ({listed})" if files else "")
        )
    if not path.is_file():
        raise ValueError(f"no such file: {path} (paths are relative to the params file's folder)")
    return path


def _instrument_ref(value: Any, info: ValidationInfo) -> str:
    """A built-in instrument name stays a name; anything else is a path made absolute."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a built-in instrument name or a path to an instrument YAML")
    if value in list_instruments():
        reference = value
    else:
        path = _absolute(value, info)
        if not path.is_file():
            raise ValueError(not_an_instrument(value, path))
        reference = str(path)
    try:
        load_instrument(reference)
    except CemlabError as exc:  # a consultant's instrument file that is malformed
        raise ValueError(str(exc)) from None
    return reference


def _text_label(value: Any) -> Any:
    """YAML reads ``wave: 2026`` as a number; a wave label is text either way."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _slug_text(value: Any) -> Any:
    """YAML reads ``client: 2026`` as a number; digits are a valid slug, so it is text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _path_or_mapping(value: Any) -> Any:
    """``feedback: data/acme-nps.csv`` is short for ``feedback: {data: data/acme-nps.csv}``."""
    return {"data": value} if isinstance(value, str) else value


def _sheet_ref(value: Any) -> Any:
    """A sheet name or 0-based position; not true/false or a fraction, which YAML may give."""
    if value is None or isinstance(value, str) or (
        isinstance(value, int) and not isinstance(value, bool)
    ):
        return value
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    raise ValueError(
        f"must be a sheet name or a 0-based sheet position, got {shown}. Fix: write the name in "
        "quotes (sheet: 'Responses') or a whole number (sheet: 0 for the first sheet)"
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CutSpec(_Strict):
    """One demographic cut: its column (default: named like the cut) and label mapping.

    ``labels``: category -> the labels the client's file uses for it; without it the values
    are the categories as written.
    """

    column: str | None = None
    labels: dict[str, list[str]] | None = None

    _labels_as_text = field_validator("labels", mode="before")(labels_as_text)


def _cut_shorthand(value: Any) -> Any:
    """``cuts: [department]`` and ``cuts: {department: Dział}`` are short for the mapping form."""
    if isinstance(value, list):
        return {str(name): {} for name in value}
    if isinstance(value, dict):
        return {name: {"column": spec} if isinstance(spec, str) else ({} if spec is None else spec)
                for name, spec in value.items()}
    return value


def _codes_as_text(value: Any) -> Any:
    """``exclude_labels: [3]`` (an SPSS code) means the label "3"."""
    return labels_as_text({"": value})[""] if isinstance(value, list) else value


def _comments_shorthand(value: Any) -> Any:
    """``comments: [Why?]`` names each comment after its column."""
    if isinstance(value, list):
        return {str(column): column for column in value}
    return value


#: Image types a cover logo may be, by suffix, with the bytes each file type starts with.
LOGO_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".svg": ("image/svg+xml", (b"<?xml", b"<svg")),
}


def _logo_file(value: Any, info: ValidationInfo) -> Path | None:
    """An existing image file (PNG, JPEG, GIF or SVG) whose content is what its name says."""
    if value is None:
        return None
    path = _existing_file(value, info)
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"{path} is not an image cemlab can put on a cover. Fix: give a "
            f"{', '.join(s.lstrip('.').upper() for s in LOGO_TYPES)} file"
        )
    with path.open("rb") as handle:
        start = handle.read(256).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(kind[1]):
        raise ValueError(
            f"{path} is named {path.suffix} but its content is not a "
            f"{path.suffix.lstrip('.').upper()} image. Fix: export the logo "
            "again as that type, or give the file the suffix of its real type"
        )
    return path


def _pptx_file(value: Any, info: ValidationInfo) -> Path | None:
    """An existing PowerPoint file (.pptx: a zip holding ``ppt/presentation.xml``)."""
    if value is None:
        return None
    path = _existing_file(value, info)
    fix = ("Fix: open the consultancy's master in PowerPoint and save it as a PowerPoint "
           "Presentation (.pptx)")
    if path.suffix.lower() != ".pptx":
        raise ValueError(f"{path} is not a .pptx file. {fix}")
    try:
        with zipfile.ZipFile(path) as package:
            package.getinfo("ppt/presentation.xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        raise ValueError(f"{path} is named .pptx but is not a PowerPoint presentation. "
                         f"{fix}") from None
    return path


class Branding(_Strict):
    """Who delivers the report, as its cover shows: the consultancy's name, logo and colour.

    ``logo``: an image file (PNG, JPEG, GIF, SVG), relative to the params file; it is
    embedded in the report, so the HTML still opens from an e-mail attachment.
    ``accent``: the colour of the cover's rule and headings, as ``#rrggbb``.
    ``pptx_template``: the consultancy's PowerPoint master (.pptx), relative to the params
    file; ``report.pptx`` uses its slide size and layouts (see `cemlab.deck`).
    """

    name: str = Field(default="Customer Experience Management review", min_length=1)
    logo: Path | None = None
    accent: str = Field(default="#3b4f6b", pattern=r"^#[0-9a-fA-F]{6}$")
    pptx_template: Path | None = None

    _logo = field_validator("logo", mode="before")(_logo_file)
    _pptx_template = field_validator("pptx_template", mode="before")(_pptx_file)

    def shown_name(self, gettext: Callable[[str], str]) -> str:
        """The name as a report shows it: cemlab's own default is text of the report, in its
        language (``gettext``); a consultancy's name is kept as written."""
        default = type(self).model_fields["name"].default
        return gettext(default) if self.name == default else self.name


class _DataSource(_Strict):
    """A survey file and how to read it; shared by the main data, feedback and previous wave."""

    data: Path
    sheet: str | int | None = None
    columns: dict[str, str | None] | None = None
    group_labels: dict[str, list[str]] | None = None
    exclude_labels: list[str] | None = None
    cuts: dict[str, CutSpec] | None = None
    comments: dict[str, str] | None = None

    _cuts = field_validator("cuts", mode="before")(_cut_shorthand)
    _comments = field_validator("comments", mode="before")(_comments_shorthand)
    _exclude_as_text = field_validator("exclude_labels", mode="before")(_codes_as_text)

    _data_file = field_validator("data", mode="before")(_existing_file)
    _sheet = field_validator("sheet", mode="before")(_sheet_ref)
    _labels_as_text = field_validator("group_labels", mode="before")(labels_as_text)


class FeedbackSource(_DataSource):
    """Customer-feedback data (NPS and journey satisfaction), read with its own instrument."""

    instrument: str = "customer-feedback"

    _instrument = field_validator("instrument", mode="before")(_instrument_ref)

    @model_validator(mode="after")
    def _fits_instrument(self) -> FeedbackSource:
        instrument = load_instrument(self.instrument)
        _check_fields(instrument, self.columns, self.group_labels, nested=True)
        return self


class PreviousSource(_DataSource):
    """Last wave's data, read with the main instrument; columns/group_labels default to main's.

    ``feedback``: last wave's customer feedback, for the change in NPS (a path or a mapping,
    as the main ``feedback``); its instrument, columns and group labels default to the main
    feedback's.
    """

    wave: str | None = None
    feedback: FeedbackSource | None = None

    _wave = field_validator("wave", mode="before")(_text_label)
    _feedback = field_validator("feedback", mode="before")(_path_or_mapping)


class Params(_Strict):
    """One client's parameters. Paths are absolute once loaded (relative to the params file)."""

    client: str = Field(pattern=SLUG_PATTERN, description="slug: letters, digits, - and _")
    title: str = Field(min_length=1)
    data: Path
    instrument: str = "cem-maturity"
    sheet: str | int | None = None
    columns: dict[str, str | None] = Field(default_factory=dict)
    group_labels: dict[str, list[str]] = Field(default_factory=dict)
    exclude_labels: list[str] = Field(default_factory=list)
    cuts: dict[str, CutSpec] = Field(default_factory=dict)
    comments: dict[str, str] = Field(default_factory=dict)
    target: StrictFloat | None = None
    min_group_size: StrictInt = Field(default=5, ge=1)
    allow_small_groups: StrictBool = False
    wave: str | None = None
    feedback: FeedbackSource | None = None
    previous: PreviousSource | None = None
    sections: list[Section] = Field(default_factory=lambda: list(SECTIONS))
    benchmark: str = "polska-2008"
    language: Literal["en", "pl"] = "en"
    paper: Literal["a4", "letter"] = "a4"
    branding: Branding = Field(default_factory=Branding)

    _path: Path | None = PrivateAttr(default=None)

    _client = field_validator("client", mode="before")(_slug_text)
    _data_file = field_validator("data", mode="before")(_existing_file)
    _sheet = field_validator("sheet", mode="before")(_sheet_ref)
    _instrument = field_validator("instrument", mode="before")(_instrument_ref)
    _labels_as_text = field_validator("group_labels", mode="before")(labels_as_text)
    _wave = field_validator("wave", mode="before")(_text_label)
    _cuts = field_validator("cuts", mode="before")(_cut_shorthand)
    _comments = field_validator("comments", mode="before")(_comments_shorthand)
    _exclude_as_text = field_validator("exclude_labels", mode="before")(_codes_as_text)

    _data_sources = field_validator("feedback", "previous", mode="before")(_path_or_mapping)

    @field_validator("columns", "group_labels", "previous")
    @classmethod
    def _fit_main_instrument(cls, value: Any, info: ValidationInfo) -> Any:
        """Items and levels named must be the main instrument's (the previous wave's too)."""
        if value is None or "instrument" not in info.data:  # no instrument: already an error
            return value
        instrument = load_instrument(info.data["instrument"])
        if isinstance(value, PreviousSource):
            _check_fields(instrument, value.columns, value.group_labels, nested=True)
        elif info.field_name == "columns":
            _check_fields(instrument, value, None)
        else:
            _check_fields(instrument, None, value)
        return value

    @model_validator(mode="after")
    def _small_groups_said_aloud(self) -> Params:
        """A min_group_size below `SMALLEST_SAFE_GROUP` must be asked for in so many words.

        With groups of one or two, a respondent can read a colleague's answers off a group
        figure; a typo (``min_group_size: 1``) must not switch that protection off. The
        report's cover prints ``allow_small_groups`` when it is true.
        """
        if self.min_group_size < SMALLEST_SAFE_GROUP and not self.allow_small_groups:
            raise KeyProblem(
                f"{self.min_group_size} is below {SMALLEST_SAFE_GROUP}: reports would show "
                f"figures of groups of {self.min_group_size}, from which a respondent can read "
                f"a colleague's answers. Fix: use min_group_size: {SMALLEST_SAFE_GROUP} or "
                "more, or, if the client accepts it, add allow_small_groups: true (the "
                "report's cover then says so)",
                ("min_group_size",),
            )
        return self

    @field_validator("target")
    @classmethod
    def _on_the_scale(cls, target: float | None, info: ValidationInfo) -> float | None:
        if target is None or "instrument" not in info.data:
            return target
        instrument = load_instrument(info.data["instrument"])
        low, high = instrument.scale.min, instrument.scale.max
        if not low <= target <= high:
            raise ValueError(
                f"{target:g} is outside the {low}-{high} scale of instrument {instrument.name!r}"
            )
        return target

    @field_validator("sections")
    @classmethod
    def _no_repeats(cls, sections: list[str]) -> list[str]:
        repeated = sorted({s for s in sections if sections.count(s) > 1})
        if repeated:
            raise ValueError(f"section(s) listed twice: {', '.join(repeated)}")
        return sections

    @field_validator("benchmark", mode="before")
    @classmethod
    def _benchmark(cls, value: Any, info: ValidationInfo) -> str:
        """A shipped benchmark name, or a CSV path (relative to the params file) made absolute."""
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a benchmark name or a path to a CSV file")
        if value.lower().endswith(".csv") or "/" in value or "\\" in value:
            return str(_existing_file(value, info))
        shipped = list_benchmarks()
        if value not in shipped:
            raise ValueError(f"unknown benchmark {value!r}; shipped: {', '.join(shipped)}")
        return value

    # -- derived -----------------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The params file this was loaded from (None when built in code)."""
        return self._path

    def notebook_parameters(self, *, relative: bool = False) -> dict[str, Any]:
        """Plain JSON-able values for a papermill parameters cell.

        Validated again (`cemlab.report.load_report_client`), they give back these params and
        the same `data_files`: ``previous.feedback`` carries only the keys the file gave, since
        what it leaves out comes from the main feedback and a default sent explicitly would
        override that. Paths are absolute text; with ``relative``, relative to the params
        file's folder as a consultant writes them (for a notebook that is kept, such as a
        report's audit copy, which then names no machine's folders), and ``params_file`` is
        left for the caller to set.
        """
        values = self.model_dump(mode="json")
        if self.previous is not None and self.previous.feedback is not None:
            values["previous"]["feedback"] = self.previous.feedback.model_dump(
                mode="json", exclude_unset=True
            )
        values["params_file"] = str(self._path) if self._path else None
        if relative and self._path is not None:
            folder = self._path.parent
            for block in (values, values["feedback"], values["previous"],
                          (values["previous"] or {}).get("feedback"), values["branding"]):
                for key in ("data", "instrument", "benchmark", "logo", "pptx_template"):
                    if block and isinstance(block.get(key), str) and Path(block[key]).is_absolute():
                        block[key] = _relative_path(block[key], folder)
            values["params_file"] = None
        return values


def _relative_path(path: str, folder: Path) -> str:
    """``path`` relative to ``folder``, always with a slash (``./x.csv``), so that it is read
    back as a path, never as the name of a built-in instrument or benchmark."""
    relative = Path(os.path.relpath(path, folder)).as_posix()
    return relative if "/" in relative else f"./{relative}"


def _check_fields(
    instrument: Instrument,
    columns: dict[str, str | None] | None,
    group_labels: dict[str, list[str]] | None,
    *,
    nested: bool = False,
) -> None:
    """Keys of ``columns`` and ``group_labels`` must name the instrument's items and levels.

    ``nested``: checking a feedback or previous-wave block, whose message must say which key.
    """
    columns_key, labels_key = ("columns: ", "group_labels: ") if nested else ("", "")
    fields = set(instrument.item_ids) | {instrument.groups.column, "group", *EXTRA_FIELDS}
    if instrument.recommend is not None:
        fields.add(instrument.recommend.id)
    unknown = sorted(set(columns or {}) - fields)
    if unknown:
        raise ValueError(
            f"{columns_key}{', '.join(repr(k) for k in unknown)} not an item of instrument "
            f"{instrument.name!r} nor one of {instrument.groups.column}, group, "
            f"{', '.join(EXTRA_FIELDS)} (item ids: {', '.join(instrument.item_ids)})"
        )
    for key in (instrument.groups.column, "group"):
        if key in (columns or {}) and columns[key] is None:
            raise ValueError(f"{columns_key}{key} cannot be null, every respondent needs a group")
    bad = sorted(set(group_labels or {}) - set(instrument.groups.levels))
    if bad:
        raise ValueError(
            f"{labels_key}{', '.join(repr(k) for k in bad)} not a level of instrument "
            f"{instrument.name!r} (levels: {', '.join(instrument.groups.levels)})"
        )
    conflict = instrument.groups.label_conflict(group_labels) if group_labels else None
    if conflict:
        raise ValueError(f"{labels_key}{conflict}")


def load_params(path: str | Path) -> Params:
    """Read and validate a client's params YAML; every error names the file and the key.

    Raises
    ------
    ParamsError
        The file is missing or not YAML, a key is unknown or misspelt, a value has the wrong
        type, a data or instrument file it names does not exist, or `columns`/`group_labels`
        name items or levels the instrument does not have.
    """
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: no such params file. Fix: check the path")
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ParamsError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except YamlProblem as exc:
        raise ParamsError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise ParamsError(
            f"{path}: a params file must be a YAML mapping with at least client, title and data"
        )
    try:
        params = Params.model_validate(data, context={"folder": path.resolve().parent})
    except ValidationError as exc:
        raise ParamsError(f"{path}: {describe_validation_error(exc, data, Params)}") from None
    params._path = path.resolve()
    return params


@dataclass(frozen=True)
class DataFile:
    """One data file the params name, with everything needed to read it.

    ``role`` is "survey" (the main data), "feedback", "previous" or "previous_feedback". The
    previous wave is read with the main instrument and, unless it says otherwise, the main
    columns and group labels; feedback files with their own.
    """

    role: str
    data: Path
    instrument: str
    columns: dict[str, str | None]
    group_labels: dict[str, list[str]]
    sheet: str | int | None
    wave: str | None
    min_group_size: int
    exclude_labels: list[str] | None = None
    cuts: dict[str, CutSpec] | None = None
    comments: dict[str, str] | None = None

    def load(self) -> Survey:
        """Read the file into a Survey; labels it with ``wave`` when it has no wave column."""
        survey = load(
            self.data,
            self.instrument,
            columns=self.columns,
            group_labels=self.group_labels,
            sheet=self.sheet,
            min_group_size=self.min_group_size,
            exclude_labels=self.exclude_labels,
            cuts={name: spec.model_dump() for name, spec in (self.cuts or {}).items()},
            comments=self.comments,
        )
        if self.wave is not None and "wave" not in survey.responses.columns:
            survey.responses["wave"] = pd.Series(
                self.wave, index=survey.responses.index, dtype="str"
            )
        return survey


def data_files(params: Params) -> list[DataFile]:
    """The main data, then feedback, previous wave and its feedback when given, in that order."""
    files = [
        DataFile("survey", params.data, params.instrument, dict(params.columns),
                 dict(params.group_labels), params.sheet, params.wave, params.min_group_size,
                 params.exclude_labels, params.cuts, params.comments)
    ]
    if params.feedback is not None:
        fb = params.feedback
        files.append(
            DataFile("feedback", fb.data, fb.instrument, dict(fb.columns or {}),
                     dict(fb.group_labels or {}), fb.sheet, params.wave, params.min_group_size,
                     fb.exclude_labels, fb.cuts, fb.comments)
        )
    if params.previous is not None:
        prev = params.previous
        files.append(
            DataFile(
                "previous",
                prev.data,
                params.instrument,
                dict(params.columns if prev.columns is None else prev.columns),
                dict(params.group_labels if prev.group_labels is None else prev.group_labels),
                prev.sheet,
                prev.wave,
                params.min_group_size,
                # the previous wave is read like this one unless it says otherwise
                params.exclude_labels if prev.exclude_labels is None else prev.exclude_labels,
                params.cuts if prev.cuts is None else prev.cuts,
                params.comments if prev.comments is None else prev.comments,
            )
        )
        if prev.feedback is not None:
            fb = prev.feedback
            # what it leaves out comes from this wave's feedback: read both waves alike
            main = params.feedback
            given = fb.model_fields_set
            instrument = (fb.instrument if main is None or "instrument" in given
                          else main.instrument)
            columns = fb.columns if fb.columns is not None or main is None else main.columns
            labels = (fb.group_labels if fb.group_labels is not None or main is None
                      else main.group_labels)
            files.append(
                DataFile("previous_feedback", fb.data, instrument, dict(columns or {}),
                         dict(labels or {}), fb.sheet, prev.wave, params.min_group_size,
                         fb.exclude_labels, fb.cuts, fb.comments)
            )
    return files


@dataclass
class Client:
    """A client's params and the surveys they point to, loaded and validated."""

    params: Params
    survey: Survey
    feedback: Survey | None = None
    previous: Survey | None = None
    previous_feedback: Survey | None = None


def load_client(params_or_path: Params | str | Path) -> Client:
    """Load a client's params (unless given) and read its main, feedback and previous data.

    The main survey and its feedback, and the previous wave and its feedback, get a ``wave``
    column from ``wave`` / ``previous.wave`` when their files have none. Raises `ParamsError`
    or `DataError`.
    """
    params = (
        params_or_path if isinstance(params_or_path, Params) else load_params(params_or_path)
    )
    surveys = {f.role: f.load() for f in data_files(params)}
    return Client(
        params=params,
        survey=surveys["survey"],
        feedback=surveys.get("feedback"),
        previous=surveys.get("previous"),
        previous_feedback=surveys.get("previous_feedback"),
    )
