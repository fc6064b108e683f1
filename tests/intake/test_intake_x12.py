"""The X12 005010X279A1 271 reader."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from psr_sched.errors import ProblemError
from psr_sched.intake import EligibilityStatus, eligibility_from_271, read_271
from psr_sched.intake.x12 import read_segments

DATA = Path(__file__).resolve().parents[1] / "data" / "intake"
ACTIVE = DATA / "271_active.x12"
VISIT = dt.date(2025, 3, 10)


def active_text() -> str:
    return ACTIVE.read_text(encoding="utf-8")


def with_body(body: list[str], bht_date: str = "20250303") -> str:
    """A one-transaction 271 around ``body`` (the segments after BHT), with right counts."""
    st = ["ST*271*0001*005010X279A1", f"BHT*0022*11*T1*{bht_date}*1200", *body]
    st.append(f"SE*{len(st) + 1}*0001")
    isa = active_text().split("~")[0]
    segments = [isa, "GS*HB*ACMEHEALTH*PSRCLINIC*20250303*1200*101*X*005010X279A1", *st]
    segments += ["GE*1*101", "IEA*1*000000101"]
    return "~".join(segments) + "~"


PAYER = ["HL*1**20*1", "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME01", "HL*2*1*21*1"]
MEMBER = ["HL*3*2*22*0", "TRN*2*PSR-REQ-9*9PSRCLINIC", "NM1*IL*1*DOE*JANE****MI*ZQX1"]


def test_delimiters_come_from_isa() -> None:
    delimiters, segments = read_segments(active_text())
    assert (delimiters.element, delimiters.repetition, delimiters.component) == ("*", "^", ":")
    assert delimiters.segment == "~"
    assert [s.tag for s in segments[:4]] == ["ISA", "GS", "ST", "BHT"]
    eb = next(s for s in segments if s.tag == "EB" and "^" in s.element(3))
    assert eb.repeats(3) == ["98", "BZ"]
    assert eb.element(99) == ""


def test_other_delimiters_and_no_line_breaks() -> None:
    # "|" between elements, "!" between repetitions, ">" in composites, "\n" ends segments.
    text = active_text().replace("~\n", "~")
    isa, rest = text[:106], text[106:]
    isa = isa[:82] + "!" + isa[83:104] + ">\n"
    text = (isa + rest.replace("~", "\n")).replace("*", "|").replace("98^BZ", "98!BZ")
    assert read_271(text) == read_271(ACTIVE)


def test_segment_repr_shows_no_values() -> None:
    _, segments = read_segments(active_text())
    nm1 = next(s for s in segments if s.tag == "NM1" and s.element(1) == "IL")
    assert repr(nm1) == f"Segment(NM1, number={nm1.number})"


def test_active_271() -> None:
    result = eligibility_from_271(ACTIVE, "P001")
    assert result.patient_id == "P001"
    assert result.status is EligibilityStatus.ACTIVE
    assert (result.payer_id, result.payer_name) == ("ACME01", "ACME HEALTH PLAN")
    assert (result.plan, result.network) == ("ACME GOLD PPO", "ACME-PPO")
    assert result.as_of == VISIT
    assert [(p.start, p.end) for p in result.coverage_periods] == [
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    ]
    assert result.in_network_provider_ids == ("1306849450", "1497758544")

    office = result.benefit("98")
    assert office.copay == Decimal("25.00")
    assert office.coinsurance == Decimal("0.2")
    assert office.prior_auth_required is False
    # Deductible and out of pocket are given for the plan (30) only.
    assert office.deductible == Decimal("1500.00")
    assert office.deductible_remaining == Decimal("850.00")
    assert office.oop_max == Decimal("4000.00")
    assert office.oop_remaining == Decimal("3200.00")

    assert result.benefit("98", network="out").coinsurance == Decimal("0.4")
    assert result.benefit("30", network="out").deductible_remaining == Decimal("3000.00")
    assert result.benefit("30", unit="family").deductible_remaining == Decimal("2350.00")
    assert result.benefit("BY").copay == Decimal("0.00")
    assert result.benefit("BZ").copay == Decimal("25.00")  # EB03 repetition 98^BZ
    assert result.benefit("MH").prior_auth_required is True  # EB11 Y
    assert result.benefit("PT").prior_auth_required is True
    assert result.benefit("62").prior_auth_required is True  # MSG text, no EB11
    for benefit in result.benefits:
        for value in (benefit.copay, benefit.deductible, benefit.oop_remaining):
            assert value is None or isinstance(value, Decimal)


def test_active_on_visit_date_not_effective_date() -> None:
    result = eligibility_from_271(ACTIVE, "P001")
    assert result.is_active(VISIT)
    assert result.is_active(dt.date(2025, 12, 31))
    assert not result.is_active(dt.date(2024, 12, 31))  # before the plan began
    assert not result.is_active(dt.date(2026, 1, 5))  # effective earlier, but it has ended


def test_inactive_271_terminated_before_visit() -> None:
    result = eligibility_from_271(DATA / "271_inactive.x12", "P002")
    assert result.status is EligibilityStatus.INACTIVE
    assert result.plan == "ACME SILVER HMO"
    period = result.coverage_periods[0]
    # The policy took effect long before the visit; it ended before it.
    assert period.start == dt.date(2023, 1, 1) and period.start < VISIT
    assert period.end == dt.date(2025, 1, 31)
    assert not result.is_active(VISIT)
    assert not result.is_active(dt.date(2024, 6, 1))  # the payer said inactive


def test_rejected_271() -> None:
    result = eligibility_from_271(DATA / "271_rejected.x12", "P003")
    assert result.status is EligibilityStatus.REJECTED
    assert not result.is_active(VISIT)
    (rejection,) = result.rejections
    assert (rejection.code, rejection.follow_up, rejection.level) == ("75", "C", "subscriber")
    assert rejection.description == "Subscriber/insured not found"
    assert result.as_of == dt.date(2025, 3, 3)  # no service date: the response date


def test_dependent_inherits_subscriber_plan_and_dates() -> None:
    (result,) = read_271(DATA / "271_dependent.x12")
    assert result.patient_id == "PSR-REQ-0005"  # the dependent's trace number
    assert result.status is EligibilityStatus.ACTIVE
    assert (result.plan, result.network) == ("ACME GOLD PPO", "ACME-PPO")
    assert result.as_of == dt.date(2025, 3, 11)
    assert [(p.start, p.end) for p in result.coverage_periods] == [
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    ]
    assert result.benefit("BY").copay == Decimal("0.00")


def test_read_271_maps_trace_numbers_to_patients() -> None:
    (result,) = read_271(ACTIVE, {"PSR-REQ-0001": "P001"})
    assert result.patient_id == "P001"
    with pytest.raises(ProblemError, match="TRN02: trace number is not in patient_ids"):
        read_271(ACTIVE, {"PSR-REQ-9999": "P001"})


def test_text_bytes_and_path_read_alike() -> None:
    text = active_text()
    assert read_271(text) == read_271(text.encode()) == read_271(ACTIVE) == read_271(str(ACTIVE))


def test_payer_level_rejection_without_member() -> None:
    text = with_body([*PAYER[:2], "AAA*N**42*R"])
    assert read_271(text) == []
    result = eligibility_from_271(text, "P009")
    assert result.status is EligibilityStatus.REJECTED
    assert result.payer_id == "ACME01"
    assert [(r.code, r.level) for r in result.rejections] == [("42", "payer")]


def test_eb08_percent_and_used_amounts() -> None:
    text = with_body(
        [
            *PAYER,
            *MEMBER,
            "EB*1*IND*30",
            "EB*A*IND*98***27**20****Y",  # 20 meaning 20 %
            "EB*C*IND*30***23*2000*****Y",
            "EB*C*IND*30***24*500*****Y",  # year to date: used
            "EB*G*IND*30***23*5000*****Y",
        ]
    )
    (result,) = read_271(text)
    assert result.benefit("98").coinsurance == Decimal("0.2")
    plan = result.benefit("30")
    assert plan.deductible_remaining == Decimal("1500.00")
    assert plan.oop_max == Decimal("5000.00") and plan.oop_remaining is None
    # No period dates: active only on the day the payer answered for.
    assert result.coverage_periods == ()
    assert result.is_active(dt.date(2025, 3, 3))
    assert not result.is_active(dt.date(2025, 3, 4))


def test_msg_saying_no_authorization() -> None:
    text = with_body(
        [*PAYER, *MEMBER, "EB*1*IND*A6", "MSG*NO PRIOR AUTHORIZATION REQUIRED FOR PSYCHOTHERAPY"]
    )
    (result,) = read_271(text)
    assert result.benefit("A6", network=None).prior_auth_required is False


def test_eligibility_dates_win_over_plan_dates() -> None:
    text = with_body(
        [
            *PAYER,
            *MEMBER,
            "DTP*291*RD8*20250101-20251231",
            "DTP*356*D8*20250201",
            "EB*1*IND*30",
        ]
    )
    (result,) = read_271(text)
    assert [(p.start, p.end) for p in result.coverage_periods] == [(dt.date(2025, 2, 1), None)]
    assert result.is_active(dt.date(2030, 1, 1))  # open-ended eligibility


def test_benefit_level_dates_when_member_has_none() -> None:
    text = with_body([*PAYER, *MEMBER, "EB*1*IND*30", "DTP*346*D8*20250101", "DTP*347*D8*20250630"])
    (result,) = read_271(text)
    assert [(p.start, p.end) for p in result.coverage_periods] == [
        (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("ST*271*0001", "ST*270*0001", r"segment 3 \(ST\): ST01: not a 271"),
        ("SE*48*0001", "SE*47*0001", r"\(SE\): SE01: does not match the 48 segments counted"),
        ("SE*48*0001", "SE*48*0002", r"\(SE\): SE02: does not match ST02"),
        ("GS*HB", "GS*HC", r"GS01: not an eligibility response group"),
        ("X*005010X279A1", "X*004010X092A1", r"GS08: version is not 005010X279A1"),
        ("GE*1*", "GE*2*", r"GE01: does not match the 1 transaction sets counted"),
        ("IEA*1*000000101", "IEA*1*000000999", r"IEA02: does not match ISA13"),
        ("DTP*346*D8*20250101", "DTP*346*D8*2025-01-01", r"\(DTP\): DTP03: not a date"),
        ("DTP*346*D8", "DTP*346*D9", r"DTP02: date format is not D8 or RD8"),
        ("DTP*347*D8*20251231", "DTP*347*D8*20241231", r"DTP03: coverage ends before it begins"),
        ("27*25****N", "27*2X5****N", r"\(EB\): EB07: not an amount"),
        ("27**0.4", "27**140", r"EB08: a percentage above 100"),
        ("XX*1497758544", "XX*14977585", r"\(NM1\): NM109: an NPI has 10 digits"),
    ],
)
def test_malformed_271(old: str, new: str, message: str) -> None:
    text = active_text()
    assert old in text
    with pytest.raises(ProblemError, match=message) as info:
        read_271(text.replace(old, new, 1))
    assert "QUIXOTE" not in str(info.value)


def test_not_an_interchange() -> None:
    with pytest.raises(ProblemError, match="does not start with a complete ISA"):
        read_271("ISA*00*short~")
    with pytest.raises(ProblemError, match="cannot read"):
        read_271(DATA / "missing.x12")


def test_truncated_file() -> None:
    text = active_text()
    cut = text[: text.index("SE*")]
    with pytest.raises(ProblemError, match="transaction set has no SE"):
        read_271(cut)


def test_more_than_one_member_needs_read_271() -> None:
    body = [*PAYER, *MEMBER, "EB*1*IND*30", "HL*4*2*22*0", "TRN*2*PSR-REQ-10*9PSRCLINIC"]
    text = with_body([*body, "EB*6*IND*30"])
    first, second = read_271(text)
    assert (first.patient_id, first.status) == ("PSR-REQ-9", EligibilityStatus.ACTIVE)
    assert (second.patient_id, second.status) == ("PSR-REQ-10", EligibilityStatus.INACTIVE)
    with pytest.raises(ProblemError, match="expected one subscriber or dependent loop, found 2"):
        eligibility_from_271(text, "P001")


def test_member_without_trace() -> None:
    text = with_body([*PAYER, "HL*3*2*22*0", "EB*1*IND*30"])
    with pytest.raises(ProblemError, match="TRN02: no trace number"):
        read_271(text)
    assert eligibility_from_271(text, "P001").status is EligibilityStatus.ACTIVE


UNMAPPED = DATA / "271_unmapped_eb01.x12"


def test_unmapped_eb01_codes_keep_the_rest_and_say_which() -> None:
    (result,) = read_271(UNMAPPED)
    assert result.status is EligibilityStatus.ACTIVE and result.status_reason is None
    assert result.plan == "PRAIRIE CHOICE PPO 2500"
    office = result.benefit("98")
    assert (office.copay, office.coinsurance) == (Decimal("30.00"), Decimal("0"))
    assert (office.deductible, office.deductible_remaining) == (
        Decimal("2500.00"),
        Decimal("670.00"),
    )
    assert (office.oop_max, office.oop_remaining) == (Decimal("6000.00"), Decimal("3860.00"))
    assert result.benefit("33").copay == Decimal("40.00")  # its F (Limitations) is not read
    assert result.benefit("UC").copay == Decimal("75.00")
    assert result.not_read == (
        "271 segments 23, 50 (EB): EB01 D (Benefit Description)",
        "271 segment 25 (EB): EB01 L (Primary Care Provider)",
        "271 segment 42 (EB): EB01 F (Limitations)",
        "271 segment 44 (EB): EB01 U (Contact Following Entity for Eligibility or Benefit "
        "Information)",
        "271 segment 52 (EB): EB01 P (Benefit Disclaimer)",
    )
    # The PCP of EB*L is not an in-network provider: EB*L says nothing about the network.
    assert result.in_network_provider_ids == ()


def test_fully_mapped_271_reads_whole() -> None:
    for name in ("271_active.x12", "271_inactive.x12", "271_dependent.x12"):
        for result in read_271(DATA / name):
            assert (result.not_read, result.status_reason) == ((), None)


def test_codes_not_in_the_eb01_list() -> None:
    text = with_body([*PAYER, *MEMBER, "EB*1*IND*30", "EB*Z9*IND*30", "EB**IND*30", "EB*ZQX1*IND"])
    (result,) = read_271(text)
    assert result.status is EligibilityStatus.ACTIVE
    assert result.not_read == (
        "271 segment 12 (EB): EB01 Z9: not an EB01 code",
        "271 segment 13 (EB): EB01: no code",
        "271 segment 14 (EB): EB01: not a code",  # not code-like: not quoted
    )


def test_no_coverage_code_is_unknown_with_the_reason() -> None:
    text = with_body([*PAYER, *MEMBER, "EB*B*IND*98***27*25****N*Y", "EB*D*IND*30"])
    (result,) = read_271(text)
    assert result.status is EligibilityStatus.UNKNOWN
    assert result.status_reason == "no EB segment says Active Coverage or Inactive (EB01 1-8)"
    assert result.benefit("98").copay == Decimal("25.00")
    assert result.not_read == ("271 segment 12 (EB): EB01 D (Benefit Description)",)


def test_wrong_trailer_count_is_refused_naming_the_segment() -> None:
    # As relayed: a segment dropped on the way, SE01 left at the sender's count.
    with pytest.raises(ProblemError, match=r"^271 segment 53 \(SE\): SE01: does not match the 51"):
        read_271(DATA / "271_bad_trailer.x12")
    text = UNMAPPED.read_text(encoding="utf-8")
    with pytest.raises(ProblemError, match=r"\(GE\): GE01: does not match the 1 transaction"):
        read_271(text.replace("GE*1*214", "GE*2*214"))
    with pytest.raises(ProblemError, match=r"\(IEA\): IEA01: does not match the 1 functional"):
        read_271(text.replace("IEA*1*", "IEA*3*"))
