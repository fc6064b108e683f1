"""No protected health information in reprs, strings, default dumps, errors or log records."""

from __future__ import annotations

import doctest
import json
import logging
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, ValidationError

from psr_sched.errors import ProblemError
from psr_sched.intake import (
    PHI,
    eligibility_from_271,
    eligibility_from_fhir,
    intake_tasks,
    load_patients,
    read_271,
)
from psr_sched.intake import normalize as normalize_module
from psr_sched.intake import phi as phi_module
from psr_sched.intake.phi import describe_errors

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"

#: Names, birth dates, member and group ids, addresses, phones and e-mail of the invented
#: patients in tests/data/intake, in every spelling the files use.
PHI_STRINGS = [
    "quixote",
    "margaret",
    "1980-02-14",
    "19800214",
    "zqx900112233",
    "grp-4455",
    "evergreen",
    "springfield",
    "62701",
    "555-0142",
    "5550142",
    "m.quixote",
    "balderrama",
    "tobias",
    "1974-11-03",
    "19741103",
    "zqx455001982",
    "quarry",
    "decatur",
    "5550187",
    "vanterpool",
    "odessa",
    "zqx000000017",
    "19910722",
    "ashworth",
    "delphine",
    "felix",
    "20170509",
    "zqx300220044",
    "o'neill",
    "siobhan",
    "2001-06-30",
    "5550123",
    "ostrander",
    "wilhelmina",
    "xjw48810273",
    "fenwick",
    "thaddeus",
    "xjw59920418",
    "kettlewell",
    "augustine",
    "pmh771204558",
    "19670419",
    "larkspur",
    "peoria",
    "abernathy",
    "corinna",
]


def assert_no_phi(text: str) -> None:
    lowered = text.lower()
    found = [needle for needle in PHI_STRINGS if needle in lowered]
    assert not found, f"protected values leaked: {found}"


def test_patient_repr_str_and_default_dumps() -> None:
    for patient in load_patients(DATA / "patients.json"):
        assert repr(patient) == f"Patient(id={patient.id!r}, coverages={len(patient.coverages)})"
        for text in (
            repr(patient),
            str(patient),
            f"{patient}",
            str(patient.model_dump()),
            patient.model_dump_json(),
            json.dumps(patient.model_dump(mode="json")),
            repr(patient.coverages),
            repr(patient.given_name),
            str(patient.birth_date),
            f"{patient.phone}",
            repr(patient.address),
        ):
            assert_no_phi(text)
        revealed = patient.model_dump_json(context={"reveal_phi": True})
        assert patient.family_name.reveal() in revealed  # only when asked for


def test_eligibility_results_hold_no_phi() -> None:
    results = [
        *read_271(DATA / "271_active.x12"),
        *read_271(DATA / "271_inactive.x12"),
        *read_271(DATA / "271_rejected.x12"),
        *read_271(DATA / "271_dependent.x12"),
        *read_271(DATA / "271_unmapped_eb01.x12"),
        eligibility_from_fhir(DATA / "cer_active.json", "P001"),
        eligibility_from_fhir(DATA / "cer_inactive.json", "P002"),
        eligibility_from_fhir(DATA / "cer_vendor_active.json", "P010"),
        eligibility_from_fhir(DATA / "cer_vendor_unknown.json", "P011"),
    ]
    for result in results:
        assert_no_phi(repr(result) + str(result) + result.model_dump_json())
        assert_no_phi(result.benefits_frame().to_string())


def test_patient_errors_never_echo_values() -> None:
    bad = {
        "id": "P001",
        "family_name": "Quixote1",
        "given_name": "Margaret;",
        "birth_date": "1980-02-30",
        "sex": "Quixote",
        "phone": "217-555-0142 QUIXOTE",
        "email": "m.quixote@@example.org",
        "address": {
            "line1": "742 Evergreen Ter",
            "city": "Springfield",
            "state": "Springfield",
            "postal_code": "62701-12",
        },
        "coverages": [
            {"payer_id": "ACME01", "member_id": "ZQX900112233!", "effective_start": "2025-01-01"}
        ],
        "Margaret Quixote": "1980-02-14",
    }
    with pytest.raises(ProblemError) as info:
        load_patients([bad])
    message = str(info.value)
    assert message.count("patient P001:") == 10
    assert "patient P001: <unknown field>: Extra inputs are not permitted" in message
    assert_no_phi(message)


def test_fallback_when_a_message_quotes_its_input() -> None:
    def shout(value: str) -> str:
        raise ValueError(f"{value} is not allowed")

    class Record(BaseModel):
        name: PHI[Annotated[str, AfterValidator(shout)]]

    with pytest.raises(ValidationError) as info:
        Record(name="Quixote")
    assert describe_errors(info.value, "record R1") == [
        "record R1: name: invalid value (value_error)"
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("DTP*346*D8*20250101", "DTP*346*D8*QUIXOTE"),
        ("DMG*D8*19800214*F~\nINS", "DMG*D8*19800214*F~\nDTP*472*D8*1980021~\nINS"),
        ("XX*1497758544", "XX*QUIXOTE"),
        ("EB*B*IND*MH***27*40", "EB*B*IND*MH***27*ZQX900112233"),
        ("ST*271", "ST*QUIXOTE"),
    ],
)
def test_x12_errors_never_echo_values(old: str, new: str) -> None:
    text = (DATA / "271_active.x12").read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(ProblemError) as info:
        eligibility_from_271(text.replace(old, new, 1), "P001")
    assert_no_phi(str(info.value))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("contained", 0, "birthDate"), "14/02/1980"),
        (("contained", 0, "gender"), 1980),
        (("contained", 0, "name", 0, "family"), {"text": "Quixote"}),
        (("contained", 0, "nickname"), "Peggy Quixote"),
        (("contained", 2, "subscriberId"), ["ZQX900112233"]),
    ],
)
def test_fhir_deviations_never_echo_values(
    path: tuple[Any, ...], value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Malformed patient data the reader does not need: left out, named, never quoted.
    caplog.set_level(logging.DEBUG)
    data = json.loads((DATA / "cer_active.json").read_text(encoding="utf-8"))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    result = eligibility_from_fhir(data, "P001")
    (entry,) = result.not_read
    assert entry.startswith("contained.")
    for text in (entry, caplog.text, result.model_dump_json()):
        assert_no_phi(text)
        assert "14/02/1980" not in text and "peggy" not in text.lower()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("contained", 2, "period", "start"), "QUIXOTE"),
        (("insurance", 0, "item", 3, "benefit", 0, "allowedMoney", "value"), "ZQX900112233"),
        (("insurance", 0, "item", 3, "name"), {"text": "Margaret Quixote"}),
    ],
)
def test_fhir_errors_never_echo_values(path: tuple[Any, ...], value: Any) -> None:
    data = json.loads((DATA / "cer_active.json").read_text(encoding="utf-8"))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ProblemError) as info:
        eligibility_from_fhir(data, "P001")
    message = str(info.value)
    assert message.startswith("CoverageEligibilityResponse: ")
    assert_no_phi(message)


def test_log_records_hold_no_phi(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    patients = load_patients(DATA / "patients.json")
    for patient in patients:
        intake_tasks(patient, eligibility_from_271(DATA / "271_active.x12", patient.id).as_of)
    for name in ("271_active.x12", "271_inactive.x12", "271_rejected.x12", "271_dependent.x12"):
        read_271(DATA / name)
    eligibility_from_fhir(DATA / "cer_active.json", "P001")
    eligibility_from_fhir(DATA / "cer_vendor_active.json", "P010")
    read_271(DATA / "271_unmapped_eb01.x12")
    bad = json.loads((DATA / "patients.json").read_text(encoding="utf-8"))["patients"]
    bad[0]["phone"] = "555-0142"
    with pytest.raises(ProblemError):
        load_patients(bad)
    messages = [record.getMessage() for record in caplog.records]
    assert any("loaded 3 patient records" in m for m in messages)
    assert any("271: read 1 eligibility results" in m for m in messages)
    assert any("patient records: 1 errors" in m for m in messages)
    assert_no_phi("\n".join(messages))
    assert_no_phi(caplog.text)


@pytest.mark.parametrize("module", [normalize_module, phi_module])
def test_docstring_examples(module: Any) -> None:
    assert doctest.testmod(module).failed == 0
