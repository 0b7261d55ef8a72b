from __future__ import annotations

from sqlmodel import Session

from bot.models import User
from bot.sandbox.driver import Driver
from tests.conftest import ADMIN, INSPECTOR

OWNER = 10001


async def test_first_conversation_start_type_menu_help(driver: Driver, engine) -> None:
    [welcome] = await driver.send(OWNER, "/start")
    assert "食安助手" in welcome.text
    assert "政策问答" in welcome.text
    assert "您的经营类型" in welcome.text
    assert welcome.buttons == [
        ["餐饮服务", "食品销售"],
        ["食品生产", "小作坊/小餐饮/摊点"],
        ["集中用餐单位食堂", "网络餐饮"],
        ["消费者/市民", "其他"],
    ]
    [saved] = await driver.press(OWNER, welcome, "餐饮服务")
    assert saved.text.startswith("已记下：您的经营类型是餐饮服务")
    assert driver.emulator.message(OWNER, welcome.message_id).buttons == []  # buttons removed
    with Session(engine) as session:
        user = session.get(User, OWNER)
        assert user is not None
        assert user.business_type == "catering"

    [again] = await driver.send(OWNER, "/start")
    assert "欢迎回来" in again.text
    assert "您的经营类型" not in again.text  # asked once only

    [menu] = await driver.send(OWNER, "/menu")
    assert "经营类型：餐饮服务" in menu.text
    flat = [b for row in menu.buttons for b in row]
    assert "❓ 政策问答" in flat
    assert "🏪 修改经营类型" in flat

    [help_message] = await driver.send(OWNER, "/help")
    assert "/ask" in help_message.text
    assert "/subscribe" in help_message.text
    assert "/pending" not in help_message.text  # staff commands only for staff


async def test_help_for_admins_lists_staff_commands(driver: Driver) -> None:
    [help_message] = await driver.send(ADMIN, "/help")
    assert "工作人员命令" in help_message.text
    assert "/pending" in help_message.text
    assert "/broadcast" in help_message.text


async def test_command_menu_is_published_in_chinese(driver: Driver) -> None:
    commands = driver.emulator.command_list()
    names = [name for name, _ in commands]
    assert names[:2] == ["menu", "help"]
    assert "ask" in names
    assert "pending" not in names  # staff commands only in the staff's own chat scope
    assert all(description for _, description in commands)


async def test_menu_buttons_open_features(driver: Driver) -> None:
    [menu] = await driver.send(OWNER, "/menu")
    [prompt] = await driver.press(OWNER, menu, "❓ 政策问答")
    assert "请直接输入您的问题" in prompt.text
    [types] = await driver.press(OWNER, menu, "🏪 修改经营类型")
    assert "请选择您的经营类型" in types.text


async def test_profile_changes_business_type(driver: Driver, engine) -> None:
    await driver.send(OWNER, "/start")
    [ask] = await driver.send(OWNER, "/profile")
    [saved] = await driver.press(OWNER, ask, "食品销售")
    assert "食品销售" in saved.text
    with Session(engine) as session:
        assert session.get(User, OWNER).business_type == "retail"  # type: ignore[union-attr]


async def test_unknown_command_gets_help(driver: Driver) -> None:
    [reply] = await driver.send(OWNER, "/frobnicate now")
    assert reply.text == "没有 /frobnicate 这个命令。发送 /help 查看能用的命令，或者直接打字提问。"


async def test_unknown_deep_link_is_a_plain_start(driver: Driver) -> None:
    [welcome] = await driver.send(OWNER, "/start nothing_here")
    assert "食安助手" in welcome.text


async def test_forged_business_type_changes_nothing(driver: Driver, engine) -> None:
    [welcome] = await driver.send(OWNER, "/start")
    await driver.press_data(OWNER, welcome, "bt:set:martian")
    assert driver.last_answer() == "按钮已失效，请重新打开菜单"
    with Session(engine) as session:
        assert session.get(User, OWNER).business_type is None  # type: ignore[union-attr]


async def test_stale_or_garbage_buttons_answer_and_change_nothing(driver: Driver) -> None:
    [welcome] = await driver.send(OWNER, "/start")
    before = len(driver.messages(OWNER))
    for data in ("old:button:1", "menu:nonexistent", "ans:src:99999", "x" * 64):
        await driver.press_data(OWNER, welcome, data)
        assert driver.last_answer() == "按钮已失效，请重新打开菜单"
    assert len(driver.messages(OWNER)) == before


async def test_non_text_messages_get_a_polite_answer(driver: Driver) -> None:
    user = driver.user(OWNER)
    for update in (
        user.send_sticker(),
        user.send_photo(),
        user.send_voice(),
        user.send_location(),
    ):
        assert update
        await driver.settle()
        assert driver.last(OWNER).text == (
            "目前只能处理文字消息。请用文字描述您的问题，例如“卖过期食品罚多少”。"
        )


async def test_html_in_names_is_escaped_never_a_400(driver: Driver) -> None:
    driver.user(20002, "<b>王&老板</b>")
    [welcome] = await driver.send(20002, "/start")
    assert welcome.text.startswith("<b>王&老板</b>，您好")  # shown literally
    assert "&lt;b&gt;王&amp;老板" in (welcome.html or "")


async def test_maximum_length_message_is_answered(driver: Driver) -> None:
    replies = await driver.send(OWNER, "健康证" + "啊" * 4093)
    assert replies
    assert all(len(m.text or "") <= 4096 for m in replies)


async def test_edited_question_is_answered_again(driver: Driver) -> None:
    await driver.send(OWNER, "今天天气")
    user_message = [m for m in driver.emulator.chat_log(OWNER) if not m.from_bot][-1]
    driver.user(OWNER).edit(user_message.message_id, "健康证多久办一次")
    await driver.settle()
    assert "健康检查" in driver.last(OWNER).text


async def test_group_messages_without_mention_are_ignored(driver: Driver) -> None:
    group = driver.emulator.create_group("商户群", [OWNER, 10002])
    assert await driver.send(OWNER, "大家好，今天开会", chat_id=group) == []
    assert await driver.send(OWNER, "/frobnicate", chat_id=group) == []
    [answer] = await driver.send(OWNER, "/ask 健康证多久办一次", chat_id=group)
    assert "依据" in answer.text
    [mentioned] = await driver.send(OWNER, "@shian_test_bot 外卖要贴封签吗", chat_id=group)
    assert "封签" in mentioned.text


async def test_a_citizen_is_told_their_identity_not_a_business_type(driver: Driver) -> None:
    [welcome] = await driver.send(OWNER, "/start")
    [saved] = await driver.press(OWNER, welcome, "消费者/市民")
    assert saved.text.splitlines()[0] == "已记下：您的身份是消费者/市民。"
    [menu] = await driver.send(OWNER, "/menu")
    assert menu.text.splitlines()[0] == "主菜单（身份：消费者/市民）"


async def test_staff_who_first_write_after_start_up_get_their_menu(driver: Driver) -> None:
    # At start-up neither had a chat with the bot, so Telegram refused their menus then.
    admin_scope = {"type": "chat", "chat_id": ADMIN}
    inspector_scope = {"type": "chat", "chat_id": INSPECTOR}
    assert driver.emulator.command_list(admin_scope) == []
    await driver.send(INSPECTOR, "/start")
    inspector_menu = [name for name, _ in driver.emulator.command_list(inspector_scope)]
    assert "exam_new" in inspector_menu and "broadcast" not in inspector_menu
    await driver.send(ADMIN, "你好")
    admin_menu = [name for name, _ in driver.emulator.command_list(admin_scope)]
    assert {"exam_new", "broadcast", "grant"} <= set(admin_menu)
    # A citizen's first message sets no chat menu: they keep the default one.
    await driver.send(OWNER, "/start")
    assert driver.emulator.command_list({"type": "chat", "chat_id": OWNER}) == []
