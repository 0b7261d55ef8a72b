"""你点我检 drafts made and edited in the console's form: the YAML loader's rules and messages."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select
from starlette.datastructures import FormData

from bot.campaigns.services import SHANGHAI, load_view, open_campaign
from bot.console.campaign_form import check_form, form_from_post
from bot.models import AuditLog, Ballot, Campaign
from tests.conftest import ADMIN
from tests.console.helpers import make_campaign

GOOD = {
    "title": "夏季你点我检",
    "description": "请选出您最关心的食品。",
    "ballot_count": "2",
    "ballot-0-title": "食品品种",
    "ballot-0-options": "猪肉\n蔬菜\n水果",
    "ballot-0-max_choices": "2",
    "ballot-1-title": "抽样场所",
    "ballot-1-options": "超市、农贸市场",
    "ballot-1-max_choices": "1",
    "townships": "",
    "vote_rule": "campaign",
    "results": "after_close",
    "starts_at": "",
    "ends_at": "2099-09-20 20:00",
}


def _post(client, path: str, **changes: str):
    return client.post(path, data={**GOOD, "csrf": client.csrf, **changes}, follow_redirects=False)


def test_create_a_draft_and_see_it_stored_as_from_yaml(client_for, engine) -> None:
    admin = client_for(ADMIN)
    assert "保存草稿" in admin.get("/campaigns/new").text
    response = _post(admin, "/campaigns/new", suggestions="yes")
    assert response.status_code == 303
    cid = int(response.headers["location"].split("/")[2].split("?")[0])
    page = admin.get(response.headers["location"])
    assert "草稿已保存" in page.text and "修改草稿" in page.text
    with Session(engine) as session:
        view = load_view(session, cid)
        assert view is not None
        assert view.campaign.title == "夏季你点我检" and view.campaign.allow_suggestions
        assert [(b.title, b.max_choices, [o.label for o in b.options]) for b in view.ballots] == [
            ("食品品种", 2, ["猪肉", "蔬菜", "水果"]),
            ("抽样场所", 1, ["超市", "农贸市场"]),
        ]
        assert view.campaign.ends_at == datetime(2099, 9, 20, 12, 0, tzinfo=UTC)
        [entry] = session.exec(select(AuditLog).where(AuditLog.action == "campaign:create"))
        assert entry.actor_id == ADMIN and entry.detail == f"{cid} 夏季你点我检 [工作台]"


def test_errors_are_shown_next_to_their_fields_and_typing_is_kept(client_for, engine) -> None:
    admin = client_for(ADMIN)
    response = _post(
        admin,
        "/campaigns/new",
        title="",
        **{"ballot-1-options": "超市", "ballot-0-max_choices": "5"},
        ends_at="2027-02-30",
    )
    assert response.status_code == 400
    text = response.text
    assert '<span class="error" id="error-title">标题不能为空</span>' in text
    assert (
        '<span class="error" id="error-ballot-0-max_choices">最多可选数应在 1 到 3 之间（现为 5）'
        in text
    )
    assert '<span class="error" id="error-ballot-1-options">选项应有 2-30 个（现有 1 个）' in text
    assert "时间应写成 YYYY-MM-DD HH:MM（年-月-日 时:分）" in text
    assert "有 4 处需要修改" in text
    assert 'value="2027-02-30"' in text and "猪肉\n蔬菜\n水果</textarea>" in text
    with Session(engine) as session:
        assert session.exec(select(Campaign)).all() == []


def test_add_a_question_keeps_typing_and_blank_questions_are_left_out(client_for, engine) -> None:
    admin = client_for(ADMIN)
    more = _post(admin, "/campaigns/new", add="1")
    assert more.status_code == 200 and 'id="ballot-2-title"' in more.text
    assert 'value="夏季你点我检"' in more.text
    saved = _post(admin, "/campaigns/new", ballot_count="3")  # the third block left empty
    assert saved.status_code == 303
    with Session(engine) as session:
        assert len(session.exec(select(Ballot)).all()) == 2


def test_a_digit_python_cannot_read_is_a_field_error_not_a_crash(client_for) -> None:
    admin = client_for(ADMIN)
    response = _post(admin, "/campaigns/new", ballot_count="²", **{"ballot-0-max_choices": "²"})
    assert response.status_code == 400 and "最多可选数应为整数" in response.text


def test_no_questions_is_refused_with_the_loader_message(client_for) -> None:
    admin = client_for(ADMIN)
    response = _post(
        admin,
        "/campaigns/new",
        **{
            "ballot-0-title": "",
            "ballot-0-options": "",
            "ballot-1-title": "",
            "ballot-1-options": "",
        },
    )
    assert response.status_code == 400
    assert "至少需要一个问题（ballots: 列表）" in response.text


def test_a_question_marked_optional_is_stored_so_and_shown_checked(client_for, engine) -> None:
    admin = client_for(ADMIN)
    response = _post(admin, "/campaigns/new", **{"ballot-1-optional": "yes"})
    cid = int(response.headers["location"].split("/")[2].split("?")[0])
    with Session(engine) as session:
        view = load_view(session, cid)
        assert view is not None
        assert [(b.title, b.optional) for b in view.ballots] == [
            ("食品品种", False),
            ("抽样场所", True),
        ]
    form = admin.get(f"/campaigns/{cid}/edit").text
    assert 'name="ballot-1-optional" value="yes" checked' in form
    assert 'name="ballot-0-optional" value="yes">' in form


def test_edit_a_draft_replaces_its_questions(client_for, engine) -> None:
    with Session(engine) as session:
        cid = make_campaign(session)
        before = load_view(session, cid)  # cached per process: the edit must renew it
        assert before is not None and len(before.ballots) == 2
    admin = client_for(ADMIN)
    form = admin.get(f"/campaigns/{cid}/edit").text
    assert 'value="春季你点我检"' in form and "猪肉\n蔬菜\n水果</textarea>" in form
    response = _post(admin, f"/campaigns/{cid}/edit", ballot_count="1", title="改过的活动")
    assert response.headers["location"] == f"/campaigns/{cid}?done=edited"
    with Session(engine) as session:
        view = load_view(session, cid)
        assert view is not None and view.campaign.title == "改过的活动"
        assert [b.title for b in view.ballots] == ["食品品种"]
        assert session.exec(select(AuditLog).where(AuditLog.action == "campaign:edit")).one()


def test_an_opened_campaign_cannot_be_edited(client_for, engine) -> None:
    with Session(engine) as session:
        cid = make_campaign(session)
        open_campaign(session, cid, now=datetime.now(UTC))
    admin = client_for(ADMIN)
    page = admin.get(f"/campaigns/{cid}/edit")
    assert page.status_code == 409 and "不能这样操作" in page.text
    response = _post(admin, f"/campaigns/{cid}/edit", title="改过的活动")
    assert response.status_code == 409 and "现在是“投票中”状态" in response.text
    with Session(engine) as session:
        assert session.get(Campaign, cid).title == "春季你点我检"
    assert _post(admin, "/campaigns/999/edit").status_code == 404


FIELDS = [
    "title",
    "description",
    "ballot_count",
    "ballot-0-title",
    "ballot-0-options",
    "ballot-0-max_choices",
    "townships",
    "vote_rule",
    "results",
    "suggestions",
    "starts_at",
    "ends_at",
]


@given(st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=60)))
def test_anything_typed_gives_a_definition_or_errors_by_field(values) -> None:
    form = form_from_post(FormData({**GOOD, **values}))
    spec, errors = check_form(form, now=datetime.now(UTC), tz=SHANGHAI)
    assert (spec is None) == bool(errors)
    assert all(isinstance(message, str) and message for message in errors.values())
