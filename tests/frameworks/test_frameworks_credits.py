"""Claimed retirements checked against a ledger's actual retirements (IOSCO GP 21, CTFH footnote 14)."""

from __future__ import annotations

from frameworks_kit import InMemoryLedger, complete_framework
from hypothesis import given
from hypothesis import strategies as st

from greenmarket.frameworks import ClaimStatus, Status, assess, parse_framework, reconcile_claims
from greenmarket.frameworks.credits import ClaimedRetirement

ISSUER = "Setouchi Green Power Co., Ltd."


def claim(quantity=100, project="JCR-1", vintage="2023", beneficiary=ISSUER, year=2025, serials=None):
    start, end = serials or (None, None)
    return ClaimedRetirement(year, quantity, project, vintage, beneficiary, start, end)


def test_a_claim_backed_by_retirements_is_confirmed():
    ledger = InMemoryLedger()
    ledger.add("P1", 60, "JCR-1", "2023", ISSUER)
    ledger.add("P1", 40, "JCR-1", "2023", "  setouchi green power co., ltd. ")  # same party, other spelling
    [check] = reconcile_claims([claim()], ledger.retirements_of("P1"))
    assert check.status is ClaimStatus.CONFIRMED
    assert check.found_quantity == 100 and check.retirement_ids == ("R1", "R2")


def test_a_claim_without_retirement_is_missing():
    ledger = InMemoryLedger()
    ledger.add("P1", 100, "JCR-1", "2022", ISSUER)  # other vintage
    ledger.add("P1", 100, "JCR-2", "2023", ISSUER)  # other project
    ledger.add("P1", 100, "JCR-1", "2023", ISSUER, reporting_year=2024)  # other reporting year
    [check] = reconcile_claims([claim()], ledger.retirements_of("P1"))
    assert check.status is ClaimStatus.MISSING and check.found_quantity == 0


def test_a_retirement_for_another_beneficiary_does_not_back_the_claim():
    ledger = InMemoryLedger()
    ledger.add("P1", 100, "JCR-1", "2023", "Another Corp")
    [check] = reconcile_claims([claim()], ledger.retirements_of("P1"))
    assert check.status is ClaimStatus.OTHER_BENEFICIARY
    assert check.retirement_ids == ("R1",) and "Another Corp" in check.detail.en


def test_a_smaller_retirement_is_quantity_short():
    ledger = InMemoryLedger()
    ledger.add("P1", 70, "JCR-1", "2023", ISSUER)
    [check] = reconcile_claims([claim()], ledger.retirements_of("P1"))
    assert check.status is ClaimStatus.QUANTITY_SHORT and check.found_quantity == 70


def test_one_retirement_cannot_back_two_claims():
    ledger = InMemoryLedger()
    ledger.add("P1", 100, "JCR-1", "2023", ISSUER)
    first, second = reconcile_claims([claim(), claim()], ledger.retirements_of("P1"))
    assert first.status is ClaimStatus.CONFIRMED
    assert second.status is ClaimStatus.MISSING


def test_serial_ranges_count_only_the_overlap():
    ledger = InMemoryLedger()
    ledger.add("P1", 100, "JCR-1", "2023", ISSUER, serials=(1001, 1100))
    inside, straddling = reconcile_claims(
        [claim(50, serials=(1001, 1050)), claim(100, serials=(1051, 1150))], ledger.retirements_of("P1"))
    assert inside.status is ClaimStatus.CONFIRMED
    assert straddling.status is ClaimStatus.QUANTITY_SHORT and straddling.found_quantity == 50


@given(retired=st.lists(st.integers(1, 500), max_size=6), claimed=st.lists(st.integers(1, 500), max_size=6))
def test_no_credit_is_counted_twice(retired, claimed):
    ledger = InMemoryLedger()
    for quantity in retired:
        ledger.add("P1", quantity, "JCR-1", "2023", ISSUER)
    checks = reconcile_claims([claim(q) for q in claimed], ledger.retirements_of("P1"))
    assert sum(c.found_quantity for c in checks) <= sum(retired)
    assert sum(c.found_quantity for c in checks) == min(sum(retired), sum(claimed))


def _framework_with_claims():
    raw = complete_framework()
    raw["carbon_credits"]["registry_participant"] = "P1"
    raw["carbon_credits"]["claimed_retirements"] = [
        {"reporting_year": 2025, "quantity": 100, "project": "JCR-1", "vintage": "2023", "beneficiary": ISSUER},
        {"reporting_year": 2025, "quantity": 50, "project": "JCR-2", "vintage": "2024", "beneficiary": ISSUER},
    ]
    return parse_framework(raw)


def test_assessment_confirms_claims_against_the_ledger():
    ledger = InMemoryLedger()
    ledger.add("P1", 100, "JCR-1", "2023", ISSUER)
    ledger.add("P1", 50, "JCR-2", "2024", ISSUER)
    ledger.add("P2", 50, "JCR-2", "2024", ISSUER)  # another participant's account is not read
    a = assess(_framework_with_claims(), ledger=ledger)
    assert [c.status for c in a.claim_checks] == [ClaimStatus.CONFIRMED, ClaimStatus.CONFIRMED]
    assert a.result("ctfh2023.e3.carbon_credits").status is Status.MET


def test_assessment_downgrades_the_credit_item_when_a_claim_fails():
    ledger = InMemoryLedger()
    ledger.add("P1", 100, "JCR-1", "2023", ISSUER)
    ledger.add("P2", 50, "JCR-2", "2024", ISSUER)
    a = assess(_framework_with_claims(), ledger=ledger)
    assert [c.status for c in a.claim_checks] == [ClaimStatus.CONFIRMED, ClaimStatus.MISSING]
    result = a.result("ctfh2023.e3.carbon_credits")
    assert result.status is Status.PARTLY_MET
    assert any("JCR-2" in g.en and "no matching retirement" in g.en for g in result.gaps)
    assert a.to_dict()["carbon_credit_claims"][1]["status"] == "missing"


def test_without_a_ledger_claims_are_reported_not_checked():
    a = assess(_framework_with_claims())
    assert {c.status for c in a.claim_checks} == {ClaimStatus.NOT_CHECKED}
    assert a.result("ctfh2023.e3.carbon_credits").status is Status.MET
