"""Telegram's HTML subset: text, entities in UTF-16 units, and the errors for bad markup."""

from __future__ import annotations

import pytest

from bot.sandbox.entities import HtmlError, parse_html, trim, user_entities, utf16_len


def test_plain_text_passes_through() -> None:
    assert parse_html("食品安全 123") == ("食品安全 123", [])


def test_nested_tags_give_entities_in_start_order() -> None:
    text, entities = parse_html("<b>加粗 <i>斜体</i></b> 普通")
    assert text == "加粗 斜体 普通"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 5},
        {"type": "italic", "offset": 3, "length": 2},
    ]


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("tg-spoiler", "spoiler"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
    ],
)
def test_every_simple_tag(tag: str, kind: str) -> None:
    assert parse_html(f"<{tag}>x</{tag}>") == ("x", [{"type": kind, "offset": 0, "length": 1}])


def test_special_tags() -> None:
    text, entities = parse_html(
        '<span class="tg-spoiler">s</span><a href="https://a.cn/?x=1&amp;y=2">link</a>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>q</blockquote>"
    )
    assert text == "slink👍x = 1q"
    assert entities == [
        {"type": "spoiler", "offset": 0, "length": 1},
        {"type": "text_link", "offset": 1, "length": 4, "url": "https://a.cn/?x=1&y=2"},
        {
            "type": "custom_emoji",
            "offset": 5,
            "length": 2,
            "custom_emoji_id": "5368324170671202286",
        },
        {"type": "pre", "offset": 7, "length": 5, "language": "python"},
        {"type": "expandable_blockquote", "offset": 12, "length": 1},
    ]


def test_html_entities_are_decoded() -> None:
    assert parse_html("&lt;a&gt; &amp; &quot;x&quot; &#20013;&#x6587;")[0] == '<a> & "x" 中文'


def test_offsets_are_utf16_units() -> None:
    text, entities = parse_html("😀<b>食</b>")
    assert text == "😀食"
    assert entities == [{"type": "bold", "offset": 2, "length": 1}]
    assert utf16_len("😀食") == 3


def test_tag_names_are_case_insensitive() -> None:
    assert parse_html("<B>x</B>")[1] == [{"type": "bold", "offset": 0, "length": 1}]


def test_empty_entities_are_dropped() -> None:
    assert parse_html("<b></b>x") == ("x", [])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("盐 & 糖", "Character '&' must be escaped as &amp; at byte offset 4"),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_bad_html_is_rejected(source: str, message: str) -> None:
    with pytest.raises(HtmlError) as caught:
        parse_html(source)
    assert str(caught.value) == message


def test_trim_strips_whitespace_and_clips_entities() -> None:
    text, entities = parse_html("\n <b> 粗 </b>\n")
    assert trim(text, entities) == ("粗", [{"type": "bold", "offset": 0, "length": 1}])


def test_user_entities_mark_commands_and_urls() -> None:
    assert user_entities("/start abc") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert user_entities("/help@shian_test_bot")[0]["length"] == 20
    assert user_entities("看 https://x.cn") == [{"type": "url", "offset": 2, "length": 12}]
    assert user_entities("你好") == []
