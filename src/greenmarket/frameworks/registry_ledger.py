"""The greenmarket registry as a :class:`~greenmarket.frameworks.credits.RetiringLedger`.

Reads go through the registry's public queries (``list_retirements`` for the participant's retirements,
``public_retirements`` for their project, vintage and serials, ``holdings`` of the participant's
retirement accounts for the serial numbers); a retirement goes through ``ledger.retire`` in one
``RegistryService`` unit of work, journaled like any other. The frameworks area never touches the
registry's tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from greenmarket.errors import Conflict, NotFound
from greenmarket.frameworks.credits import Retirement, RetirementCheck, RetirementRequest
from greenmarket.registry import ledger, queries
from greenmarket.registry.ledger import Context, CreditSpec, Selection
from greenmarket.registry.service import RegistryService


def _serial_numbers(session: Session, participant: str) -> dict[str, tuple[int, int]]:
    """Rendered serial range → (start, end), over the participant's retirement accounts."""
    numbers: dict[str, tuple[int, int]] = {}
    for account in queries.list_accounts(session, participant):
        if account["kind"] != "retirement":
            continue
        for holding in queries.holdings(session, account["id"]):
            for block in holding["serials"]:
                numbers[block["serial"]] = (int(block["start"]), int(block["end"]))
    return numbers


def retirements_in(session: Session, participant: str) -> list[Retirement]:
    """The participant's retirements, one per serial block (so each carries its exact serials)."""
    own = {row["id"] for row in queries.list_retirements(session, participant)}
    if not own:
        return []
    numbers = _serial_numbers(session, participant)
    out: list[Retirement] = []
    for entry in queries.public_retirements(session):
        if entry["retirement_id"] not in own:
            continue
        for index, rendered in enumerate(entry["serials"]):
            start, end = numbers[rendered]
            suffix = f".{index + 1}" if len(entry["serials"]) > 1 else ""
            out.append(Retirement(
                retirement_id=f"{entry['retirement_id']}{suffix}", participant=participant,
                quantity=end - start + 1, project=entry["project_id"], vintage=str(entry["vintage"]),
                beneficiary=entry["beneficiary"], purpose=entry["purpose"], claim=entry["claim"],
                reporting_year=entry["reporting_year"], retired_at=datetime.fromisoformat(entry["retired_at"]),
                serial_start=start, serial_end=end,
            ))
    return out


def _holding_account(session: Session, participant: str) -> int:
    """The participant's one open holding account (credits are retired from it)."""
    open_holdings = [a["id"] for a in queries.list_accounts(session, participant)
                     if a["kind"] == "holding" and a["state"] == "open"]
    if not open_holdings:
        raise NotFound(f"participant {participant} has no open holding account", field="participant")
    if len(open_holdings) > 1:
        raise Conflict(f"participant {participant} has {len(open_holdings)} open holding accounts; "
                       "retire through the registry naming the account", code="ambiguous_account",
                       field="participant")
    return open_holdings[0]


class RegistryLedger:
    """Retirements read from, and made in, the greenmarket registry."""

    def __init__(self, service: RegistryService, *, actor: str) -> None:
        self.service = service
        self.actor = actor

    def retirements_of(self, participant: str) -> Sequence[Retirement]:
        with self.service.db.read() as session:
            return retirements_in(session, participant)

    def retire(self, request: RetirementRequest, *, check: RetirementCheck | None = None) -> Retirement:
        """Retire from the participant's holding account; ``check`` runs in the same transaction."""

        def operation(ctx: Context) -> dict[str, Any]:
            result = ledger.retire(
                ctx, account_id=_holding_account(ctx.session, request.participant),
                selection=Selection(quantity=request.quantity,
                                    spec=CreditSpec(project_id=request.project, vintage=int(request.vintage))),
                beneficiary=request.beneficiary, purpose=request.purpose, claim=request.claim,
                reporting_year=request.reporting_year,
            )
            if check is not None:
                check(retirements_in(ctx.session, request.participant))
            return result

        result = self.service.execute(self.actor, operation)
        return Retirement(
            retirement_id=str(result["id"]), participant=request.participant, quantity=result["quantity"],
            project=request.project, vintage=request.vintage, beneficiary=result["beneficiary"],
            purpose=result["purpose"], claim=result["claim"], reporting_year=result["reporting_year"],
            retired_at=datetime.fromisoformat(result["created_at"]),
            serial_start=result["serials"][0][0] if len(result["serials"]) == 1 else None,
            serial_end=result["serials"][0][1] if len(result["serials"]) == 1 else None,
        )
