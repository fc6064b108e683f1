"""Registration records: normalization, validation messages, loading."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from psr_sched.errors import ProblemError
from psr_sched.intake import Patient, load_patients
from psr_sched.intake.normalize import (
    normalize_email,
    normalize_language,
    normalize_name,
    normalize_phone,
    normalize_postal_code,
    normalize_state,
    normalize_suffix,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"


def record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "P100",
        "family_name": "Quixote",
        "given_name": "Margaret",
        "birth_date": "1980-02-14",
        "address": {
            "line1": "742 Evergreen Ter",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62701",
        },
        "phone": "217-555-0142",
        "coverages": [
            {"payer_id": "ACME01", "member_id": "ZQX900112233", "effective_start": "2025-01-01"}
        ],
    }
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(217) 555-0142", "+12175550142"),
        ("217.555.0142", "+12175550142"),
        ("1-217-555-0142", "+12175550142"),
        ("+1 217 555 0142", "+12175550142"),
        ("+44 20 7946 0958", "+442079460958"),
        ("  2175550142 ", "+12175550142"),
    ],
)
def test_phone_to_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("555-0142", "10 digits"),
        ("217-555-0142 ext 12", "only digits"),
        ("(017) 555-0142", "area code"),
        ("217-155-0142", "exchange"),
        ("+0 12 345 678", "country code"),
        ("", "empty"),
    ],
)
def test_phone_refused_with_rule_not_value(raw: str, rule: str) -> None:
    with pytest.raises(ValueError, match=rule) as info:
        normalize_phone(raw)
    if raw:
        assert raw not in str(info.value)


def test_phone_other_default_country() -> None:
    # A national UK number: trunk 0 dropped, country code 44 prefixed.
    assert normalize_phone("020 7946 0958", default_country_code="44") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  margaret ", "Margaret"),
        ("MARY  ANN", "Mary Ann"),
        ("O'BRIEN", "O'Brien"),
        ("o\u2019brien", "O'Brien"),
        ("smith-jones", "Smith-Jones"),
        ("MCDONALD", "McDonald"),
        ("van der berg", "Van der Berg"),
        ("DE LA CRUZ", "De la Cruz"),
        ("DeShawn", "DeShawn"),  # mixed case is the person's own spelling
        ("van Buren", "van Buren"),
        ("José", "José"),
        ("ÑÚÑEZ", "Ñúñez"),
    ],
)
def test_names_title_cased_carefully(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "J0hn", "Ann;DROP", "--"])
def test_names_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_name(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("jr.", "Jr"), ("III", "III"), (" sr ", "Sr"), ("iv", "IV")]
)
def test_suffix(raw: str, expected: str) -> None:
    assert normalize_suffix(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("62701", "62701"), ("627011234", "62701-1234"), ("62701-1234", "62701-1234")],
)
def test_zip_codes(raw: str, expected: str) -> None:
    assert normalize_postal_code(raw) == expected


@pytest.mark.parametrize("raw", ["6270", "627012", "62701-12", "ABCDE"])
def test_zip_codes_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="ZIP"):
        normalize_postal_code(raw)


def test_postal_code_outside_us_is_only_tidied() -> None:
    assert normalize_postal_code(" sw1a  1aa ", country="GB") == "SW1A 1AA"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("il", "IL"), ("Illinois", "IL"), ("new  york", "NY"), ("pr", "PR"), ("DC", "DC")],
)
def test_state_codes(raw: str, expected: str) -> None:
    assert normalize_state(raw) == expected


def test_unknown_state_refused() -> None:
    with pytest.raises(ValueError, match="USPS"):
        normalize_state("Illinoiz")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("EN", "en"),
        ("es", "es"),
        ("es_MX", "es-MX"),
        ("en-us", "en-US"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("yue", "yue"),
    ],
)
def test_language_tags(raw: str, expected: str) -> None:
    assert normalize_language(raw) == expected


@pytest.mark.parametrize("raw", ["english", "e", "en-", "en-US-x-private", "12"])
def test_language_tags_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="BCP 47"):
        normalize_language(raw)


def test_email_domain_lowercased_local_part_kept() -> None:
    assert normalize_email(" M.Quixote@Mail.Example.ORG ") == "M.Quixote@mail.example.org"


@pytest.mark.parametrize("raw", ["m.quixote", "a@b", "a..b@example.org", "@example.org"])
def test_email_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="e-mail"):
        normalize_email(raw)


def test_patient_record_is_normalized() -> None:
    patient = Patient.model_validate(
        record(
            family_name="QUIXOTE",
            sex="f",
            phone="(217) 555-0142",
            preferred_language="ES_mx",
            address={
                "line1": " 742   Evergreen Ter ",
                "city": "Springfield",
                "state": "illinois",
                "postal_code": 627011234,
            },
            coverages=[
                {
                    "payer_id": "ACME01",
                    "member_id": " zqx900112233 ",
                    "relationship": "19",
                    "effective_start": "2025-01-01",
                }
            ],
        )
    )
    assert patient.family_name.reveal() == "Quixote"
    assert patient.sex == "female"
    assert patient.phone is not None and patient.phone.reveal() == "+12175550142"
    assert patient.preferred_language == "es-MX"
    assert patient.address is not None
    address = patient.address.reveal()
    assert (address.line1, address.state, address.postal_code) == (
        "742 Evergreen Ter",
        "IL",
        "62701-1234",
    )
    assert patient.coverages[0].member_id.reveal() == "ZQX900112233"
    assert patient.coverages[0].relationship == "child"


def test_blank_optional_contact_is_none() -> None:
    patient = Patient.model_validate(record(phone="  ", email=""))
    assert patient.phone is None and patient.email is None


def test_coverage_in_effect_by_period() -> None:
    patient = Patient.model_validate(
        record(
            coverages=[
                {
                    "payer_id": "ACME01",
                    "member_id": "ZQX1",
                    "effective_start": "2023-01-01",
                    "effective_end": "2025-01-31",
                }
            ]
        )
    )
    coverage = patient.coverages[0]
    # Effective since 2023, but terminated before the visit: not in force on it.
    assert coverage.in_effect(dt.date(2024, 6, 1))
    assert coverage.in_effect(dt.date(2025, 1, 31))
    assert not coverage.in_effect(dt.date(2025, 3, 10))
    assert patient.current_coverages(dt.date(2025, 3, 10)) == ()


def test_load_patients_file() -> None:
    patients = load_patients(DATA / "patients.json")
    assert [p.id for p in patients] == ["P001", "P002", "P003"]
    assert patients[2].family_name.reveal() == "O'Neill-McGrath"
    assert patients[2].phone is not None and patients[2].phone.reveal() == "+35315550123"


def test_load_patients_accepts_records_and_a_plain_list(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([record()]), encoding="utf-8")
    assert load_patients(path) == load_patients([record()])


def test_revealing_dump_round_trips() -> None:
    patients = load_patients(DATA / "patients.json")
    dumped = [p.model_dump(mode="json", context={"reveal_phi": True}) for p in patients]
    assert load_patients(dumped) == patients


def test_errors_name_record_and_field() -> None:
    bad = record(
        phone="555-0142",
        birth_date="2999-01-01",
        given_name="M4rgaret",
        nickname="Peggy",
        address={"line1": "742 Evergreen Ter", "city": "Springfield", "postal_code": "6270"},
    )
    with pytest.raises(ProblemError) as info:
        load_patients([bad, record(id="P101"), {"given_name": "x"}])
    message = str(info.value)
    assert "patient P100: phone: must have 10 digits" in message
    assert "patient P100: birth_date: must not be in the future" in message
    assert "patient P100: given_name: may hold only letters" in message
    assert "patient P100: nickname: Extra inputs are not permitted" in message
    assert "patient P100: address.postal_code: must be a 5-digit ZIP code" in message
    assert "patient #3: family_name: Field required" in message
    assert "P101" not in message


def test_address_needs_state_in_us() -> None:
    with pytest.raises(ProblemError, match="address: state is required"):
        load_patients(
            [record(address={"line1": "1 Main St", "city": "Springfield", "postal_code": "62701"})]
        )


def test_duplicate_ids_refused() -> None:
    with pytest.raises(ProblemError, match="patient P100: id: is used by more than one record"):
        load_patients([record(), record()])


def test_coverage_period_order_checked_without_dates() -> None:
    coverage = {
        "payer_id": "ACME01",
        "member_id": "ZQX1",
        "effective_start": "2025-06-01",
        "effective_end": "2025-01-31",
    }
    with pytest.raises(ProblemError) as info:
        load_patients([record(coverages=[coverage])])
    assert "coverages.0: effective_end is before effective_start" in str(info.value)
    assert "2025" not in str(info.value)


def test_verified_address_needs_an_address() -> None:
    with pytest.raises(ProblemError, match="address_verified is true but there is no address"):
        load_patients([record(address=None, address_verified=True)])


def test_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[{"id": "P1", "family_name": "Quixote",', encoding="utf-8")
    with pytest.raises(ProblemError, match=r"broken.json: not valid JSON \(line 1"):
        load_patients(path)
    with pytest.raises(ProblemError, match="cannot read"):
        load_patients(tmp_path / "missing.json")
    path.write_text('{"people": []}', encoding="utf-8")
    with pytest.raises(ProblemError, match="must hold a list"):
        load_patients(path)
