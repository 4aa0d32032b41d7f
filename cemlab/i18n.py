"""The report's languages: one message catalogue per language, numbers as each locale writes them.

English is the source language (the msgids); Polish lives in ``cemlab/locale/pl/LC_MESSAGES/
cemlab.po``, a gettext catalogue compiled in memory when first used, so no compiled file can go
stale. Code marks client-facing text with ``lang.gettext("...")`` (or ``_ = lang.gettext``) and
formats every figure through `Language`, so that "5.8" in English is "5,8" in Polish.
"""

from __future__ import annotations

import gettext
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from cemlab.exceptions import CemlabError

#: The languages a report can be written in; the first is the source language of the catalogue.
LANGUAGES = ("en", "pl")

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "cemlab"


def catalogue_path(code: str) -> Path:
    """The gettext catalogue (.po) of one language."""
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``code``; English (the source language) translates nothing."""
    check_language(code)
    if code == LANGUAGES[0]:
        return gettext.NullTranslations()
    with catalogue_path(code).open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def check_language(code: object) -> str:
    if code not in LANGUAGES:
        raise CemlabError(
            f"language {code!r} is not one cemlab writes reports in; use one of "
            f"{', '.join(LANGUAGES)}"
        )
    return str(code)


@dataclass(frozen=True)
class Language:
    """Text and numbers in one language: ``Language("pl").number(5.83)`` gives ``"5,8"``."""

    code: str = "en"
    _translations: gettext.NullTranslations = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_translations", translations(check_language(self.code)))

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def text(self, value: str | Mapping[str, str]) -> str:
        """A text given in one language or per language (``{en: ..., pl: ...}``).

        A mapping without this language falls back to English, then to its first text.
        """
        if isinstance(value, Mapping):
            return value.get(self.code) or value.get(LANGUAGES[0]) or next(iter(value.values()))
        return value

    def number(self, value: float | None, decimals: int = 1, *, sign: bool = False) -> str:
        """A figure with ``decimals`` places as the locale writes it ("5.8" / "5,8"); "–" if none.

        ``sign=True`` writes a plus before a positive figure (a change or a gap).
        """
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        rounded = round(float(value), decimals)
        if rounded == 0:
            rounded = 0.0  # no "-0.0", and no "+0.0" for a change that rounds to nothing
        elif sign:
            pattern = f"+{pattern};-{pattern}"
        return format_decimal(rounded, format=pattern, locale=self.code)

    def percent(self, value: float | None, *, sign: bool = False) -> str:
        """A percentage (0-100) written whole with its sign: "63%" ("63%" in Polish too)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        return f"{self.number(value, 0, sign=sign)}%"

    def p_value(self, p: float | None) -> str:
        """A p-value as a reader expects it: "< 0.001", else three decimals ("0.012")."""
        if p is None or (isinstance(p, float) and math.isnan(p)):
            return "–"
        if p < 0.001:
            return f"< {self.number(0.001, 3)}"
        return self.number(p, 3)
