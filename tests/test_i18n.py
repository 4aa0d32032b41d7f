"""The message catalogues: every client-facing text the code marks has a Polish translation,
and numbers are written as each locale writes them (CLDR, through Babel)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.pofile import read_po

from cemlab.exceptions import CemlabError
from cemlab.i18n import LANGUAGES, Language, catalogue_path

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "_": None}


def _marked_messages() -> dict[str, str]:
    """msgid -> where it is used, from the package's Python files and notebooks' code cells."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT / "cemlab", method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            found.setdefault(msgid, f"cemlab/{filename}:{lineno}")
    notebooks = [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("cemlab/**/*.ipynb")]
    for notebook in notebooks:
        cells = json.loads(notebook.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        code = "\n".join(line for line in code.splitlines() if not line.startswith("%"))
        for lineno, message, _comments, _context in extract(
            "python", io.BytesIO(code.encode()), keywords=KEYWORDS
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                found.setdefault(msgid, f"{notebook.name}:{lineno}")
    return found


@pytest.mark.parametrize("code", LANGUAGES[1:])
def test_every_marked_text_is_translated(code: str) -> None:
    with catalogue_path(code).open("rb") as handle:
        catalog = read_po(handle, locale=code)
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    untranslated = [
        f"{msgid!r} ({where})"
        for msgid, where in _marked_messages().items()
        if msgid not in translated or not translated[msgid].string
        or (isinstance(translated[msgid].string, tuple) and not all(translated[msgid].string))
    ]
    assert not untranslated, f"add to {catalogue_path(code)}: " + "; ".join(untranslated)


def test_a_marked_text_is_translated() -> None:
    assert Language("pl").gettext("Confidential") == "Poufne"
    assert Language("en").gettext("Confidential") == "Confidential"


@pytest.mark.parametrize(
    ("code", "value", "decimals", "sign", "expected"),
    [
        # CLDR: English writes a decimal point and comma groups, Polish a decimal comma and a
        # (no-break) space between thousands
        ("en", 5.83, 1, False, "5.8"),
        ("pl", 5.83, 1, False, "5,8"),
        ("en", 1234.56, 1, False, "1,234.6"),
        ("pl", 1234.56, 1, False, "1\xa0234,6"),
        ("en", 14.6, 1, True, "+14.6"),
        ("pl", -14.6, 1, True, "-14,6"),
        ("en", -0.04, 1, True, "0.0"),  # no "-0.0" for a figure that rounds to nothing
        ("en", 62.5, 0, False, "62"),  # round half to even, as Python and R's round()
    ],
)
def test_numbers_as_the_locale_writes_them(code, value, decimals, sign, expected) -> None:
    assert Language(code).number(value, decimals, sign=sign) == expected


def test_percentages_p_values_and_missing() -> None:
    en, pl = Language("en"), Language("pl")
    assert en.percent(62.9) == "63%"
    assert en.p_value(0.0004) == "< 0.001" and pl.p_value(0.0004) == "< 0,001"
    assert en.p_value(0.0123) == "0.012"
    assert en.number(float("nan")) == "–" and en.percent(None) == "–"


def test_text_per_language_falls_back_to_english() -> None:
    assert Language("pl").text({"en": "Leaders", "pl": "Liderzy"}) == "Liderzy"
    assert Language("pl").text({"en": "Leaders"}) == "Leaders"
    assert Language("pl").text("Leaders") == "Leaders"


def test_an_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(CemlabError, match="use one of en, pl"):
        Language("de")
