"""Registering an enterprise in chat, inviting its people, the Excel import, the checklist."""

from __future__ import annotations

import io
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.models import utcnow
from bot.records.codes import check_code, credit_check_char
from bot.records.enterprises import register as register_enterprise
from bot.records.models import ChecklistVersion, Enterprise, Invite, Member
from bot.sandbox.driver import Driver
from tests.conftest import ADMIN, INSPECTOR
from tests.records.helpers import credit_code, invite, join_token, register, staffed

BOSS, DIRECTOR, OFFICER, STRANGER = 31001, 31002, 31003, 31004
_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@given(st.text(alphabet=_CHARSET, min_size=17, max_size=17))
def test_a_code_with_its_check_character_passes_and_any_other_last_character_fails(
    first17: str,
) -> None:
    good = first17 + credit_check_char(first17)
    assert check_code(good.lower()).kind == "credit"
    for wrong in set(_CHARSET) - {good[-1]}:
        assert check_code(first17 + wrong).kind is None


def test_licence_numbers_and_bad_codes_get_a_reason() -> None:
    assert check_code("JY13701020000001").kind == "licence"
    assert check_code("sc 1063 7010 2000 01").value == "SC10637010200001"
    assert check_code("JY1370").error == "许可证编号应为 JY 或 SC 加 14 位数字"
    assert "18 位（现在是 5 位）" in check_code("12345").error
    assert "不能有“I”" in check_code("91370100MA3CI0000X").error
    assert check_code("91350100M000100Y43").kind == "credit"  # a published example
    assert "校验码不对" in check_code("91350100M000100Y44").error


async def test_registering_keeps_what_was_typed_when_the_code_is_wrong(
    driver: Driver, engine: Engine
) -> None:
    [first] = await driver.send(BOSS, "/enterprise_new")
    assert first.text is not None and "企业名称" in first.text
    [ask_code] = await driver.send(BOSS, "好味道餐馆")
    assert ask_code.text is not None and "统一社会信用代码" in ask_code.text
    [refused] = await driver.send(BOSS, "91350100M000100Y44")
    assert refused.text == (
        "统一社会信用代码的最后一位校验码不对，请核对营业执照\n"
        "您输入的是：91350100M000100Y44\n"
        "前面填好的内容都已保存，请重新输入这一项。"
    )
    [ask_town] = await driver.send(BOSS, credit_code(1))
    assert ask_town.text is not None and credit_code(1) in ask_town.text
    [ask_sector] = await driver.send(BOSS, "城关街道")
    assert [row[0] for row in ask_sector.buttons][:3] == ["食品生产", "食品销售", "餐饮服务"]
    [done] = await driver.press(BOSS, ask_sector, "餐饮服务")
    assert done.text is not None and done.text.startswith("✅ 已登记：好味道餐馆")
    assert done.buttons == [["邀请食品安全总监"], ["邀请食品安全员"]]
    with Session(engine) as session:
        enterprise = session.exec(select(Enterprise)).one()
        assert (enterprise.name, enterprise.credit_code, enterprise.sector) == (
            "好味道餐馆",
            credit_code(1),
            "catering",
        )
        version = session.exec(select(ChecklistVersion)).one()
        assert version.number == 1 and "健康证明" in version.items
        roles = session.exec(select(Member.user_id, Member.role)).all()
        assert roles == [(BOSS, "principal")]
    # The sector button again (a double tap) registers nothing more.
    await driver.press_data(BOSS, ask_sector, "rec:sec:catering")
    assert driver.emulator.callback_answers[-1].text == "按钮已失效，请重新打开菜单"


async def test_a_code_already_registered_and_a_name_too_long_are_refused(driver: Driver) -> None:
    await register(driver, BOSS, code=credit_code(7))
    await driver.send(STRANGER, "/enterprise_new")
    [too_long] = await driver.send(STRANGER, "名" * 61)
    assert too_long.text is not None and "1-60 个字（您输入了 61 个字）" in too_long.text
    await driver.send(STRANGER, "另一家")
    [taken] = await driver.send(STRANGER, credit_code(7))
    assert taken.text is not None and "已经登记过（好味道餐馆）" in taken.text
    [prompt] = await driver.send(STRANGER, "/enterprise_new")
    [bye] = await driver.press(STRANGER, prompt, "取消")
    assert bye.text == "已取消登记，填写的内容已删除。"
    # With no draft, text is a question again (not swallowed by the registration).
    answers = await driver.send(STRANGER, "健康证多久办一次")
    assert answers and "已取消" not in (answers[0].text or "")


async def test_join_links_are_single_use_and_expire(driver: Driver, engine: Engine) -> None:
    done = await register(driver, BOSS)
    token = await invite(driver, BOSS, done, "邀请食品安全总监")
    [joined] = await driver.send(DIRECTOR, f"/start join_{token}")
    assert (
        joined.text
        == "✅ 您已作为食品安全总监加入好味道餐馆。\n发送 /enterprises 查看您服务的企业。"
    )
    assert "已通过邀请链接加入好味道餐馆，担任食品安全总监" in (driver.last(BOSS).text or "")
    [again] = await driver.send(STRANGER, f"/start join_{token}")
    assert again.text is not None and again.text.startswith("这个邀请链接已经用过了")
    token = await invite(driver, BOSS, done, "邀请食品安全员")
    with Session(engine) as session:
        row = session.exec(select(Invite).where(Invite.token == token)).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
        session.add(row)
        session.commit()
    [expired] = await driver.send(OFFICER, f"/start join_{token}")
    assert expired.text is not None and expired.text.startswith("这个邀请链接已经过期")
    [unknown] = await driver.send(OFFICER, "/start join_nosuchtoken")
    assert unknown.text is not None and unknown.text.startswith("这个邀请链接不存在")
    with Session(engine) as session:
        assert session.exec(select(Member.user_id).where(Member.role == "officer")).all() == []
    # The 安全员 may not invite anyone; the 总监 may invite a 安全员 but not a 总监.
    await driver.press(DIRECTOR, done, "邀请食品安全总监")
    assert driver.emulator.callback_answers[-1].text == "只有主要负责人可以发邀请。"
    [link] = await driver.press(DIRECTOR, done, "邀请食品安全员")
    assert join_token(link)


async def test_one_director_serves_two_enterprises_and_chooses_between_them(
    driver: Driver,
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    other = await register(driver, 31005, name="城南超市", code=credit_code(9), sector="食品销售")
    token = await invite(driver, 31005, other, "邀请食品安全总监")
    await driver.send(DIRECTOR, f"/start join_{token}")
    [choose] = await driver.send(DIRECTOR, "/checklist")
    assert choose.text == "您服务多家企业，请先选择要操作的企业："
    await driver.press(DIRECTOR, choose, "切换到：城南超市")
    [listing] = await driver.send(DIRECTOR, "/checklist")
    assert listing.text is not None and listing.text.startswith("城南超市 风险管控清单（第1版")
    assert "《中华人民共和国食品安全法》第五十四条" in listing.text
    [mine] = await driver.send(DIRECTOR, "/enterprises")
    assert mine.text is not None and "👉 城南超市" in mine.text
    # A forged switch to an enterprise the person does not serve is refused.
    await driver.press_data(STRANGER, mine, "rec:use:1")
    assert driver.emulator.callback_answers[-1].text == "按钮已失效，请重新打开菜单"


async def test_checklist_changes_make_new_versions_and_only_managers_may_change(
    driver: Driver, engine: Engine
) -> None:
    await staffed(driver, BOSS, DIRECTOR, OFFICER)
    [refused] = await driver.send(OFFICER, "/checklist_add 检查燃气阀门")
    assert refused.text == "只有主要负责人、食品安全总监可以调整清单。"
    [added] = await driver.send(DIRECTOR, "/checklist_add 检查燃气阀门是否关好")
    assert added.text == "已更新风险管控清单，现在是第2版（新增第11项）。发送 /checklist 查看。"
    [edited] = await driver.send(BOSS, "/checklist_edit 11 检查燃气阀门和报警器")
    assert edited.text is not None and "第3版（修改第11项）" in edited.text
    [retired] = await driver.send(BOSS, "/checklist_retire 10")
    assert retired.text is not None and "第4版（停用：" in retired.text
    [missing] = await driver.send(BOSS, "/checklist_retire 99")
    assert missing.text == "清单里没有第99项（共10项）。"
    [usage] = await driver.send(BOSS, "/checklist_edit 三 新内容")
    assert usage.text is not None and usage.text.startswith("用法：")
    [long] = await driver.send(BOSS, "/checklist_add " + "长" * 121)
    assert long.text is not None and "121 个字，最多 120 个字" in long.text
    [listing] = await driver.send(OFFICER, "/checklist")
    assert listing.text is not None and "（第4版" in listing.text
    assert listing.text.endswith("\n10. [自定] 检查燃气阀门和报警器")
    assert "\n2. [进货] 今天进的食材都查看了供货方的许可证和合格证明" in listing.text
    assert "/checklist_add" not in listing.text  # the 安全员 is not shown how to change it
    with Session(engine) as session:
        numbers = session.exec(
            select(ChecklistVersion.number).order_by(col(ChecklistVersion.number))
        ).all()
        assert numbers == [1, 2, 3, 4]


def _sheet(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["企业名称", "统一社会信用代码或许可证号", "行业", "乡镇（街道）"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_staff_import_enterprises_from_excel_with_a_result_for_every_row(
    driver: Driver, engine: Engine
) -> None:
    with Session(engine) as session:
        register_enterprise(
            session, name="老店", code=credit_code(5), sector="retail", township="城关", by=None
        )
    data = _sheet(
        [
            ["阳光小学食堂", credit_code(3), "食堂", "城关街道"],
            ["错码饭店", "91350100M000100Y44", "餐饮", "城关街道"],
            ["某某食品厂", "SC10637010200001", "生产", "开发区"],
            ["怪行业", credit_code(4), "理发", "城关街道"],
            ["重复", credit_code(5), "销售", "城关街道"],
        ]
    )
    driver.user(INSPECTOR).send_document("企业.xlsx", data, caption="/enterprise_import")
    await driver.settle()
    summary, result = driver.messages(INSPECTOR)[-2:]
    assert summary.text is not None and summary.text.startswith(
        "导入完成：2 家已登记，3 行有问题。"
    )
    assert "第3行 错码饭店：统一社会信用代码的最后一位校验码不对" in summary.text
    assert "第5行 怪行业：行业“理发”不认识" in summary.text
    assert "第6行 重复：代码" in summary.text
    book = load_workbook(
        io.BytesIO(driver.emulator.file_bytes(result.media["document"]["file_id"]))
    )
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[1][:3] == (2, "阳光小学食堂", "已登记")
    link = str(rows[1][4])
    assert "start=join_" in link and rows[2][4] in ("", None)
    # The principal's link from the sheet works once.
    [joined] = await driver.send(BOSS, "/start join_" + link.rsplit("join_", 1)[1])
    assert (
        joined.text is not None and "主要负责人" in joined.text and "阳光小学食堂" in joined.text
    )
    # Citizens cannot import; an unreadable file gets a clear message.
    driver.user(STRANGER).send_document("企业.xlsx", data, caption="/enterprise_import")
    await driver.settle()
    assert driver.last(STRANGER).text == "这个命令只有监管人员可以使用。"
    driver.user(ADMIN).send_document("企业.xlsx", b"not a workbook", caption="/enterprise_import")
    await driver.settle()
    assert driver.last(ADMIN).text == "导入失败：文件打不开：请上传 Excel 的 .xlsx 文件"
    [help_text, blank] = await driver.send(ADMIN, "/enterprise_import")
    assert help_text.text is not None and "企业名称、统一社会信用代码或许可证号" in help_text.text
    assert blank.media["document"]["file_name"] == "企业名单模板.xlsx"
