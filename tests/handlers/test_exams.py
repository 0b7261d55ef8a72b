"""抽考 handlers through the sandbox: staff commands, roles, drafts, forged and stale buttons."""

from __future__ import annotations

import io
import json
import re
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.charts import AXIS_KEY
from bot.exams.paper import Paper
from bot.models import AuditLog, Exam
from bot.render import label, render
from bot.sandbox.driver import Driver
from bot.sandbox.state import StoredMessage
from scheduler.exams import submit_due
from tests.conftest import ADMIN, INSPECTOR
from tests.exam_helpers import (  # the *_fixture imports register fixtures
    FakeClock,
    app_clock_fixture,  # noqa: F401
    attempt_of,
    clock_fixture,  # noqa: F401
    code_in,
    exam_by_code,
    session_of,
)

CANDIDATE = 5001
STRANGER = 5002
LINE = "某某超市 食品销售 安全员 西山镇 刘一"
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _issue(driver: Driver, inspector: int = INSPECTOR, line: str = LINE) -> str:
    """Issue from one line; only the credit code is left, and it is skipped."""
    await driver.send(inspector, f"/exam_new {line}")
    await driver.press(inspector, driver.last(inspector), label("exam_skip"))
    replies = await driver.press(inspector, driver.last(inspector), label("exam_issue"))
    return code_in(replies[-1])


async def _start(driver: Driver, code: str) -> None:
    replies = await driver.send(CANDIDATE, f"/start exam_{code}")
    assert "姓名：刘一" in replies[-1].text and "岗位：食品安全员" in replies[-1].text
    await driver.press(CANDIDATE, replies[-1], label("exam_start"))


async def test_staff_commands_need_the_role(driver: Driver) -> None:
    for command in ("/exam_new", "/exam_results", "/exam_export"):
        replies = await driver.send(STRANGER, command)
        assert replies[-1].text == "这个命令只有监管人员可以使用。"
    for command in ("/grant 5001", "/revoke 5001", "/exam_paper"):
        replies = await driver.send(INSPECTOR, command)
        assert replies[-1].text == "这个命令只有管理员可以使用。"
    # Draft buttons are checked too.
    await driver.send(STRANGER, "/quiz")
    await driver.press_data(STRANGER, driver.last(STRANGER), "exn:ok")
    assert driver.last_answer() == "这个命令只有监管人员可以使用。"


async def test_grant_and_revoke_in_chat(driver: Driver, engine: Engine) -> None:
    replies = await driver.send(ADMIN, "/grant 5003")
    assert "没有找到用户" in replies[-1].text
    await driver.send(5003, "/start")
    replies = await driver.send(ADMIN, "/grant 5003")
    assert "已授予" in replies[-1].text
    assert "您已获得监管人员权限" in driver.last(5003).text
    menu = driver.emulator.command_list(scope={"type": "chat", "chat_id": 5003})
    assert "exam_new" in [command for command, _ in menu]
    replies = await driver.send(ADMIN, "/grant")
    assert "5003" in replies[-1].text
    code = await _issue(driver, inspector=5003)
    assert code
    replies = await driver.send(ADMIN, "/revoke 5003")
    assert "已撤销" in replies[-1].text
    replies = await driver.send(5003, "/exam_new")
    assert replies[-1].text == "这个命令只有监管人员可以使用。"
    replies = await driver.send(ADMIN, "/revoke 900002")  # from settings: not revocable in chat
    assert replies[-1].text == (
        "900002 没有在对话中获得的监管人员权限"
        "（在配置文件中设定的，请由系统管理员修改配置文件中的监管人员名单）。"
    )
    replies = await driver.send(ADMIN, "/grant")
    assert "在配置文件中设定的监管人员不在此列。" in replies[-1].text
    assert "INSPECTOR_USER_IDS" not in replies[-1].text
    with session_of(engine) as session:
        actions = [(a.actor_id, a.action) for a in session.exec(select(AuditLog)).all()]
    assert (ADMIN, "grant:inspector") in actions
    assert (ADMIN, "revoke:inspector") in actions
    assert (5003, "exam:issue") in actions


async def test_a_second_grant_tells_the_admin_and_notifies_nobody(driver: Driver) -> None:
    await driver.send(5003, "/start")
    replies = await driver.send(ADMIN, "/grant 5003")
    assert replies[-1].text == "✅ 已授予 5003 监管人员权限。"
    notices = [m for m in driver.messages(5003) if "您已获得监管人员权限" in m.text]
    assert len(notices) == 1
    replies = await driver.send(ADMIN, "/grant 5003")
    assert replies[-1].text == "用户 5003 已经是监管人员，无需再次授予，也未重复通知对方。"
    notices = [m for m in driver.messages(5003) if "您已获得监管人员权限" in m.text]
    assert len(notices) == 1
    replies = await driver.send(ADMIN, f"/grant {INSPECTOR}")  # configured in the settings
    assert replies[-1].text == f"用户 {INSPECTOR} 已经是监管人员，无需再次授予，也未重复通知对方。"


async def test_grant_with_a_non_numeric_id_explains_the_usage(driver: Driver) -> None:
    for command in ("grant", "revoke"):
        replies = await driver.send(ADMIN, f"/{command} abc")
        assert replies[-1].text == (
            f"用户ID应为数字，例如 /{command} 123456789。"
            f"不带参数发送 /{command} 可查看已授权的监管人员。"
        )


async def test_one_line_exam_new_with_a_dash_for_the_credit_code_keeps_the_name(
    driver: Driver,
) -> None:
    replies = await driver.send(INSPECTOR, "/exam_new 某某超市 - 食品销售 安全员 西山镇 刘一")
    assert replies[-1].text == (
        "请确认抽考信息\n企业：某某超市\n统一社会信用代码：（未填）\n行业：食品销售\n"
        "岗位：食品安全员\n镇街：西山镇\n考生姓名：刘一"
    )
    replies = await driver.press(INSPECTOR, replies[-1], label("exam_issue"))
    replies = await driver.send(CANDIDATE, f"/start exam_{code_in(replies[-1])}")
    assert "姓名：刘一" in replies[-1].text


async def test_step_by_step_draft_with_bad_input(clock: FakeClock, driver: Driver) -> None:
    replies = await driver.send(INSPECTOR, "/exam_new")
    assert "企业名称" in replies[-1].text
    replies = await driver.send(INSPECTOR, "甲")
    assert "企业名称应为 2-60 个字" in replies[-1].text
    await driver.send(INSPECTOR, "好味道饭店")
    replies = await driver.send(INSPECTOR, "91370100MA3C5Y8X2G")  # wrong check character
    assert "校验位" in replies[-1].text
    replies = await driver.send(INSPECTOR, "91370100MA3C5Y8X2F")
    sectors = replies[-1]
    assert "行业" in sectors.text and "集中用餐单位" in sectors.buttons[2]
    await driver.press(INSPECTOR, sectors, "集中用餐单位")
    assert driver.emulator.message(INSPECTOR, sectors.message_id).text == "✔️ 行业：集中用餐单位"
    # The old sector button is stale now.
    await driver.press_data(INSPECTOR, sectors, "exn:sec:retail")
    assert driver.last_answer() == "按钮已失效，请重新打开菜单"
    await driver.press(INSPECTOR, driver.last(INSPECTOR), "食品安全总监")
    await driver.send(INSPECTOR, "无")  # skips the township
    await driver.send(INSPECTOR, "赵六")
    summary = driver.last(INSPECTOR)
    assert "统一社会信用代码：91370100MA3C5Y8X2F" in summary.text
    assert "镇街：（未填）" in summary.text and "考生姓名：赵六" in summary.text
    await driver.press(INSPECTOR, summary, label("exam_redo"))
    assert "企业名称" in driver.last(INSPECTOR).text
    await driver.press(INSPECTOR, summary, label("cancel"))
    assert driver.emulator.message(INSPECTOR, summary.message_id).text == "已取消发起抽考。"
    await driver.press_data(INSPECTOR, summary, "exn:ok")
    assert driver.last_answer() == "按钮已失效，请重新打开菜单"


async def test_a_forgotten_draft_does_not_swallow_questions(
    clock: FakeClock, driver: Driver
) -> None:
    await driver.send(INSPECTOR, "/exam_new")
    clock.advance(minutes=31)
    replies = await driver.send(INSPECTOR, "健康证多久办一次")
    assert "企业名称" not in replies[-1].text
    assert "✍️" not in replies[-1].text


async def test_candidate_names_and_renames(
    clock: FakeClock, driver: Driver, engine: Engine
) -> None:
    await driver.send(INSPECTOR, "/exam_new 某某超市 食品销售 安全员 西山镇")
    await driver.press(INSPECTOR, driver.last(INSPECTOR), label("exam_skip"))  # credit code
    await driver.press(INSPECTOR, driver.last(INSPECTOR), label("exam_skip"))  # candidate
    replies = await driver.press(INSPECTOR, driver.last(INSPECTOR), label("exam_issue"))
    code = code_in(replies[-1])
    await driver.send(CANDIDATE, f"/start exam_{code}")
    replies = await driver.send(CANDIDATE, "12345")
    assert "姓名应为 2-20 个字" in replies[-1].text
    replies = await driver.send(CANDIDATE, "陈七")
    confirm = replies[-1]
    assert "姓名：陈七" in confirm.text
    await driver.press(CANDIDATE, confirm, label("exam_rename"))
    replies = await driver.send(CANDIDATE, "陈 七七")
    assert "姓名：陈 七七" in replies[-1].text
    await driver.press(CANDIDATE, replies[-1], label("exam_start"))
    assert attempt_of(engine, CANDIDATE).candidate_name == "陈 七七"
    # After the start, the name can no longer change and text is a question again.
    await driver.press(CANDIDATE, confirm, label("exam_rename"))
    assert driver.last_answer() == "按钮已失效，请重新打开菜单"


async def test_forged_and_stale_exam_buttons(
    clock: FakeClock, driver: Driver, engine: Engine
) -> None:
    code = await _issue(driver)
    await _start(driver, code)
    attempt = attempt_of(engine, CANDIDATE)
    question = driver.last(CANDIDATE)
    first_buttons = list(question.callback_data)
    await driver.press(CANDIDATE, question, (0, 0))
    # A double tap on question 1 (its button as the phone still shows it) changes nothing.
    await driver.press_data(CANDIDATE, question, first_buttons[1])
    assert driver.last_answer() == "按钮已失效（不是当前题目或已作答），请看最新的消息。"
    with session_of(engine) as session:
        from bot.models import AttemptItem

        second = session.get(AttemptItem, (attempt.id, 1))
        assert second is not None and second.chosen is None
    # Someone else forging the candidate's buttons in their own chat.
    await driver.send(STRANGER, "/quiz")
    mine = driver.last(STRANGER)
    for data in (f"ex:a:{attempt.id}:1:0", f"ex:y:{attempt.id}", f"ex:k:{attempt.id}:1"):
        await driver.press_data(STRANGER, mine, data)
        assert driver.last_answer() == "这不是您的考试或练习，不能作答。"
    await driver.press_data(STRANGER, mine, f"exs:go:{attempt.exam_id}")
    assert (
        driver.last_answer()
        == "这个考试码已被使用（每个考试码只能由一人考一次），请联系监管人员。"
    )
    # Forged shapes: out of range, unknown attempt, malformed.
    for data in (f"ex:a:{attempt.id}:1:9", f"ex:g:{attempt.id}:1:77"):
        await driver.press_data(CANDIDATE, question, data)
        assert driver.last_answer() == "按钮已失效（不是当前题目或已作答），请看最新的消息。"
    await driver.press_data(CANDIDATE, question, "ex:a:99999:0:0")  # not this sitting's
    assert driver.last_answer().startswith("考试进行中")  # type: ignore[union-attr]
    await driver.press_data(CANDIDATE, question, "ex:a:1:x:0")
    assert driver.last_answer() == "按钮已失效，请重新打开菜单"
    # A practice button on an exam sitting is refused.
    await driver.press_data(CANDIDATE, question, f"ex:n:{attempt.id}:1")
    assert driver.last_answer() == "按钮已失效（不是当前题目或已作答），请看最新的消息。"
    assert attempt_of(engine, CANDIDATE).current == 1


async def _practise(driver: Driver, user: int) -> StoredMessage:
    """Start a 通用/总监 practice round; its first question."""
    await driver.send(user, "/quiz")
    await driver.press(user, driver.last(user), "通用")
    await driver.press(user, driver.last(user), "食品安全总监")
    return driver.last(user)


async def _answer_practice(driver: Driver, user: int, question: StoredMessage) -> None:
    """Tick option A (and confirm a 多选), so the question is judged."""
    await driver.press(user, question, (0, 0))
    shown = driver.emulator.message(user, question.message_id)
    if [label("quiz_next")] not in shown.buttons:
        await driver.press(user, shown, (len(shown.buttons) - 1, 0))


async def test_earlier_practice_round_is_refused(driver: Driver) -> None:
    user = 6002
    old = await _practise(driver, user)
    await driver.send(user, "/quiz")
    await driver.press(user, driver.last(user), label("quiz_restart"))
    await driver.press(user, driver.last(user), "通用")
    await driver.press(user, driver.last(user), "食品安全总监")
    await driver.press(user, old, (0, 0))
    assert driver.last_answer() == "这份答卷已经交卷或已结束，不能再作答。"


async def test_quiz_in_the_middle_of_a_round_offers_to_continue(driver: Driver) -> None:
    user = 6003
    first = await _practise(driver, user)
    await _answer_practice(driver, user, first)
    await driver.press(user, driver.last(user), label("quiz_next"))
    second = driver.last(user)
    assert second.text.startswith("练习 第 2/10 题")
    replies = await driver.send(user, "/quiz")
    assert replies[-1].text == "您还有一组练习没做完（第 2/10 题）。\n要继续这一组，还是重新开始？"
    assert replies[-1].buttons == [[label("quiz_resume"), label("quiz_restart")]]
    replies = await driver.press(user, replies[-1], label("quiz_resume"))
    assert replies[-1].text == second.text
    assert replies[-1].buttons == second.buttons
    # The round goes on from the resumed message.
    await _answer_practice(driver, user, replies[-1])
    assert driver.last(user).buttons[-1] == [label("quiz_next")]
    # 重新开始 leads to the sector choice; the old round ends when the new one starts.
    prompt = (await driver.send(user, "/quiz"))[-1]
    await driver.press(user, prompt, label("quiz_restart"))
    assert driver.last(user).text.startswith("抽考练习：每组 10 题")
    assert driver.last(user).buttons[0][0] == "通用"


async def test_results_are_scoped_and_filtered(clock: FakeClock, driver: Driver) -> None:
    code = await _issue(driver)
    await _start(driver, code)
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit"))
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit_yes"))
    await driver.send(ADMIN, "/start")
    replies = await driver.send(INSPECTOR, "/exam_results")
    text = replies[0].text
    assert "范围：您发起的抽考" in text
    assert "参考 1 人次，合格 0，合格率 0.0%，平均分 0" in text
    assert "食品销售：1 人次" in text and "西山镇：1 人次" in text
    assert replies[-1].media.get("photo"), "the pass-rate chart"
    png = driver.emulator.file_bytes(replies[-1].media["photo"][-1]["file_id"])
    axis = json.loads(Image.open(io.BytesIO(png)).info[AXIS_KEY])
    assert axis == {"ticks": [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]}  # percent, not 0-1
    replies = await driver.send(INSPECTOR, "/exam_results 合格")
    assert replies[0].text.startswith("抽考记录与统计（合格）")
    assert "参考 0 人次" in replies[0].text
    month = f"{clock.now.astimezone(SHANGHAI):%Y-%m}"
    assert f"筛选：/exam_results {month} 餐饮服务" in replies[0].text  # an example from today
    replies = await driver.send(INSPECTOR, "/exam_results 2025-13")
    assert "无法识别：2025-13" in replies[0].text
    assert f"日期写 {month}、{month}-01 或 {month}-01~{month}-10" in replies[0].text
    # Another inspector sees none of it; an admin sees everything.
    await driver.send(5003, "/start")
    await driver.send(ADMIN, "/grant 5003")
    replies = await driver.send(5003, "/exam_results")
    assert "参考 0 人次" in replies[0].text
    replies = await driver.send(ADMIN, "/exam_results 食品销售 不合格")
    assert "范围：全部监管人员" in replies[0].text and "参考 1 人次" in replies[0].text
    # Open codes are listed for the inspector.
    pending = await _issue(driver)
    replies = await driver.send(INSPECTOR, "/exam_results")
    assert pending in replies[0].text


async def test_admin_sets_the_paper(clock: FakeClock, driver: Driver, engine: Engine) -> None:
    replies = await driver.send(ADMIN, "/exam_paper")
    assert "45 题，满分 100 分，80 分合格，限时 30 分钟" in replies[-1].text
    paper = {"sections": [{"type": "judge", "count": 10, "points": 10}], "minutes": 10,
             "pass_mark": 60}  # fmt: skip
    replies = await driver.send(ADMIN, "/exam_paper " + json.dumps(paper))
    assert (
        "已更新" in replies[-1].text
        and "10 题，满分 100 分，60 分合格，限时 10 分钟" in replies[-1].text
    )
    replies = await driver.send(ADMIN, '/exam_paper {"sections": []}')
    assert "试卷设置有误" in replies[-1].text
    code = await _issue(driver)
    with session_of(engine) as session:
        exam = session.exec(select(Exam).where(Exam.code == code)).one()
    assert Paper.from_json(exam.paper).size == 10
    await _start(driver, code)
    assert driver.last(CANDIDATE).text.startswith("第 1/10 题 · 判断题（10 分） · ⏱ 剩余 10:00")
    replies = await driver.send(ADMIN, "/exam_paper default")
    assert "45 题" in replies[-1].text


async def _edit_paper(driver: Driver, field: str, value: str) -> str:
    """Press the paper editor's button for a field, type the value; the bot's answer."""
    editor = (await driver.send(ADMIN, "/exam_paper"))[-1]
    prompt = (await driver.press(ADMIN, editor, field))[-1]
    assert prompt.reply_markup == {"force_reply": True, "input_field_placeholder": "例如：20 2"}
    return (await driver.send(ADMIN, value))[-1].text


async def test_admin_edits_the_paper_step_by_step(driver: Driver, engine: Engine) -> None:
    editor = (await driver.send(ADMIN, "/exam_paper"))[-1]
    assert "45 题，满分 100 分，80 分合格，限时 30 分钟" in editor.text
    assert "• 多选题 10 题 × 3 分 = 30 分" in editor.text
    limits = "题库可出的上限（各行业、岗位中最少的）：单选题 49 道、多选题 15 道、判断题 28 道。"
    assert limits in editor.text
    assert editor.buttons == [
        ["单选题 20×2分", "多选题 10×3分", "判断题 15×2分"],
        ["合格线 80 分", "限时 30 分钟", "本行业 50%"],
        ["📄 导出 JSON", "↩️ 恢复默认"],
    ]
    answer = await _edit_paper(driver, "判断题 15×2分", "不考了")
    assert answer.startswith("试卷设置有误，没有修改：\n• 请输入题数和每题分值")
    # Still editing the same field: 0 drops 判断题, but then 80 is above the full marks.
    answer = (await driver.send(ADMIN, "0"))[-1].text
    assert "• 合格线应大于 0 且不超过满分 70 分（现为 80 分）" in answer
    assert "已更新" in await _edit_paper(driver, "合格线 80 分", "60")
    answer = await _edit_paper(driver, "判断题 15×2分", "0")
    assert "30 题，满分 70 分，60 分合格，限时 30 分钟" in answer
    assert "限时应为 5-240 分钟的整数" in await _edit_paper(driver, "限时 30 分钟", "3")
    assert "限时 20 分钟" in (await driver.send(ADMIN, "20"))[-1].text
    answer = await _edit_paper(driver, "多选题 10×3分", "40 3")
    assert "• 题库不足以组卷：\n• 通用·食品安全总监的多选题只有 23 道，试卷需要 40 道" in answer
    # /exam_paper shows the editor afresh: the next text is a question again, not a value.
    await driver.send(ADMIN, "/exam_paper")
    replies = await driver.send(ADMIN, "25")
    assert "试卷" not in replies[-1].text
    # The export is the paper new exams use.
    editor = (await driver.send(ADMIN, "/exam_paper"))[-1]
    (document,) = await driver.press(ADMIN, editor, "📄 导出 JSON")
    exported = driver.emulator.file_bytes(document.media["document"]["file_id"])
    assert document.media["document"]["file_name"] == "exam_paper.json"
    paper = Paper.from_json(exported.decode())
    assert (paper.size, paper.total, paper.pass_mark, paper.minutes) == (30, 70, 60, 20)
    code = await _issue(driver)
    assert Paper.from_json(exam_by_code(engine, code).paper) == paper
    await driver.press(ADMIN, editor, "↩️ 恢复默认")
    assert "45 题，满分 100 分" in driver.last(ADMIN).text


async def test_menu_buttons_open_practice_and_mistakes(driver: Driver) -> None:
    replies = await driver.send(7001, "/menu")
    await driver.press(7001, replies[-1], label("menu_quiz"))
    assert "请选择您企业的行业" in driver.last(7001).text
    await driver.press(7001, replies[-1], label("menu_mistakes"))
    assert "错题本是空的" in driver.last(7001).text
    await driver.press_data(7001, replies[-1], "exq:m")
    assert driver.last_answer() == "错题本是空的，继续保持！"


async def test_names_with_markup_are_escaped(clock: FakeClock, driver: Driver) -> None:
    code = await _issue(driver, line="<b>A&B</b>超市 食品销售 安全员 西山镇 刘一")
    issued = driver.last(INSPECTOR)
    assert "企业：<b>A&B</b>超市" in issued.text
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;超市" in (issued.html or "")
    replies = await driver.send(CANDIDATE, f"/start exam_{code}")
    assert "企业：<b>A&B</b>超市" in replies[-1].text


async def test_reopening_after_the_deadline_submits(
    clock: FakeClock, driver: Driver, engine: Engine
) -> None:
    code = await _issue(driver)
    await _start(driver, code)
    clock.advance(minutes=31)  # the deadline job has not fired (PTB runs on real time)
    replies = await driver.send(CANDIDATE, f"/start exam_{code}")
    assert replies[0].text.startswith("⏰ 考试时间到，系统已自动交卷。")
    assert attempt_of(engine, CANDIDATE).status == "submitted"
    assert "（时间到自动交卷）" in driver.last(INSPECTOR).text


async def test_a_typed_code_opens_the_exam_like_the_link(driver: Driver) -> None:
    code = await _issue(driver)
    replies = await driver.send(CANDIDATE, f" {code.lower()[:4]} {code.lower()[4:]} ")
    assert "姓名：刘一" in replies[-1].text and "岗位：食品安全员" in replies[-1].text
    assert replies[-1].buttons[0] == [label("exam_start")]
    replies = await driver.send(STRANGER, f"/exam {code}")
    assert replies[-1].text == "这个考试码已被使用（每个考试码只能由一人考一次），请联系监管人员。"
    replies = await driver.send(STRANGER, "ZZZZ9999")
    assert replies[-1].text == "没有这个考试码，请核对后重新输入，或打开监管人员发给您的链接。"
    replies = await driver.send(STRANGER, "/exam")
    assert replies[-1].text == (
        "请在 /exam 后面输入监管人员给您的 8 位考试码，例如：/exam ABCD2345\n"
        "也可以直接发送考试码，或打开监管人员发给您的链接。"
    )


async def test_the_issuer_is_asked_to_send_the_link_only_while_it_is_unused(
    clock: FakeClock, driver: Driver
) -> None:
    code = await _issue(driver)
    replies = await driver.send(INSPECTOR, f"/exam {code}")
    assert "请把链接或考试码发给考生" in replies[-1].text
    await driver.send(CANDIDATE, code)
    replies = await driver.send(INSPECTOR, code)
    assert "状态：考生已打开，尚未开始作答" in replies[-1].text
    assert "请把链接" not in replies[-1].text
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_start"))
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit"))
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit_yes"))
    replies = await driver.send(INSPECTOR, f"/start exam_{code}")
    assert "状态：已交卷，0 分，不合格" in replies[-1].text
    assert "请把链接" not in replies[-1].text
    unused = await _issue(driver)
    clock.advance(hours=24, seconds=1)
    replies = await driver.send(INSPECTOR, unused)
    assert "状态：已过期，未参加" in replies[-1].text
    assert "请把链接" not in replies[-1].text


def _reviewed(parts: list[StoredMessage]) -> list[int]:
    """The question numbers the parts show, checking each question is whole in one part."""
    numbers = []
    for part in parts:
        assert len(part.text) <= 4096
        for block in part.text.split("\n\n")[1 if "解析" in part.text.split("\n")[0] else 0 :]:
            match = re.match(r"第 (\d+) 题", block)
            assert match, block[:40]
            assert "您的答案：" in block and "\n依据：《" in block, block
            numbers.append(int(match.group(1)))
    return numbers


async def test_long_results_split_between_questions_with_the_full_review_behind_a_button(
    driver: Driver,
) -> None:
    code = await _issue(driver)
    await _start(driver, code)
    before = len(driver.messages(CANDIDATE))
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit"))
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit_yes"))
    result, *wrong = driver.messages(CANDIDATE)[before:]
    assert result.text.startswith("抽考成绩")
    assert result.buttons == [[label("exam_review")]]
    assert len(wrong) >= 2
    assert wrong[0].text.startswith("错题解析（45 题）\n\n第 1 题")
    assert "您的答案：未作答　正确答案：“" in wrong[0].text  # choices quoted: “正确” is a choice
    assert _reviewed(wrong) == list(range(1, 46))
    before = len(driver.messages(CANDIDATE))
    await driver.press(CANDIDATE, result, label("exam_review"))
    review = driver.messages(CANDIDATE)[before:]
    assert review[0].text.startswith("全部题目解析（共 45 题，答对 0 题）")
    assert _reviewed(review) == list(range(1, 46))
    # Only the candidate may open it.
    await driver.press_data(STRANGER, result, result.callback_data[0])
    assert driver.last_answer() == render("stale_button")


LOCKED = (
    "考试进行中\n交卷前，其他功能（练习、政策问答、投票、菜单等）暂不可用。"
    "请回到试题消息继续作答；/help 可查看帮助。\n本次操作已记录，并会告知监考人员。"
)


async def test_a_supervised_sitting_refuses_every_other_feature_and_records_it(
    clock: FakeClock, driver: Driver, engine: Engine
) -> None:
    await driver.send(CANDIDATE, "/quiz")  # a practice round opened before the exam
    practice = driver.last(CANDIDATE)
    code = await _issue(driver)
    await _start(driver, code)
    question = driver.last(CANDIDATE)
    for attempt_to_use in ("/quiz", "健康证多久办一次", "/menu", "/vote", "/start"):
        [refusal] = await driver.send(CANDIDATE, attempt_to_use)
        assert refusal.text == LOCKED, attempt_to_use
    await driver.press(CANDIDATE, practice, (0, 0))  # the older practice round's button
    assert driver.last_answer() == (
        "考试进行中：交卷前其他功能暂不可用。请回到试题消息继续作答。本次操作已记录。"
    )
    # The exam itself and /help still work.
    [help_text] = await driver.send(CANDIDATE, "/help")
    assert "/ask" in help_text.text
    await driver.press(CANDIDATE, question, (0, 0))
    attempt = attempt_of(engine, CANDIDATE)
    assert (attempt.current, attempt.refused_count) == (1, 6)
    assert attempt.refused_log.splitlines()[:3] == [
        f"{clock.now.astimezone(SHANGHAI):%H:%M:%S} /quiz",
        f"{clock.now.astimezone(SHANGHAI):%H:%M:%S} 文字消息（8 字）",
        f"{clock.now.astimezone(SHANGHAI):%H:%M:%S} /menu",
    ]
    assert "健康证" not in attempt.refused_log  # never the candidate's own words
    # After the deadline the sitting is over: features answer again.
    clock.advance(hours=3)
    replies = await driver.send(CANDIDATE, "/menu")
    assert replies[-1].text != LOCKED
    assert await submit_due(driver.application, attempt.id or 0)
    # The inspector's notice of the result says what was tried.
    notice = driver.last(INSPECTOR)
    assert "考试期间试图使用其他功能 6 次（均已拒绝）" in notice.text, notice.text


async def test_other_users_are_not_touched_by_someone_elses_exam(
    clock: FakeClock, driver: Driver, engine: Engine
) -> None:
    code = await _issue(driver)
    await _start(driver, code)
    [menu] = await driver.send(STRANGER, "/menu")
    assert menu.text != LOCKED


async def test_in_a_group_the_refusal_is_silent_and_plain_chatter_untouched(
    clock: FakeClock, driver: Driver, engine: Engine
) -> None:
    group = driver.emulator.create_group("商户群", [CANDIDATE, STRANGER])
    code = await _issue(driver)
    await _start(driver, code)
    before = len(driver.emulator.messages(group))
    await driver.send(CANDIDATE, "@shian_test_bot 健康证多久办一次", chat_id=group)
    await driver.send(CANDIDATE, "大家好", chat_id=group)
    assert len(driver.emulator.messages(group)) == before  # nothing said about the exam there
    attempt = attempt_of(engine, CANDIDATE)
    assert attempt.refused_count == 1
    await driver.send(STRANGER, "@shian_test_bot 健康证多久办一次", chat_id=group)
    assert len(driver.emulator.messages(group)) == before + 1  # others are answered as usual
