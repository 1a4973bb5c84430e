"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from greenmarket import __version__, config
from greenmarket.api.problems import install_problem_handlers
from greenmarket.clock import Clock
from greenmarket.exchange import api as exchange_api
from greenmarket.exchange import offbook_api, venue
from greenmarket.frameworks import api as frameworks_api
from greenmarket.integrity import api as integrity_api
from greenmarket.marketdata import api as marketdata_api
from greenmarket.registry import api as registry_api
from greenmarket.settlement import api as settlement_api
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import require_current_schema
from greenmarket.surveillance import api as surveillance_api
from greenmarket.web.app import install_web


def create_app(database: Database | None = None, clock: Clock | None = None) -> FastAPI:
    """Build the API over ``database`` (default: the configured one)."""
    app = FastAPI(
        title="greenmarket",
        version=__version__,
        description="Carbon-credit registry, exchange and green-bond analytics API. "
        "カーボン・クレジット登録簿・取引所・グリーンボンド分析 API。 "
        "Web pages at / (Japanese and English).",
    )
    install_problem_handlers(app)
    app.state.db = database or Database()
    require_current_schema(app.state.db.engine)
    app.state.clock = clock or config.clock()
    app.state.exchange = venue.build_exchange(app.state.db, app.state.clock)
    app.state.offbook = venue.build_offbook(app.state.db, app.state.clock)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(registry_api.router)
    app.include_router(integrity_api.router)
    app.include_router(frameworks_api.router)
    app.include_router(marketdata_api.router)
    app.include_router(surveillance_api.router)
    app.include_router(exchange_api.router)
    app.include_router(offbook_api.router)
    app.include_router(settlement_api.router)
    install_web(app)
    return app
