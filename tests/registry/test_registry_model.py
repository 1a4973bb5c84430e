"""The registry's rules (pure): FSA eligibility, who may take part, KYC and account gating."""

from __future__ import annotations

import pytest

from greenmarket.errors import Conflict, Forbidden, ValidationError
from greenmarket.registry import model
from greenmarket.registry.model import Accreditation, Program

GOVERNMENTAL = Program("JCREDIT", "J-Credit", True, "tCO2e", "JCR-{project}-{vintage}-{start}-{end}")
VOLUNTARY = Program("VCS", "Verra", False, "tCO2e", "{start}-{end}-VCS-{project}-{vintage}")


@pytest.mark.parametrize(
    ("program", "accreditation", "eligible"),
    [
        (GOVERNMENTAL, Accreditation.NONE, True),  # governmental programs: always
        (GOVERNMENTAL, Accreditation.DOE, True),
        (VOLUNTARY, Accreditation.DOE, True),  # Kyoto / Article 6.4 DOE
        (VOLUNTARY, Accreditation.ISO14065, True),  # ISO 14065-accredited verifier
        (VOLUNTARY, Accreditation.NONE, False),
    ],
)
def test_fi_eligible_follows_the_fsa_qa(program: Program, accreditation: Accreditation,
                                        eligible: bool) -> None:
    assert model.fi_eligible(program, accreditation) is eligible


def test_shipped_programs_governmental_flags() -> None:
    flags = {p["code"]: p["governmental"] for p in model.known_programs()}
    assert flags["JCREDIT"] and flags["JCM"]
    assert not any(flags[code] for code in ("VCS", "GS", "ACR", "CAR"))


def test_individuals_are_not_admitted() -> None:
    with pytest.raises(ValidationError) as error:
        model.ensure_participant_type("individual")
    assert error.value.code == "individual_not_admitted"


def test_unknown_participant_type_refused_and_known_accepted() -> None:
    with pytest.raises(ValidationError):
        model.ensure_participant_type("hedge_fund")
    assert model.ensure_participant_type("local_government") is model.ParticipantType.LOCAL_GOVERNMENT


@pytest.mark.parametrize("kyc", ["pending", "rejected", "suspended"])
def test_only_verified_participants_move(kyc: str) -> None:
    with pytest.raises(Forbidden) as error:
        model.ensure_may_move(kyc, "open", role="from_account")
    assert error.value.code == "kyc_not_verified"
    assert error.value.field == "from_account_id"


@pytest.mark.parametrize("state", ["pending", "blocked"])
def test_only_open_accounts_move(state: str) -> None:
    with pytest.raises(Conflict) as error:
        model.ensure_may_move("verified", state)
    assert error.value.code == "account_not_open"


def test_verified_and_open_may_move() -> None:
    model.ensure_may_move("verified", "open")


def test_financial_institutions_hold_only_eligible_credits() -> None:
    with pytest.raises(Forbidden) as error:
        model.ensure_may_hold("financial_institution", False, "VCS-1")
    assert error.value.code == "not_eligible_for_holder"
    model.ensure_may_hold("financial_institution", True, "JCR-1")
    model.ensure_may_hold("corporate", False, "VCS-1")


@pytest.mark.parametrize("year", [1989, 2101])
def test_vintage_and_reporting_year_bounds(year: int) -> None:
    with pytest.raises(ValidationError):
        model.ensure_vintage(year)
    with pytest.raises(ValidationError):
        model.ensure_reporting_year(year)
    assert model.ensure_reporting_year(None) is None


def test_categories_jcredit_uses_tse_categories_and_others_the_default() -> None:
    assert model.ensure_category("JCREDIT", "forestry") == "forestry"
    with pytest.raises(ValidationError):
        model.ensure_category("JCREDIT", "household")
    assert model.ensure_category("VCS", "household") == "household"


def test_serial_rendering_uses_the_programs_format() -> None:
    assert GOVERNMENTAL.render_serial("P1", 2024, 1, 10) == "JCR-P1-2024-1-10"
    for fields in model.known_programs():  # every shipped format renders a block
        rendered = Program(**fields).render_serial("P1", 2024, 7, 9)  # type: ignore[arg-type]
        assert "P1" in rendered and "2024" in rendered
