"""Questionnaire definitions: items, dimensions, scale, agreement bands and respondent groups.

An instrument is a YAML file (see the README, "The instrument format"). Two ship with cemlab
(`cem-maturity`, `customer-feedback`); a consultant's own file loads the same way.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Iterable, Mapping
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from cemlab._yaml import YamlProblem, parse_yaml, shorten
from cemlab.exceptions import InstrumentError

_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

#: A client slug (params ``client``): letters, digits, ``-`` and ``_``.
SLUG_PATTERN = r"^[A-Za-z0-9_-]+$"


class KeyProblem(ValueError):
    """A consistency error found above the key at fault; ``loc`` is the key's path below it.

    A model validator sees the whole instrument, so pydantic would report its errors at the
    top level; `describe_validation_error` adds ``loc`` to name the key instead.
    """

    def __init__(self, message: str, loc: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.loc = loc


def labels_as_text(value: Any) -> Any:
    """Group labels are compared as text: ``staff: [1, 2]`` (SPSS codes) means "1" and "2".

    YAML reads unquoted codes as numbers; true/false (YAML's reading of yes/no) stay as they
    are, so that validation asks for quotes rather than guess which word was written.
    """
    if not isinstance(value, dict):
        return value
    return {
        level: [_code_as_text(label) for label in labels] if isinstance(labels, list) else labels
        for level, labels in value.items()
    }


def _code_as_text(label: Any) -> Any:
    if isinstance(label, bool):
        return label
    if isinstance(label, int):
        return str(label)
    if isinstance(label, float):
        return str(int(label)) if label.is_integer() else str(label)
    return label


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: The most points a scale in instrument YAML may have: 0-100 is the widest a questionnaire
#: uses, and validation walks the scale point by point (1-100,000,000 would take minutes).
MAX_SCALE_POINTS = 101


class Scale(_Strict):
    """The answer scale of an item: whole numbers from ``min`` to ``max``."""

    min: StrictInt
    max: StrictInt

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        return self

    def reverse(self, value: float) -> float:
        """Reverse-key a score: ``min + max - value``."""
        return self.min + self.max - value


class Bands(_Strict):
    """Which scores count as disagree, neutral and agree, each an inclusive ``[low, high]``.

    ``neutral`` may be omitted (an even scale with no midpoint, e.g. 1-4 or 1-6).
    """

    disagree: tuple[StrictFloat, StrictFloat]
    neutral: tuple[StrictFloat, StrictFloat] | None = None
    agree: tuple[StrictFloat, StrictFloat]

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        bands = [self.disagree] + ([self.neutral] if self.neutral else []) + [self.agree]
        for low, high in bands:
            if high < low:
                raise ValueError(f"band [{low}, {high}] runs backwards")
        for (_, high), (low, _) in zip(bands, bands[1:]):
            if low <= high:
                raise ValueError("bands must not overlap and must run disagree < neutral < agree")
        return self

    def first_gap(self, scale: Scale) -> int | None:
        """The first whole score on ``scale`` that falls in no band, or None when all do."""
        for score in range(scale.min, scale.max + 1):
            if self.band_of(score) is None:
                return score
        return None

    def band_of(self, score: float) -> str | None:
        """The band name of a score, or None when it lies outside every band."""
        for name in ("disagree", "neutral", "agree"):
            band = getattr(self, name)
            if band is not None and band[0] <= score <= band[1]:
                return name
        return None


class Groups(_Strict):
    """The respondent-group column (e.g. ``role``) and its levels, in reporting order."""

    column: str = Field(pattern=_ID_PATTERN)
    levels: list[str] = Field(min_length=1)
    labels: dict[str, list[str]] = Field(default_factory=dict)

    _labels_as_text = field_validator("labels", mode="before")(labels_as_text)

    @model_validator(mode="after")
    def _labels_known(self) -> Groups:
        for position, level in enumerate(self.levels):
            if level in self.levels[:position]:
                raise KeyProblem(
                    f"level {level!r} is listed twice. Fix: list each level once, e.g. "
                    f"levels: [{', '.join(dict.fromkeys(self.levels))}]",
                    ("levels",),
                )
        unknown = set(self.labels) - set(self.levels)
        if unknown:
            raise ValueError(f"labels given for unknown levels {sorted(unknown)}")
        problem = self.label_conflict()
        if problem:
            raise KeyProblem(problem, ("labels",))
        return self

    def label_conflict(
        self, labels: Mapping[str, Iterable[str]] | None = None, given_in: str = "group_labels"
    ) -> str | None:
        """Why ``labels`` (level -> labels, on top of these groups' own) would misfile people.

        ``given_in`` names where ``labels`` come from in the messages (a params key).

        A label equal to another level's name (``management: [staff]`` moves every staff
        member into management) or listed under two levels, here or in ``groups.labels``, is
        a conflict: the loader would silently keep one reading. Labels are compared as the
        loader compares them, ignoring case, accents and punctuation. None when all is well.
        """
        # imported here: cemlab.io imports this module, so it cannot be imported at the top
        from cemlab.io.text import normalize_text

        # normalised label -> (its level, where it was given; None for the level's own name)
        owner: dict[str, tuple[str, str | None]] = {
            normalize_text(level): (level, None) for level in self.levels
        }
        sources = [(self.labels, "the instrument's groups.labels")]
        if labels is not None:
            sources.append((labels, given_in))
        for source, where in sources:
            for level, texts in source.items():
                for text in texts:
                    norm = normalize_text(text)
                    other, given_in = owner.setdefault(norm, (level, where))
                    if other == level:
                        continue
                    shown = shorten(repr(text), 60)
                    if given_in is None:
                        return (
                            f"label {shown} under {level!r} is the name of the level "
                            f"{other!r}: every {other} respondent would be counted as {level}. "
                            f"Fix: remove {shown} from {level!r}"
                        )
                    return (
                        f"label {shown} is under {level!r} and also under {other!r} "
                        f"(in {given_in}): its respondents would silently go to one of them. "
                        "Fix: keep the label under one level only"
                    )
        return None


#: A text in each report language it is given in: ``{en: ..., pl: ...}`` (English required).
Translations = dict[Literal["en", "pl"], Annotated[str, Field(min_length=1)]]


def _per_language(key: str) -> Any:
    """A before-validator: ``key: {en: ..., pl: ...}`` becomes ``key`` (the English text) plus
    ``<key>_by_language`` (every language), so code reading ``item.text`` keeps the English."""

    def split(data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            texts = data[key]
            if not texts.get("en"):
                raise ValueError(
                    f"{key} given per language needs its English text too (en: ...), the "
                    "language the statements are matched and reported in by default"
                )
            data = {**data, key: texts.get("en"), f"{key}_by_language": texts}
        return data

    return model_validator(mode="before")(split)


#: How `Instrument.describe` marks an item's ``source``.
_SOURCE_NOTES = {"study": "study", "cemlab": "written for cemlab"}


class Item(_Strict):
    """One statement respondents rate.

    ``text`` may be given per language (``{en: ..., pl: ...}``); ``short`` is the label a chart
    shows (one text or per language), the full statement staying in the tables.
    """

    id: str = Field(pattern=_ID_PATTERN)
    text: str = Field(min_length=1)
    text_by_language: Translations = Field(default_factory=dict)
    short: Annotated[str, Field(min_length=1)] | Translations | None = None
    source: Literal["study", "cemlab"]
    paraphrased: StrictBool = False
    reverse: StrictBool = False
    scale: Scale | None = None
    bands: Bands | None = None

    _split_text = _per_language("text")


class Dimension(_Strict):
    """A group of items measuring one practice (e.g. leadership); ``title`` may be per language."""

    id: str = Field(pattern=_ID_PATTERN)
    title: str = Field(min_length=1)
    title_by_language: Translations = Field(default_factory=dict)
    items: list[Item] = Field(min_length=1)

    _split_title = _per_language("title")


class RecommendItem(_Strict):
    """The 0-10 likelihood-to-recommend question behind Net Promoter Score."""

    id: str = Field(pattern=_ID_PATTERN)
    text: str = Field(min_length=1)
    text_by_language: Translations = Field(default_factory=dict)
    short: Annotated[str, Field(min_length=1)] | Translations | None = None
    source: Literal["study", "cemlab"] = "cemlab"
    scale: Scale = Scale(min=0, max=10)

    _split_text = _per_language("text")

    @field_validator("scale")
    @classmethod
    def _zero_to_ten(cls, scale: Scale) -> Scale:
        if (scale.min, scale.max) != (0, 10):
            raise ValueError("the recommend item must use the 0-10 scale")
        return scale


class Instrument(_Strict):
    """A questionnaire: scale, bands, groups, dimensions of items, optional recommend item."""

    name: str = Field(min_length=1)
    title: str | None = None
    description: str | None = None
    scale: Scale
    bands: Bands
    groups: Groups
    dimensions: list[Dimension] = Field(min_length=1)
    recommend: RecommendItem | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        """Unique ids, and every whole score of every item's scale in exactly one band.

        Each error names the key to change (`KeyProblem`), e.g. ``bands`` or
        ``dimensions[leadership].items[q1].id``.
        """
        first_dimension: dict[str, int] = {}
        for d, dim in enumerate(self.dimensions):
            if dim.id in first_dimension:
                first = first_dimension[dim.id] + 1
                raise KeyProblem(
                    f"dimension id {dim.id!r} is used twice (dimensions {first} and {d + 1} in "
                    "order). Fix: give each dimension its own id",
                    ("dimensions", d, "id"),
                )
            first_dimension[dim.id] = d
        gap = self.bands.first_gap(self.scale)
        if gap is not None:
            raise KeyProblem(_gap_message(gap, self.scale), ("bands",))
        dimension_of: dict[str, str] = {}
        for d, dim in enumerate(self.dimensions):
            for i, item in enumerate(dim.items):
                where = ("dimensions", d, "items", i)
                if item.id in dimension_of:
                    raise KeyProblem(
                        f"item id {item.id!r} is used twice (first in dimension "
                        f"{dimension_of[item.id]!r}). Fix: give each item its own id",
                        (*where, "id"),
                    )
                dimension_of[item.id] = dim.id
                scale = item.scale or self.scale
                gap = (item.bands or self.bands).first_gap(scale)
                if gap is None:
                    continue
                if item.bands is None:
                    raise KeyProblem(
                        f"item {item.id!r} has its own {scale.min}-{scale.max} scale, but score "
                        f"{gap} of it is in none of the instrument's bands. Fix: give the item "
                        f"its own bands covering {scale.min} to {scale.max}",
                        (*where, "bands"),
                    )
                raise KeyProblem(f"item {item.id!r}: {_gap_message(gap, scale)}", (*where, "bands"))
        if self.recommend is not None and self.recommend.id in dimension_of:
            raise KeyProblem(
                f"recommend id {self.recommend.id!r} is also an item id (dimension "
                f"{dimension_of[self.recommend.id]!r}). Fix: give the recommend item its own id",
                ("recommend", "id"),
            )
        return self

    # -- lookups -----------------------------------------------------------------------------

    @cached_property
    def items(self) -> list[Item]:
        """All items, in questionnaire order."""
        return [item for dim in self.dimensions for item in dim.items]

    @cached_property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"instrument {self.name!r} has no item {item_id!r}")

    def dimension_of(self, item_id: str) -> Dimension:
        for dim in self.dimensions:
            if any(item.id == item_id for item in dim.items):
                return dim
        raise KeyError(f"instrument {self.name!r} has no item {item_id!r}")

    def scale_of(self, item_id: str) -> Scale:
        if self.recommend is not None and item_id == self.recommend.id:
            return self.recommend.scale
        return self.item(item_id).scale or self.scale

    def bands_of(self, item_id: str) -> Bands:
        return self.item(item_id).bands or self.bands

    def _statement(self, item_id: str) -> Item | RecommendItem:
        if self.recommend is not None and item_id == self.recommend.id:
            return self.recommend
        return self.item(item_id)

    def text_of(self, item_id: str, lang: str = "en") -> str:
        """The statement of an item (or the recommend question) in ``lang``, else in English."""
        item = self._statement(item_id)
        return item.text_by_language.get(lang) or item.text  # type: ignore[call-overload]

    def texts_of(self, item_id: str) -> list[str]:
        """The statement in every language it is given in, English first (for matching a
        client's column headings written in any of them)."""
        item = self._statement(item_id)
        return list(dict.fromkeys([item.text, *item.text_by_language.values()]))

    def short_of(self, item_id: str, lang: str = "en") -> str:
        """The chart label of an item in ``lang``: its ``short`` label, else its statement
        shortened at a word boundary (never the item id)."""
        short = self._statement(item_id).short
        if isinstance(short, dict):
            short = short.get(lang) or short.get("en")  # type: ignore[call-overload]
        return short or shorten_statement(self.text_of(item_id, lang))

    def title_of(self, dimension_id: str, lang: str = "en") -> str:
        """The title of a dimension (best practice) in ``lang``, else in English."""
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim.title_by_language.get(lang) or dim.title  # type: ignore[call-overload]
        raise KeyError(f"instrument {self.name!r} has no dimension {dimension_id!r}")

    def describe(self) -> str:
        """The instrument as a consultant maps a client's file to it: dimensions, item ids and
        statements, the scale, bands and groups (``cemlab instruments show NAME``)."""
        def band(name: str) -> str:
            low_high = getattr(self.bands, name)
            return f"{name} {low_high[0]:g}-{low_high[1]:g}" if low_high else ""

        bands = ", ".join(b for b in map(band, ("disagree", "neutral", "agree")) if b)
        lines = [f"{self.name}: {self.title or ''}".rstrip(": ")]
        if self.description:
            lines.append(" ".join(self.description.split()))
        lines.append(f"Scale {self.scale.min}-{self.scale.max} ({bands})")
        lines.append(f"Group column {self.groups.column!r}: levels "
                     f"{', '.join(self.groups.levels)}")
        for level, labels in self.groups.labels.items():
            lines.append(f"  {level} also read from: {', '.join(labels)}")
        width = max(len(item_id) for item_id in [*self.item_ids, "id"])
        for dim in self.dimensions:
            lines.append("")
            lines.append(f"{dim.title} (dimension {dim.id})")
            for item in dim.items:
                notes = [_SOURCE_NOTES[item.source] + (", paraphrased" if item.paraphrased else "")]
                notes += [n for n, on in (("reverse-keyed", item.reverse),) if on]
                if item.scale is not None:
                    notes.append(f"scale {item.scale.min}-{item.scale.max}")
                extra = f"  [{'; '.join(notes)}]" if notes else ""
                lines.append(f"  {item.id:<{width}}  {item.text}{extra}")
        if self.recommend is not None:
            lines.append("")
            lines.append("Recommend question (Net Promoter Score, 0-10)")
            lines.append(f"  {self.recommend.id:<{width}}  {self.recommend.text}")
        lines.append("")
        lines.append("[study]: the study's own statement, quoted (paraphrased: the study gave "
                     "its sense only); [written for cemlab]: added by cemlab")
        lines.append(f"{len(self.items)} items. Map a client's column to an item in the params "
                     "file: columns: {item_id: column name}")
        return "\n".join(lines)

    def item_table(self):
        """One row per item: id, dimension, dimension title, text, source, reverse, scale."""
        import pandas as pd

        rows = []
        for dim in self.dimensions:
            for item in dim.items:
                scale = item.scale or self.scale
                rows.append(
                    {
                        "item": item.id,
                        "dimension": dim.id,
                        "dimension_title": dim.title,
                        "statement": item.text,
                        "source": item.source,
                        "paraphrased": item.paraphrased,
                        "reverse": item.reverse,
                        "scale_min": scale.min,
                        "scale_max": scale.max,
                    }
                )
        return pd.DataFrame(rows)


#: Longest chart label made from a statement that has no ``short`` label.
SHORT_WIDTH = 48


def shorten_statement(text: str, width: int = SHORT_WIDTH) -> str:
    """``text`` cut at the last word that fits in ``width`` characters, with an ellipsis."""
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …")


def _gap_message(score: int, scale: Scale) -> str:
    return (
        f"score {score} of the {scale.min}-{scale.max} scale is in no band. Fix: make the bands "
        f"run without gaps from {scale.min} to {scale.max} (each [low, high], both included)"
    )


# -- loading ---------------------------------------------------------------------------------


def list_instruments() -> list[str]:
    """Names of the instruments that ship with cemlab."""
    folder = resources.files("cemlab") / "instruments"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_instrument(name_or_path: str | Path) -> Instrument:
    """Load a built-in instrument by name (``"cem-maturity"``) or a consultant's YAML by path.

    Raises
    ------
    InstrumentError
        The name is unknown, the file is missing or not YAML, or a key is missing or wrong;
        the message names the file and the key.
    """
    if isinstance(name_or_path, Instrument):
        return name_or_path
    text_name = str(name_or_path)
    if text_name in list_instruments():
        source = resources.files("cemlab") / "instruments" / f"{text_name}.yaml"
        label = f"built-in instrument {text_name!r}"
        text = source.read_text(encoding="utf-8")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise InstrumentError(not_an_instrument(text_name, path))
        label = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InstrumentError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    return parse_instrument(text, label)


def parse_instrument(text: str, label: str = "<instrument>") -> Instrument:
    """Parse and validate instrument YAML text; ``label`` names it in error messages."""
    try:
        data = parse_yaml(text)
    except YamlProblem as exc:
        raise InstrumentError(f"{label}: {exc}") from None
    if not isinstance(data, dict):
        raise InstrumentError(
            f"{label}: an instrument must be a YAML mapping with keys name, scale, bands, "
            "groups, dimensions"
        )
    problem = _too_wide_scale(data)
    if problem:
        raise InstrumentError(f"{label}: {problem}")
    try:
        return Instrument.model_validate(data)
    except ValidationError as exc:
        raise InstrumentError(
            f"{label}: {describe_validation_error(exc, data, Instrument)}"
        ) from None


def _too_wide_scale(data: dict) -> str | None:
    """A scale in instrument YAML wider than `MAX_SCALE_POINTS`, checked before validation.

    Validation walks each scale point by point (every score in a band), so a 1-100,000,000
    scale in a 1 KB file would take minutes; it is refused first, naming its key.
    """
    places: list[tuple[str, object]] = [("scale", data.get("scale"))]
    dimensions = data.get("dimensions")
    for d, dim in enumerate(dimensions if isinstance(dimensions, list) else []):
        items = dim.get("items") if isinstance(dim, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                places.append((_key_path(("dimensions", d, "items", i, "scale"), data),
                               item.get("scale")))
    for key, scale in places:
        if not isinstance(scale, dict):
            continue
        low, high = scale.get("min"), scale.get("max")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
            continue
        points = high - low + 1
        if points > MAX_SCALE_POINTS:
            return (f"key {key!r}: a {low}-{high} scale has {points:,} points; at most "
                    f"{MAX_SCALE_POINTS} are allowed (e.g. 0-100). Fix: check min and max")
    return None


def not_an_instrument(name: str, path: Path) -> str:
    """Why ``name`` names no instrument: not built in, and ``path`` is no file; the closest name.

    Used by `load_instrument` and for the params key ``instrument``.
    """
    built_in = list_instruments()
    state = "is a folder" if path.is_dir() else "does not exist"
    message = (
        f"{name!r} is neither a built-in instrument ({', '.join(built_in)}) nor a file "
        f"({path.absolute()} {state})"
    )
    close = difflib.get_close_matches(name, built_in, n=1, cutoff=0.6)
    if close:
        return f"{message}. Fix: use {close[0]!r}, the closest built-in name"
    return f"{message}. Fix: give a built-in name or the path of an instrument YAML file"


#: How many of pydantic's errors a message lists; a file with thousands of wrong values
#: gets the first few and a count, not a message of megabytes.
MAX_ERRORS_LISTED = 10


def describe_validation_error(
    exc: ValidationError, data: object = None, model: type[BaseModel] | None = None
) -> str:
    """Turn pydantic's error list into lines that name each key by its path in the YAML.

    Item and dimension positions are shown by their ``id`` when the YAML gives one, so
    ``dimensions[2].items[0].text`` reads ``dimensions[leadership].items[lead_decisions].text``.
    A wrong value is shown as given, with a fix for its kind of error ("write a whole number,
    e.g. min_group_size: 5"); with ``model`` (the class validated), an unknown key gets the
    closest known key at its place ("colums": use 'columns'). At most `MAX_ERRORS_LISTED`
    errors are listed.
    """
    lines = []
    errors = exc.errors()
    for err in errors[:MAX_ERRORS_LISTED]:
        loc = tuple(err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, KeyProblem):
            loc += cause.loc
        key = _key_path(loc, data) or "(top level)"
        msg = err["msg"]
        kind = err["type"]
        if kind == "missing":
            msg = "this key is required but missing"
        elif kind == "extra_forbidden":
            msg = "unknown key (check its spelling against the README)"
            close = difflib.get_close_matches(
                str(loc[-1]), _keys_at(model, loc[:-1]), n=1, cutoff=0.6
            )
            if close:
                msg += f". Fix: use {close[0]!r}, the closest known key"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        else:  # a pydantic check: say what was given and what would do
            msg += f", got {_as_yaml(err.get('input'))}"
            fix = _fix_for(kind, err.get("input"), loc, err.get("ctx") or {})
            if fix:
                msg += f". Fix: {fix}"
        lines.append(f"key {shorten(key, 120)!r}: {msg}")
    if len(errors) > MAX_ERRORS_LISTED:
        lines.append(f"... and {len(errors) - MAX_ERRORS_LISTED:,} more errors")
    return "; ".join(lines)


def _keys_at(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> list[str]:
    """The keys the model accepts at ``loc`` (a path of keys and list positions)."""
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = _model_in(field.annotation) if field is not None else None
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``list[Item]`` or ``Scale | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _key_path(loc: tuple[str | int, ...], data: object) -> str:
    path: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                if isinstance(node, dict) and "id" in node:
                    label = str(node["id"])
            else:
                node = None
            if path:
                path[-1] += f"[{label}]"
            else:
                path.append(f"[{label}]")
        else:
            node = node.get(part) if isinstance(node, dict) else None
            path.append(str(part))
    return ".".join(path)


def _as_yaml(value: object) -> str:
    """A value as a YAML writer would recognise it: true/false, null, text in quotes."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _example(loc: tuple[str | int, ...], value: str) -> str:
    """``key: value`` for a key, or the value alone for a position in a list."""
    return f"{loc[-1]}: {value}" if loc and isinstance(loc[-1], str) else value


_WHOLE_TEXT = re.compile(r"\s*[+-]?\d+\s*")
_NUMBER_TEXT = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*")
_BOOL_WORDS = {"yes": "true", "y": "true", "on": "true", "1": "true",
               "no": "false", "n": "false", "off": "false", "0": "false"}
_PATTERNS = {
    SLUG_PATTERN: ("only letters, digits, - and _", r"[^A-Za-z0-9_-]+", "-"),
    _ID_PATTERN: ("only letters, digits and _, not starting with a digit", r"[^A-Za-z0-9_]+", "_"),
}


def _fix_for(kind: str, value: object, loc: tuple[str | int, ...], ctx: dict) -> str | None:
    """What to write instead, for one kind of pydantic error on ``value``."""
    if kind in ("int_type", "int_parsing", "int_from_float"):
        if isinstance(value, str) and _WHOLE_TEXT.fullmatch(value):
            return f"write the number without quotes: {_example(loc, str(int(value)))}"
        return f"write a whole number, e.g. {_example(loc, '5')}"
    if kind in ("float_type", "float_parsing"):
        if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
            return f"write the number without quotes: {_example(loc, value.strip())}"
        return f"write a number, e.g. {_example(loc, '7')}"
    if kind in ("bool_type", "bool_parsing"):
        meant = _BOOL_WORDS.get(str(value).strip().lower(), "true")
        return f"write true or false, e.g. {_example(loc, meant)}"
    if kind == "string_type":
        if isinstance(value, bool):
            return ("YAML reads unquoted yes, no, on, off, true and false as true/false: put the "
                    "text in quotes, e.g. 'yes'")
        if isinstance(value, int | float):
            return f"put it in quotes: {_example(loc, repr(str(value)))}"
        return "write one text value"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERNS:
        rule, bad, joiner = _PATTERNS[ctx["pattern"]]
        suggestion = re.sub(bad, joiner, str(value)).strip(joiner)
        if suggestion and ctx["pattern"] == _ID_PATTERN and suggestion[0].isdigit():
            suggestion = f"q{suggestion}"
        return f"use {rule}" + (f", e.g. {_example(loc, suggestion)}" if suggestion else "")
    if kind == "list_type":
        if isinstance(value, str | int | float):
            return f"write a list in square brackets, e.g. {_example(loc, f'[{value}]')}"
        return "write a list in square brackets, e.g. [a, b]"
    if kind in ("dict_type", "model_type"):
        return "write key: value pairs under it (see the README for its keys)"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.5)
        return f"use {close[0]!r}" if close else "use one of those"
    limits = {"greater_than_equal": "{} or more", "greater_than": "more than {}",
              "less_than_equal": "{} or less", "less_than": "less than {}"}
    if kind in limits:
        limit = next(iter(ctx.values()), "")
        return f"use {limits[kind].format(limit)}"
    if kind in ("too_short", "string_too_short"):
        return "fill it in"
    return None
