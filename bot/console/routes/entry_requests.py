"""待回复 → 需要新增问答: staff mark a left question for the knowledge base; the list and its
CSV are for whoever maintains the FAQ entries. Marking and unmarking are audited."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.auth import Staff
from bot.console.web import attachment, db, form_text, page, record, staff_page, state
from bot.guidance import entry_requests

__all__ = ["ROUTES"]

NOTICES = {"removed": "已移出列表。"}
SHOWN = 100  # the page shows the latest; the CSV has them all


@staff_page("admin")
async def mark(request: Request, staff: Staff) -> Response:
    """需要新增问答 on one left question (with an optional note)."""
    item_id = int(request.path_params["item_id"])
    note = form_text(await request.form(), "note")[: entry_requests.MAX_NOTE]
    with db(request) as session:
        added = entry_requests.mark(session, item_id=item_id, staff_id=staff.user_id, note=note)
        if added:
            record(session, staff, "pending:needs_entry", f"{item_id} {note}".strip())
    done = "gone" if added is None else "marked"
    return RedirectResponse(f"/pending?done={done}", status_code=303)


@staff_page("admin")
async def unmark(request: Request, staff: Staff) -> Response:
    """Take a question off the list (its entry was added, or it was marked by mistake)."""
    item_id = int(request.path_params["item_id"])
    with db(request) as session:
        if entry_requests.unmark(session, item_id=item_id):
            record(session, staff, "pending:needs_entry_removed", str(item_id))
    return RedirectResponse("/needs-entry?done=removed", status_code=303)


@staff_page("admin")
async def list_page(request: Request, staff: Staff) -> Response:
    """The questions marked 需要新增问答, most recent first."""
    with db(request) as session:
        rows = entry_requests.list_requests(session, limit=SHOWN)
        total = entry_requests.count_requests(session)
    notice = NOTICES.get(request.query_params.get("done", ""), "")
    return page(request, "needs_entry", staff=staff, rows=rows, total=total, notice=notice)


@staff_page("admin")
async def export_csv(request: Request, staff: Staff) -> Response:
    """The whole list as CSV for Excel."""
    with db(request) as session:
        data = entry_requests.export_requests_csv(session, state(request).settings.tz)
        record(session, staff, "pending:needs_entry_export")
    return attachment(data, "text/csv; charset=utf-8", "needs_entry.csv")


ROUTES = [
    Route("/needs-entry", list_page, methods=["GET"]),
    Route("/needs-entry.csv", export_csv, methods=["GET"]),
    Route("/pending/{item_id:int}/needs-entry", mark, methods=["POST"]),
    Route("/pending/{item_id:int}/needs-entry/remove", unmark, methods=["POST"]),
]
