"""Questionnaire definitions: items, dimensions, scale, agreement bands and respondent groups.

An instrument is a YAML file (see the README, "The instrument format"). Two ship with cemlab
(`cem-maturity`, `customer-feedback`); a consultant's own file loads the same way.
"""

from __future__ import annotations

from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cemlab.exceptions import InstrumentError

_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Strict):
    """The answer scale of an item: whole numbers from ``min`` to ``max``."""

    min: int
    max: int

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

    disagree: tuple[float, float]
    neutral: tuple[float, float] | None = None
    agree: tuple[float, float]

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

    def check_covers(self, scale: Scale, where: str) -> None:
        """Every whole score on ``scale`` must fall in exactly one band."""
        for score in range(scale.min, scale.max + 1):
            if self.band_of(score) is None:
                raise ValueError(
                    f"{where}: score {score} of the {scale.min}-{scale.max} scale is in no band"
                )

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

    @model_validator(mode="after")
    def _labels_known(self) -> Groups:
        unknown = set(self.labels) - set(self.levels)
        if unknown:
            raise ValueError(f"labels given for unknown levels {sorted(unknown)}")
        return self


class Item(_Strict):
    """One statement respondents rate."""

    id: str = Field(pattern=_ID_PATTERN)
    text: str = Field(min_length=1)
    source: Literal["study", "cemlab"]
    paraphrased: bool = False
    reverse: bool = False
    scale: Scale | None = None
    bands: Bands | None = None


class Dimension(_Strict):
    """A group of items measuring one practice (e.g. leadership)."""

    id: str = Field(pattern=_ID_PATTERN)
    title: str = Field(min_length=1)
    items: list[Item] = Field(min_length=1)


class RecommendItem(_Strict):
    """The 0-10 likelihood-to-recommend question behind Net Promoter Score."""

    id: str = Field(pattern=_ID_PATTERN)
    text: str = Field(min_length=1)
    source: Literal["study", "cemlab"] = "cemlab"
    scale: Scale = Scale(min=0, max=10)

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
        seen: set[str] = set()
        for dim in self.dimensions:
            if dim.id in seen:
                raise ValueError(f"dimension id {dim.id!r} is used twice")
            seen.add(dim.id)
        item_ids: set[str] = set()
        for dim in self.dimensions:
            for item in dim.items:
                if item.id in item_ids:
                    raise ValueError(f"item id {item.id!r} is used twice")
                item_ids.add(item.id)
                item_scale = item.scale or self.scale
                item_bands = item.bands or self.bands
                item_bands.check_covers(item_scale, f"item {item.id!r}")
        if self.recommend is not None and self.recommend.id in item_ids:
            raise ValueError(f"recommend id {self.recommend.id!r} is also an item id")
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

    def text_of(self, item_id: str) -> str:
        if self.recommend is not None and item_id == self.recommend.id:
            return self.recommend.text
        return self.item(item_id).text

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
            raise InstrumentError(
                f"{path}: no such instrument file, and no built-in instrument of that name. "
                f"Fix: give a path to a YAML file or one of {', '.join(list_instruments())}"
            )
        label = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InstrumentError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    return parse_instrument(text, label)


def parse_instrument(text: str, label: str = "<instrument>") -> Instrument:
    """Parse and validate instrument YAML text; ``label`` names it in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InstrumentError(f"{label}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InstrumentError(
            f"{label}: an instrument must be a YAML mapping with keys name, scale, bands, "
            "groups, dimensions"
        )
    try:
        return Instrument.model_validate(data)
    except ValidationError as exc:
        raise InstrumentError(f"{label}: {describe_validation_error(exc, data)}") from None


def describe_validation_error(exc: ValidationError, data: object = None) -> str:
    """Turn pydantic's error list into lines that name each key by its path in the YAML.

    Item and dimension positions are shown by their ``id`` when the YAML gives one, so
    ``dimensions[2].items[0].text`` reads ``dimensions[leadership].items[lead_decisions].text``.
    """
    lines = []
    for err in exc.errors():
        path = []
        node = data
        for part in err["loc"]:
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
        key = ".".join(path) or "(top level)"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "this key is required but missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling against the README)"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        lines.append(f"key {key!r}: {msg}")
    return "; ".join(lines)
