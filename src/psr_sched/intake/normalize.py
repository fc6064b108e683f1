"""Normalization of registration fields: phone, person names, ZIP and state, language, e-mail.

Each function takes the raw text and returns the normalized form, or raises ``ValueError``
with a message that describes the rule and never repeats the value (these values are
protected health information).
"""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_NON_DIGIT = re.compile(r"\D")

#: Lowercase name particles kept lowercase when not the first word ("Van der Berg").
NAME_PARTICLES = frozenset(
    {"da", "das", "de", "del", "della", "der", "di", "dos", "du", "la", "le", "van", "von", "y"}
)
_SUFFIXES = {"jr": "Jr", "sr": "Sr", "ii": "II", "iii": "III", "iv": "IV", "v": "V"}

#: USPS codes of the states, the District of Columbia, territories and military "states".
US_STATES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "AS": "American Samoa",
    "GU": "Guam",
    "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
    "AA": "Armed Forces Americas",
    "AE": "Armed Forces Europe",
    "AP": "Armed Forces Pacific",
}
_STATE_BY_NAME = {name.lower(): code for code, name in US_STATES.items()}

_LANGUAGE = re.compile(
    r"^(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|\d{3}))?"
    r"(?P<variants>(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*)$"
)
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def normalize_phone(value: str, default_country_code: str = "1") -> str:
    """A phone number in E.164 form: ``+`` and up to 15 digits.

    Spaces, dots, dashes, slashes and parentheses are dropped.  A number without ``+`` is
    national: with the default country code ``"1"`` (US, NANP) it has 10 digits, or 11
    starting with the trunk prefix 1, and neither its area code nor its exchange starts with
    0 or 1.  Letters (extensions, vanity numbers) are refused.

    >>> normalize_phone("(217) 555-0142")
    '+12175550142'
    >>> normalize_phone("+44 20 7946 0958")
    '+442079460958'
    """
    text = value.strip()
    if not text:
        raise ValueError("is empty")
    if not _PHONE_CHARS.match(text):
        raise ValueError("may hold only digits, spaces, dots, dashes and parentheses")
    digits = _NON_DIGIT.sub("", text)
    if text.startswith("+"):
        if not 8 <= len(digits) <= 15 or digits.startswith("0"):
            raise ValueError("must have a country code and 8 to 15 digits after '+'")
        if digits.startswith("1"):
            _check_nanp(digits[1:])
        return "+" + digits
    if default_country_code == "1":
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        _check_nanp(digits)
        return "+1" + digits
    digits = digits.removeprefix("0")  # national trunk prefix
    number = default_country_code + digits
    if not 8 <= len(number) <= 15:
        raise ValueError("must have 8 to 15 digits with the country code")
    return "+" + number


def _check_nanp(digits: str) -> None:
    if len(digits) != 10:
        raise ValueError("must have 10 digits (US) or start with '+' and a country code")
    if digits[0] in "01" or digits[3] in "01":
        raise ValueError("is not a valid US number (area code or exchange starts with 0 or 1)")


def normalize_name(value: str) -> str:
    """A person-name part: trimmed, inner whitespace collapsed, case fixed only when uniform.

    Input in one case (``"O'BRIEN"``, ``"smith-jones"``) is title-cased word by word, part by
    part around hyphens and apostrophes, with ``Mc`` prefixes (``"McDonald"``) and, after
    the first word, lowercase particles (:data:`NAME_PARTICLES`).  Mixed-case input
    (``"DeShawn"``, ``"van Buren"``) is kept as typed: the person chose it.  Letters, spaces,
    hyphens, apostrophes and periods are allowed.

    >>> normalize_name("  O'BRIEN ")
    "O'Brien"
    >>> normalize_name("MARY  ANN")
    'Mary Ann'
    >>> normalize_name("van der berg")
    'Van der Berg'
    """
    text = _SPACES.sub(" ", value.strip()).replace("\u2019", "'")
    if not text:
        raise ValueError("is empty")
    if len(text) > 100:
        raise ValueError("is longer than 100 characters")
    if not all(ch.isalpha() or ch in " -'." for ch in text):
        raise ValueError("may hold only letters, spaces, hyphens, apostrophes and periods")
    if not any(ch.isalpha() for ch in text):
        raise ValueError("has no letters")
    letters = [ch for ch in text if ch.isalpha()]
    if not (all(ch.isupper() for ch in letters) or all(ch.islower() for ch in letters)):
        return text
    words = text.lower().split(" ")
    return " ".join(
        word if index > 0 and word in NAME_PARTICLES else _title_word(word)
        for index, word in enumerate(words)
    )


def _title_word(word: str) -> str:
    return "".join(_title_part(part) for part in re.split(r"([-'])", word))


def _title_part(part: str) -> str:
    titled = part[:1].upper() + part[1:]
    if len(titled) > 2 and titled.startswith("Mc"):
        titled = "Mc" + titled[2].upper() + titled[3:]
    return titled


def normalize_suffix(value: str) -> str:
    """A generational suffix: ``Jr``, ``Sr``, ``II``, ``III``, ``IV`` or ``V``."""
    key = value.strip().rstrip(".").lower()
    if key not in _SUFFIXES:
        raise ValueError("must be one of Jr, Sr, II, III, IV, V")
    return _SUFFIXES[key]


def normalize_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 country code, uppercase."""
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError("must be a two-letter ISO 3166 country code")
    return code


def normalize_state(value: str, country: str = "US") -> str:
    """A US state, territory or military code (``"IL"``); full names are accepted.

    Outside the US the region is only trimmed.
    """
    text = _SPACES.sub(" ", value.strip())
    if not text:
        raise ValueError("is empty")
    if country != "US":
        return text
    code = text.upper()
    if code in US_STATES:
        return code
    by_name = _STATE_BY_NAME.get(text.lower())
    if by_name is None:
        raise ValueError("must be a USPS state or territory code such as IL")
    return by_name


def normalize_postal_code(value: str, country: str = "US") -> str:
    """A US ZIP code as ``NNNNN`` or ZIP+4 as ``NNNNN-NNNN``; elsewhere trimmed, uppercase.

    >>> normalize_postal_code("627011234")
    '62701-1234'
    """
    text = value.strip()
    if country != "US":
        code = _SPACES.sub(" ", text.upper())
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{1,9}", code):
            raise ValueError("must be 2 to 10 letters, digits, spaces or dashes")
        return code
    if not re.fullmatch(r"\d{5}|\d{9}|\d{5}[- ]\d{4}", text):
        raise ValueError("must be a 5-digit ZIP code or ZIP+4")
    digits = _NON_DIGIT.sub("", text)
    return digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"


def normalize_language(value: str) -> str:
    """A BCP 47 language tag in its canonical case (RFC 5646 section 2.1.1).

    The language subtag is lowercase (``"ES"`` becomes ``"es"``), a script is title case, a
    region uppercase (``"en_us"`` becomes ``"en-US"``).  Underscores count as hyphens.
    Private-use and extension subtags are not accepted.

    >>> normalize_language("ZH_hant_tw")
    'zh-Hant-TW'
    """
    match = _LANGUAGE.match(value.strip().replace("_", "-").lower())
    if match is None:
        raise ValueError("must be a BCP 47 language tag such as 'en' or 'es-MX'")
    tag = match["language"]
    if match["script"]:
        tag += "-" + match["script"].title()
    if match["region"]:
        tag += "-" + match["region"].upper()
    return tag + match["variants"]


def normalize_email(value: str) -> str:
    """An e-mail address: trimmed, domain lowercase (the local part is case-sensitive)."""
    text = value.strip()
    local, at, domain = text.rpartition("@")
    domain = domain.lower().rstrip(".")
    labels = domain.split(".")
    if (
        not at
        or not _EMAIL_LOCAL.match(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.match(label) for label in labels)
    ):
        raise ValueError("is not an e-mail address of the form name@domain.tld")
    return f"{local}@{domain}"


__all__ = [
    "NAME_PARTICLES",
    "US_STATES",
    "normalize_country",
    "normalize_email",
    "normalize_language",
    "normalize_name",
    "normalize_phone",
    "normalize_postal_code",
    "normalize_state",
    "normalize_suffix",
]
