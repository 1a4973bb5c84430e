"""Offset-linked bonds (seed 001): retirements for up to x % of the issue amount, linked by ISIN."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from frameworks_kit import InMemoryLedger

from greenmarket.errors import ValidationError
from greenmarket.frameworks.offset import (
    OFFSET_PURPOSE,
    OffsetCapExceeded,
    OffsetLinkedBond,
    load_offset_bond,
    retire_for_bond,
    retired_for,
)

SAMPLE = Path(__file__).parents[2] / "src" / "greenmarket" / "frameworks" / "samples" / "offset_bond.yaml"


def bond(**changes) -> OffsetLinkedBond:
    terms = load_offset_bond(SAMPLE)
    return OffsetLinkedBond(**{**terms.__dict__, **changes})


def test_the_sample_terms_give_the_credit_cap():
    terms = load_offset_bond(SAMPLE)
    assert terms.offset_cap_rate == Decimal("0.0020")  # 0.20 % as in seed 001
    assert terms.cap_amount == Decimal("600000")       # 0.20 % of JPY 300 m
    assert terms.max_credits == 200                    # at JPY 3,000 per credit


def test_the_cap_rounds_down_to_whole_credits():
    assert bond(credit_price=Decimal("3001")).max_credits == 199


def test_retirements_up_to_the_cap_are_executed_and_linked_by_isin():
    terms = bond()
    ledger = InMemoryLedger({("minato-bank", "JCR-7", "2023"): 500})
    first = retire_for_bond(terms, ledger, quantity=150, project="JCR-7", vintage="2023", reporting_year=2024)
    second = retire_for_bond(terms, ledger, quantity=50, project="JCR-7", vintage="2023", reporting_year=2024)
    assert terms.isin in first.claim and first.purpose == OFFSET_PURPOSE
    assert first.beneficiary == terms.beneficiary and first.participant == "minato-bank"
    assert [r.retirement_id for r in retired_for(terms, ledger)] == [first.retirement_id, second.retirement_id]
    with pytest.raises(OffsetCapExceeded) as caught:
        retire_for_bond(terms, ledger, quantity=1, project="JCR-7", vintage="2023", reporting_year=2024)
    assert caught.value.details["already_retired"] == 200 and caught.value.details["cap"] == 200
    assert ledger.holdings[("minato-bank", "JCR-7", "2023")] == 300  # the refused request retired nothing


def test_a_single_request_over_the_cap_is_refused():
    ledger = InMemoryLedger({("minato-bank", "JCR-7", "2023"): 500})
    with pytest.raises(OffsetCapExceeded):
        retire_for_bond(bond(), ledger, quantity=201, project="JCR-7", vintage="2023", reporting_year=2024)
    assert ledger.retirements == []


def test_other_bonds_retirements_do_not_use_this_bonds_cap():
    ledger = InMemoryLedger({("minato-bank", "JCR-7", "2023"): 1000})
    other = bond(isin="JP90000OFS27")
    retire_for_bond(other, ledger, quantity=200, project="JCR-7", vintage="2023", reporting_year=2024)
    retire_for_bond(bond(), ledger, quantity=200, project="JCR-7", vintage="2023", reporting_year=2024)
    assert len(retired_for(bond(), ledger)) == 1


@pytest.mark.parametrize("changes, field", [
    ({"isin": "JP90000OFS10"}, "isin"),
    ({"offset_cap_rate": Decimal("0")}, "offset_cap_rate"),
    ({"credit_price": Decimal("-1")}, "credit_price"),
    ({"issue_amount": Decimal("0")}, "issue_amount"),
])
def test_invalid_terms_are_refused(changes, field):
    with pytest.raises(ValidationError) as caught:
        bond(**changes)
    assert caught.value.field == field


def test_the_cap_is_checked_again_inside_the_retirement():
    terms = bond()
    key = ("minato-bank", "JCR-7", "2023")

    class Racing(InMemoryLedger):
        """A concurrent retirement of 150 for the bond lands between the early check and this one."""

        def retire(self, request, *, check=None):
            if not self.retirements:
                self.retirements.append(_linked(terms, 150))
            return super().retire(request, check=check)

    racing = Racing({key: 500})
    with pytest.raises(OffsetCapExceeded) as caught:
        retire_for_bond(terms, racing, quantity=100, project="JCR-7", vintage="2023", reporting_year=2024)
    assert caught.value.details["already_retired"] == 150
    assert [r.quantity for r in racing.retirements] == [150]  # ours was undone
    assert racing.holdings[key] == 500


def _linked(terms: OffsetLinkedBond, quantity: int):
    from frameworks_kit import T0

    from greenmarket.frameworks.credits import Retirement

    return Retirement("C1", "minato-bank", quantity, "JCR-7", "2023", terms.beneficiary, OFFSET_PURPOSE,
                      terms.claim_text(), 2024, T0)
