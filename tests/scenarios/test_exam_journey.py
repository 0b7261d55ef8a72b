"""监督抽考 journeys through the sandbox: issue, take, time out, restart, practise, export."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.config import Settings
from bot.exams.bank import Bank
from bot.models import AttemptItem, AuditLog, Mistake, as_utc
from bot.render import label
from bot.sandbox.driver import Driver
from bot.sandbox.state import StoredMessage
from tests.conftest import INSPECTOR
from tests.exam_helpers import (  # the *_fixture imports register fixtures
    FakeClock,
    app_clock_fixture,  # noqa: F401
    attempt_of,
    bank_fixture,  # noqa: F401
    clock_fixture,  # noqa: F401
    code_in,
    exam_by_code,
    file_engine_fixture,  # noqa: F401
    key_labels,
    new_driver,
    question_type,
    seed_rng,
    session_of,
)

CANDIDATE = 5001
CREDIT = "91370100MA3C5Y8X2F"


def _labels(message: StoredMessage) -> list[str]:
    return [b for row in message.buttons for b in row]


async def _issue(driver: Driver, line: str = f"某某餐饮有限公司 {CREDIT} 餐饮服务 总监") -> str:
    """The inspector issues an exam step by step; returns its code."""
    await driver.send(INSPECTOR, f"/exam_new {line}")
    if "统一社会信用代码" in driver.last(INSPECTOR).text:
        await driver.press(INSPECTOR, driver.last(INSPECTOR), label("exam_skip"))
    await driver.send(INSPECTOR, "城关街道")
    assert "考生姓名" in driver.last(INSPECTOR).text
    await driver.press(INSPECTOR, driver.last(INSPECTOR), label("exam_skip"))
    summary = driver.last(INSPECTOR)
    assert "请确认抽考信息" in summary.text
    assert "城关街道" in summary.text
    replies = await driver.press(INSPECTOR, summary, label("exam_issue"))
    return code_in(replies[-1])


async def _open_and_start(driver: Driver, code: str, name: str = "张三") -> StoredMessage:
    """The candidate opens the link, types their name, confirms and starts."""
    replies = await driver.send(CANDIDATE, f"/start exam_{code}")
    assert "姓名" in replies[-1].text
    replies = await driver.send(CANDIDATE, name)
    confirm = replies[-1]
    assert f"姓名：{name}" in confirm.text
    assert "岗位：食品安全总监" in confirm.text
    await driver.press(CANDIDATE, confirm, label("exam_start"))
    question = driver.last(CANDIDATE)
    assert question.message_id == confirm.message_id  # the confirmation became question 1
    assert question.text.startswith("第 1/45 题")
    return question


async def _answer(
    driver: Driver, engine: Engine, bank: Bank, position: int, *, right: bool = True
) -> None:
    """Answer the question at `position` (shown now) with the right or a wrong option."""
    message = driver.last(CANDIDATE)
    attempt = attempt_of(engine, CANDIDATE)
    key = key_labels(engine, attempt.id or 0, position, bank)
    kind = question_type(engine, attempt.id or 0, position, bank)
    options = message.buttons[0]
    if kind == "multiple":
        picks = key if right else key[:1]
        for index in picks:
            await driver.press(CANDIDATE, driver.last(CANDIDATE), (0, index))
        if position + 1 < 45:
            await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_next"))
        return
    index = key[0] if right else next(i for i in range(len(options)) if i not in key)
    await driver.press(CANDIDATE, message, (0, index))


async def _first_process(
    settings: Settings, engine: Engine, clock: FakeClock
) -> tuple[Driver, str]:
    """A bot on a database file: an exam is issued and started (the caller stops the bot)."""
    first = new_driver(settings, engine, clock)
    await first.start()
    code = await _issue(first)
    await _open_and_start(first, code)
    return first, code


async def test_inspector_issues_candidate_takes_both_see_result(
    clock: FakeClock, driver: Driver, engine: Engine, bank: Bank
) -> None:
    seed_rng(driver)
    code = await _issue(driver)
    await _open_and_start(driver, code)
    attempt = attempt_of(engine, CANDIDATE)
    points = {}
    with session_of(engine) as session:
        for item in session.exec(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)):
            points[item.position] = (bank.by_id[item.question_id].type, item.points)
    singles = [p for p, (t, _) in points.items() if t == "single"]
    multiples = [p for p, (t, _) in points.items() if t == "multiple"]
    wrong = {singles[0], multiples[0]}  # -2, and -3 (one right option of several is 0)
    skipped = max(points)  # the last question (判断, 2 points) stays unanswered
    clock.advance(seconds=5)
    for position in range(45):
        if position == skipped:
            break
        await _answer(driver, engine, bank, position, right=position not in wrong)
        clock.advance(seconds=20)
    # No right/wrong before submission; the answer sheet shows the unanswered question.
    shown = driver.last(CANDIDATE)
    assert "回答正确" not in shown.text and "回答错误" not in shown.text
    await driver.press(CANDIDATE, shown, label("exam_sheet", done=44, total=45))
    sheet = driver.last(CANDIDATE)
    assert "未作答：45" in sheet.text
    assert "⬜45" in _labels(sheet)
    await driver.press(CANDIDATE, sheet, "⬜45")
    assert driver.last(CANDIDATE).text.startswith("第 45/45 题")
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_prev"))
    assert driver.last(CANDIDATE).text.startswith("第 44/45 题")
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit"))
    ask = driver.last(CANDIDATE)
    assert "还有 1 题未作答" in ask.text
    await driver.press(CANDIDATE, ask, label("exam_submit_no"))  # 继续答题
    assert driver.last(CANDIDATE).text.startswith("第 44/45 题")
    await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit"))
    replies = await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit_yes"))
    result, wrong_list = replies[0].text, "\n".join(m.text for m in replies[1:])
    assert "得分：93 / 100 分（合格线 80 分）" in result
    assert "结果：✅ 合格" in result
    assert "答对 42/45 题" in result
    assert "用时：14 分 45 秒" in result  # 5 s + 44 × 20 s
    assert wrong_list.count("正确答案：") == 3
    assert "未作答" in wrong_list
    notice = driver.last(INSPECTOR).text
    assert f"考试码：{code}" in notice
    assert "考生：张三（食品安全总监）" in notice
    assert "得分：93 / 100 分 · ✅ 合格" in notice
    # The exam message is closed: no more buttons.
    assert driver.emulator.message(CANDIDATE, shown.message_id).buttons == []
    with session_of(engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "exam:issue")).all()
        assert [a.actor_id for a in audit] == [INSPECTOR]
        missed = session.exec(select(Mistake).where(Mistake.user_id == CANDIDATE)).all()
        assert len(missed) == 3


async def test_code_is_single_use_and_expires(
    clock: FakeClock, driver: Driver, engine: Engine, bank: Bank
) -> None:
    code = await _issue(driver)
    # The issuer sees the state of the link, not the exam.
    replies = await driver.send(INSPECTOR, f"/start exam_{code}")
    assert "等待考生打开" in replies[-1].text
    await _open_and_start(driver, code)
    # Someone else cannot open a code that is held.
    replies = await driver.send(5002, f"/start exam_{code}")
    assert "已被使用" in replies[-1].text
    assert "第 " not in replies[-1].text
    # A code nobody issued.
    replies = await driver.send(5002, "/start exam_ZZZZ9999")
    assert "没有这个考试码" in replies[-1].text
    # A second code that runs out before anyone opens it.
    second = await _issue(driver)
    clock.advance(hours=24, seconds=1)
    replies = await driver.send(5003, f"/start exam_{second}")
    assert "已过期" in replies[-1].text
    assert exam_by_code(engine, second).status == "expired"


async def test_timer_auto_submits_across_a_restart(
    clock: FakeClock, settings: Settings, file_engine: Engine, bank: Bank
) -> None:
    engine = file_engine
    first, code = await _first_process(settings, engine, clock)
    attempt = attempt_of(engine, CANDIDATE)
    job_name = f"exam-submit-{attempt.id}"
    (job,) = first.application.job_queue.get_jobs_by_name(job_name)
    assert job.next_t == as_utc(attempt.deadline)
    for position in range(3):
        await _answer(first, engine, bank, position)
    clock.advance(minutes=10)
    await first.stop()

    # The bot restarts with 20 minutes left: the job is back, the candidate resumes.
    second = new_driver(settings, engine, clock, emulator=first.emulator)
    await second.start()
    try:
        (job,) = second.application.job_queue.get_jobs_by_name(job_name)
        assert job.next_t == as_utc(attempt.deadline)
        replies = await second.send(CANDIDATE, f"/start exam_{code}")
        assert replies[-1].text.startswith("第 4/45 题")
        assert "剩余 20:00" in replies[-1].text
        await _answer(second, engine, bank, 3)
        # Time runs out: a press after the deadline is refused and submits the sitting.
        clock.advance(minutes=20)
        late = second.last(CANDIDATE)
        buttons = list(late.callback_data)  # what the candidate's phone still shows
        await second.press(CANDIDATE, late, (0, 0))
        assert second.last_answer() == "考试时间已到，答卷已自动提交，不能再作答。"
        texts = [m.text for m in second.messages(CANDIDATE)]
        assert any("考试时间到，系统已自动交卷" in t for t in texts)
        assert "（时间到自动交卷）" in second.last(INSPECTOR).text
        finished = attempt_of(engine, CANDIDATE)
        assert finished.status == "submitted"
        assert finished.submitted_at == attempt.deadline
        with session_of(engine) as session:
            answered = session.exec(
                select(AttemptItem).where(
                    AttemptItem.attempt_id == attempt.id, col(AttemptItem.chosen).is_not(None)
                )
            ).all()
        assert len(answered) == 4  # the late press changed nothing
        # Pressing again does not submit twice.
        notices = len(second.messages(INSPECTOR))
        await second.press_data(CANDIDATE, late, buttons[1])
        assert second.last_answer() == "这份答卷已经交卷或已结束，不能再作答。"
        assert len(second.messages(INSPECTOR)) == notices
    finally:
        await second.stop()
    second.emulator.assert_clean()


async def test_deadline_passes_while_the_bot_is_down(
    clock: FakeClock, settings: Settings, file_engine: Engine, bank: Bank
) -> None:
    engine = file_engine
    first, code = await _first_process(settings, engine, clock)
    await _answer(first, engine, bank, 0)
    await first.stop()
    clock.advance(minutes=45)
    second = new_driver(settings, engine, clock, emulator=first.emulator)
    await second.start()  # its start-up work submits at once
    try:
        attempt = attempt_of(engine, CANDIDATE)
        assert attempt.status == "submitted"
        assert not second.application.job_queue.get_jobs_by_name(f"exam-submit-{attempt.id}")
        texts = [m.text for m in second.messages(CANDIDATE)]
        assert any("考试时间到，系统已自动交卷" in t for t in texts)
        assert "用时：30 分 0 秒" in "\n".join(texts)
        assert f"考试码：{code}" in second.last(INSPECTOR).text
        # Opening the link again shows the result, not the exam.
        replies = await second.send(CANDIDATE, f"/start exam_{code}")
        assert "您已经考过了" in replies[-1].text
    finally:
        await second.stop()
    second.emulator.assert_clean()


async def test_deadline_job_submits_on_time(
    clock: FakeClock, driver: Driver, engine: Engine, bank: Bank
) -> None:
    code = await _issue(driver)
    await _open_and_start(driver, code)
    attempt = attempt_of(engine, CANDIDATE)
    (job,) = driver.application.job_queue.get_jobs_by_name(f"exam-submit-{attempt.id}")
    clock.advance(minutes=30)
    await job.run(driver.application)
    assert attempt_of(engine, CANDIDATE).status == "submitted"
    assert "得分：0 / 100 分 · ❌ 不合格" in driver.last(INSPECTOR).text
    closed = driver.emulator.message(CANDIDATE, attempt.message_id or 0)
    assert closed.text.startswith("⏰ 考试时间到")
    assert closed.buttons == []


async def test_practice_round_and_mistakes_book(
    clock: FakeClock, driver: Driver, engine: Engine, bank: Bank
) -> None:
    user = 6001
    await driver.send(user, "/quiz")
    await driver.press(user, driver.last(user), "食品销售")
    await driver.press(user, driver.last(user), "食品安全员")
    attempt = attempt_of(engine, user)
    wrong_positions = {0, 1}
    for position in range(10):
        message = driver.last(user)
        assert message.text.startswith(f"练习 第 {position + 1}/10 题")
        key = key_labels(engine, attempt.id or 0, position, bank)
        kind = question_type(engine, attempt.id or 0, position, bank)
        right = position not in wrong_positions
        picks = key if right else [next(i for i in range(len(message.buttons[0])) if i not in key)]
        shown = message.buttons[0]  # the option buttons, before the verdict replaces them
        for index in picks:
            await driver.press(user, driver.last(user), (0, index))
        if kind == "multiple":
            await driver.press(user, driver.last(user), label("confirm"))
        verdict = driver.emulator.message(user, message.message_id)
        assert ("回答正确" if right else "回答错误") in verdict.text
        if not right and kind != "multiple":  # the choices are quoted, not run into the sentence
            answer = "".join(shown[i] for i in key)
            assert f"回答错误：您选“{shown[picks[0]]}”，正确答案“{answer}”" in verdict.text
        assert "依据：《" in verdict.text
        last = position == 9
        await driver.press(user, verdict, label("quiz_finish" if last else "quiz_next"))
    summary = driver.last(user)
    assert "答对 8/10 题，得分 80/100" in summary.text
    assert "错题本里还有 2 道题" in summary.text
    await driver.send(user, "/mistakes")
    book = driver.last(user)
    assert "错题本</b>" in (book.html or "") and "2 道题还没答对" in book.text
    # Practise the mistakes and get them right: the book empties.
    await driver.press(user, book, label("mistakes_start", count=2))
    review = attempt_of(engine, user)
    for position in range(2):
        key = key_labels(engine, review.id or 0, position, bank)
        for index in key:
            await driver.press(user, driver.last(user), (0, index))
        if question_type(engine, review.id or 0, position, bank) == "multiple":
            await driver.press(user, driver.last(user), label("confirm"))
        last = position == 1
        await driver.press(user, driver.last(user), label("quiz_finish" if last else "quiz_next"))
    assert "错题本已清空" in driver.last(user).text
    with session_of(engine) as session:
        assert all(m.cleared for m in session.exec(select(Mistake)).all())


async def test_exports_read_back(
    clock: FakeClock, driver: Driver, engine: Engine, bank: Bank
) -> None:
    # Two sittings: one left empty (0 points), one with everything right (100 points).
    for candidate_answers in (False, True):
        code = await _issue(driver)
        await _open_and_start(driver, code, name="李四" if candidate_answers else "王五")
        if candidate_answers:
            for position in range(45):
                await _answer(driver, engine, bank, position)
        await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit"))
        await driver.press(CANDIDATE, driver.last(CANDIDATE), label("exam_submit_yes"))
        # The same candidate account takes the next code.
    replies = await driver.send(INSPECTOR, "/exam_export")
    document = replies[-1]
    assert document.media["document"]["file_name"].endswith(".xlsx")
    data = driver.emulator.file_bytes(document.media["document"]["file_id"])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["抽考记录", "行业统计", "镇街统计", "易错题", "图表"]
    rows = list(book["抽考记录"].iter_rows(values_only=True))
    assert rows[0][:10] == (
        "考生", "岗位", "企业", "统一社会信用代码", "镇街", "行业", "得分", "满分", "是否合格",
        "用时（分钟）",
    )  # fmt: skip
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["李四"][1:9] == (
        "食品安全总监", "某某餐饮有限公司", CREDIT, "城关街道", "餐饮服务", 100, 100, "合格",
    )  # fmt: skip
    assert by_name["王五"][6] == 0 and by_name["王五"][8] == "不合格"
    assert by_name["李四"][11] == "用户900002" and by_name["李四"][12] == INSPECTOR
    sectors = list(book["行业统计"].iter_rows(values_only=True))
    assert sectors[1] == ("餐饮服务", 2, 1, 0.5, 50)
    missed = list(book["易错题"].iter_rows(values_only=True))
    assert len(missed) == 11  # header + the top 10, each missed once (by 王五)
    assert all(r[4] == 1 and r[5] == 1 / r[3] for r in missed[1:])
    assert [r[5] for r in missed[1:]] == sorted((r[5] for r in missed[1:]), reverse=True)
    assert len(book["图表"]._images) == 1
    with session_of(engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog)).all()]
    assert "exam:export" in actions
