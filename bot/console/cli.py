"""python -m bot console [--host H] [--port N] | console link --user ID."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings

__all__ = ["print_link", "serve"]


def print_link(settings: Settings, user_id: int) -> int:
    """Print a single-use sign-in URL on its own line (staff only)."""
    from bot.console.auth import create_link, link_url, staff_role
    from bot.db import make_engine, session_scope
    from bot.models import utcnow
    from bot.schema import prepare
    from bot.users import Roles

    engine = make_engine(settings.database_url)
    prepare(engine)  # SQLite is upgraded; PostgreSQL must be current
    roles = Roles(frozenset(settings.admin_user_ids), frozenset(settings.inspector_user_ids))
    with session_scope(engine) as session:
        if staff_role(session, roles, user_id) is None:
            print(
                f"错误：用户 {user_id} 不是管理员或监管人员"
                "（见 ADMIN_USER_IDS、INSPECTOR_USER_IDS 或 /grant）。",
                file=sys.stderr,
            )
            return 2
        token = create_link(session, user_id=user_id, now=utcnow())
    print(link_url(settings.console_url, token))
    return 0


def serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the console with uvicorn until interrupted."""
    import uvicorn

    from bot.console.app import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0
