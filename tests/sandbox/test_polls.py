"""Native polls: regular and quiz, votes per user, retraction, stopPoll, poll_answer updates."""

from __future__ import annotations

import pytest
from telegram import Poll

from bot.sandbox import BotApiEmulator, ManualClock
from tests.sandbox.helpers import AnyApp


def kinds(emu: BotApiEmulator) -> list[str]:
    """Types of the queued updates, oldest first."""
    return [next(k for k in u if k != "update_id") for u in emu.updates.peek(100)]


async def test_non_anonymous_votes_give_poll_answer_updates(
    app: AnyApp, emu: BotApiEmulator
) -> None:
    group = emu.create_group("抽检投票", [1001, 1002])
    sent = await app.bot.send_poll(
        group,
        "下月抽检哪类食品？",
        ["肉制品", "乳制品", "饮料"],
        is_anonymous=False,
        allows_multiple_answers=True,
    )
    assert sent.poll is not None
    poll_id = sent.poll.id
    first, second = emu.user(1001), emu.user(1002)
    answer = first.vote(poll_id, [0, 2])
    assert answer["poll_answer"]["option_ids"] == [0, 2]
    assert answer["poll_answer"]["user"]["id"] == first.id
    assert "chat" not in answer["poll_answer"]
    second.vote(poll_id, [2])
    poll = emu.polls[poll_id]
    assert [o.voter_count for o in poll.options] == [1, 0, 2]
    assert poll.total_voter_count == 2
    retract = first.vote(poll_id, [])
    assert retract["poll_answer"]["option_ids"] == []
    assert [o.voter_count for o in poll.options] == [0, 0, 1]
    assert poll.votes == {second.id: (2,)}
    assert kinds(emu) == ["poll_answer", "poll"] * 3


async def test_anonymous_polls_give_only_poll_updates(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    sent = await app.bot.send_poll(user.id, "满意吗？", ["满意", "不满意"])
    update = user.vote(sent.poll.id, [0])
    assert update["poll"]["options"][0]["voter_count"] == 1
    assert kinds(emu) == ["poll"]
    with pytest.raises(ValueError, match="one answer only"):
        user.vote(sent.poll.id, [0, 1])


async def test_quiz_votes_are_final(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    sent = await app.bot.send_poll(
        user.id,
        "冷藏温度上限？",
        ["0℃", "8℃", "15℃"],
        type=Poll.QUIZ,
        correct_option_ids=[1],
        explanation="见<b>条例</b>",
        explanation_parse_mode="HTML",
        is_anonymous=False,
    )
    assert sent.poll is not None
    assert sent.poll.correct_option_ids == (1,)
    assert sent.poll.explanation == "见条例"
    user.vote(sent.poll.id, [2])
    with pytest.raises(ValueError, match="does not allow changing"):
        user.vote(sent.poll.id, [1])


async def test_stop_poll_closes_it(app: AnyApp, emu: BotApiEmulator) -> None:
    user = emu.user(1001)
    sent = await app.bot.send_poll(user.id, "Q", ["a", "b"])
    user.vote(sent.poll.id, [1])
    stopped = await app.bot.stop_poll(user.id, sent.message_id)
    assert stopped.is_closed
    assert [o.voter_count for o in stopped.options] == [0, 1]
    with pytest.raises(ValueError, match="closed"):
        user.vote(sent.poll.id, [0])
    from telegram.error import BadRequest

    with pytest.raises(BadRequest, match="already been closed"):
        await app.bot.stop_poll(user.id, sent.message_id)
    assert kinds(emu)[-1] == "poll"
    assert emu.last_message(user.id).poll_id == stopped.id  # type: ignore[union-attr]


async def test_open_period_closes_the_poll_with_the_clock(
    app: AnyApp, emu: BotApiEmulator, clock: ManualClock
) -> None:
    user = emu.user(1001)
    sent = await app.bot.send_poll(user.id, "Q", ["a", "b"], open_period=30)
    clock.advance(31)
    with pytest.raises(ValueError, match="closed"):
        user.vote(sent.poll.id, [0])


async def test_bad_polls_without_spec(clock: ManualClock) -> None:
    emu = BotApiEmulator(clock=clock, validate=False)
    user = emu.user(1001)
    base: dict[str, object] = {"chat_id": user.id, "question": "Q"}
    cases: list[tuple[dict[str, object], str]] = [
        ({"options": [{"text": "a"}]}, "Bad Request: poll must have at least 2 option"),
        (
            {"options": [{"text": str(i)} for i in range(13)]},
            "Bad Request: poll can't have more than 12 options",
        ),
        (
            {"options": [{"text": "a"}, {"text": "b"}], "question": "问" * 301},
            "Bad Request: poll question length must not exceed 300",
        ),
        (
            {"options": [{"text": "a"}, {"text": "b" * 101}]},
            "Bad Request: poll options length must not exceed 100",
        ),
        (
            {"options": [{"text": "a"}, {"text": "b"}], "type": "quiz"},
            "Bad Request: quiz poll must have a correct option",
        ),
    ]
    for extra, description in cases:
        status, body = await emu.call("sendPoll", {**base, **extra})
        assert (status, body["description"]) == (400, description)
