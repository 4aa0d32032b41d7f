"""Telling a CSV file's text encoding from its bytes: UTF-8 / UTF-16 by BOM, UTF-8 when it
decodes (or nearly: stray bytes are located, not guessed away), else Windows-1250 (Central
European) or Windows-1252 (Western) by which one gives letters inside words.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from cemlab.exceptions import DataError, located

#: One valid UTF-8 sequence of two to four bytes (a letter such as "ą" or "€" in UTF-8 text).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


@dataclass
class Encoding:
    """How a CSV file's bytes are text: the codec, its name for people, and bytes to skip."""

    label: str  # "UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1250" or "Windows-1252"
    codec: str
    bom: int = 0
    #: Byte offsets that are not UTF-8 in a file that otherwise is (the first few of them).
    stray: list[int] = field(default_factory=list)


def detect_encoding(path: Path, raw: bytes) -> Encoding:
    """The file's encoding, told apart from the bytes themselves.

    A file that decodes as UTF-8 is UTF-8. A file that is UTF-8 except for a few stray bytes
    (a cell pasted from a Windows program) is still UTF-8, with the stray bytes' offsets in
    ``stray``: read as Windows-1252 every "Zarząd" would become "ZarzÄ…d" and every manager an
    unknown group, silently. Only a file with more undecodable bytes than UTF-8 letters is
    told Windows-1250 from Windows-1252 by its words.
    """
    for bom, codec, label in (
        (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),  # Excel's "Unicode text" export
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
    ):
        if raw.startswith(bom):
            if codec == "utf-16":
                try:
                    raw.decode(codec)
                except UnicodeDecodeError as exc:
                    raise DataError(
                        located(
                            f"starts like {label} text but byte {exc.start} is not {label}",
                            file=path,
                            fix="save the file again as 'CSV UTF-8' from Excel",
                        )
                    ) from None
                return Encoding(label, codec)
            return Encoding(label, codec, bom=len(bom), stray=_stray_bytes(raw, len(bom)))
    if b"\x00" in raw[:4096]:
        raise DataError(
            located(
                "this is not a text table (CSV), an Excel .xlsx or an SPSS .sav file",
                file=path,
                fix="export the survey responses as CSV, .xlsx or .sav",
            )
        )
    stray = _stray_bytes(raw, 0)
    if not stray:
        return Encoding("UTF-8", "utf-8")
    if len(stray) <= len(_UTF8_MULTIBYTE.findall(raw)):
        return Encoding("UTF-8", "utf-8", stray=stray)
    decoded = {}
    for encoding in ("cp1250", "cp1252"):
        try:
            decoded[encoding] = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise DataError(
            located(
                "cannot tell the text encoding (not UTF-8, Windows-1250 or Windows-1252)",
                file=path,
                fix="save the file as 'CSV UTF-8' from Excel",
            )
        )
    if len(decoded) == 1:
        encoding = next(iter(decoded))
    else:
        encoding = _central_or_western(decoded["cp1250"], decoded["cp1252"])
    label = {"cp1250": "Windows-1250", "cp1252": "Windows-1252"}[encoding]
    return Encoding(label, encoding)


def _valid_utf8(raw: bytes, start: int) -> bool:
    """Whether ``raw[start:]`` is UTF-8, checked by pyarrow (SIMD, no Python string built)."""
    data = pa.py_buffer(raw).slice(start)
    offsets = pa.py_buffer(np.array([0, data.size], dtype=np.int64).tobytes())
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, data]).cast(
            pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _stray_bytes(raw: bytes, start: int) -> list[int]:
    """Offsets of the bytes that are not UTF-8, the first ones only (a legacy code page file
    has thousands; deciding needs only to know there are more than its UTF-8 letters)."""
    view = memoryview(raw)
    if _valid_utf8(raw, start):
        return []
    limit = max(1000, len(_UTF8_MULTIBYTE.findall(raw)) + 1)
    stray, position = [], start
    while len(stray) < limit:
        try:
            codecs.utf_8_decode(view[position:], "strict", True)
            break
        except UnicodeDecodeError as exc:
            stray.append(position + exc.start)
            position += exc.end
    return stray


def _central_or_western(as_1250: str, as_1252: str) -> str:
    """Pick Windows-1250 or -1252 by which one gives letters inside words where they differ.

    Both code pages decode almost any byte, so the text itself must decide. Polish Excel
    output is full of bytes that are letters in 1250 but symbols in 1252 ("Zarząd" would read
    "Zarz¹d", "Sprzedaż" "Sprzeda¿"). Only characters that follow a letter count, so that a
    Spanish "¿Qué?" or a British "£50" in a Western file is no evidence for 1250. The bytes of
    ć ę ń ś ź are letters in 1252 too (æ ê ñ œ Ÿ); for them `_letter_evidence` weighs where in
    the word they stand. Words ending in ę count only beside other Polish evidence or when
    there are two different ones, since Portuguese ends a few words in ê ("você", "bebê").
    Without evidence the file is Western (for plain Western text both give the same or similar
    letters).
    """
    central, western, final_e_words = _letter_evidence(as_1250, as_1252)
    for i in range(1, min(len(as_1250), len(as_1252))):
        a, b = as_1250[i], as_1252[i]
        if a == b:
            continue
        if a.isalpha() and not b.isalpha() and as_1250[i - 1].isalpha():
            central += 1
        elif b.isalpha() and not a.isalpha() and as_1252[i - 1].isalpha():
            western += 1
    if central or len(final_e_words) >= 2:
        central += final_e_words.total()
    return "cp1250" if central > western else "cp1252"


#: Vowels as each code page decodes them: a neighbour is read in the decoding being tested.
_VOWELS_1250 = frozenset("aeiouyáâäăąéęëěíîóôöőúůüűý")
_VOWELS_1252 = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ")


def _letter_evidence(as_1250: str, as_1252: str) -> tuple[int, int, Counter[str]]:
    """(Polish, Western) evidence from bytes that are letters in both code pages, and the
    words that end in ę (as 1250 reads them, with how often each occurs).

    Polish writes ć ś ń ź only before a consonant or at the end of a word (before a vowel it
    writes ci si ni zi), so one of those bytes before a vowel, read as 1252, is Western
    (Spanish "año", French "cœur"); ś ń ź before a consonant or ending a word, read as 1250,
    are Polish ("jeśli", "końca", "dzień", "coś", "źle", "Kaśka"). ć before a consonant is
    no evidence: Danish æ stands there too ("Maćkowiak", "næste"); ending a word after a vowel
    or ś it is Polish ("powiedzieć", "jeść"), after a consonant it may be Danish ("træ").
    Letters that 1250 gives but Polish does not use (č ě ř ă ő for è ì ø ã õ) count for the
    Western reading.
    """
    polish = western = 0
    final_e_words: Counter[str] = Counter()
    for i, (a, b) in enumerate(zip(as_1250, as_1252)):
        if a == b or not (a.isalpha() and b.isalpha()):
            continue
        a = a.lower()
        if a not in "ćęńśź":
            western += 1
            continue
        next_1250 = as_1250[i + 1].lower() if i + 1 < len(as_1250) else " "
        next_1252 = as_1252[i + 1].lower() if i + 1 < len(as_1252) else " "
        before = as_1250[i - 1].lower() if i else " "
        ends_word = not next_1250.isalpha()
        if a == "ę":
            if ends_word and before.isalpha():
                start = i
                while start and as_1250[start - 1].isalpha():
                    start -= 1
                final_e_words[as_1250[start : i + 1].lower()] += 1
        elif a in "śńź" and (ends_word or next_1250 not in _VOWELS_1250):
            polish += 1
        elif next_1252 in _VOWELS_1252:
            western += 1  # before a vowel Polish writes ci si ni zi
        elif a == "ć" and ends_word and (before in _VOWELS_1250 or before == "ś"):
            polish += 1
    return polish, western, final_e_words


