"""What a question is about and what kind of answer it wants, to tell near neighbours apart.

Lexical similarity alone confuses questions that share most of their words: "食品安全总监要干啥"
and "食品安全员要干啥", "健康证去哪办" and "健康证多久办", "凉菜间要单独设吗" and
"保健食品要设专柜吗".
Two facets separate them:

- the **intent**: which kind of answer the question wants (去哪办, 多久, 罚多少, 怎么办 …);
- the **subjects**: who or what it is about, in groups whose members exclude each other
  (总监 / 安全员 / 主要负责人; 小作坊 / 小餐饮 / 摊点; 食堂 / 饭店 / 超市 / 网络; 专间 / 专柜).

Each gives the ranker a signed feature: +1 when the entry's own question agrees with the user's,
-1 when it names another member of the same group (or another intent), 0 when either is silent.
Text given here is already normalised (synonyms applied, simplified characters).

A third feature, **fit**, reads the entry's answer: a question that asks 多久 is not answered by
an entry whose answer holds no duration, however close its wording ("留样留几天" against "食堂
要留样吗"); such near misses are what a confident wrong answer is made of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Facets", "Profile"]

# Patterns run on normalised text: 罚/处罚 are already 罚款, 饭店 is 餐饮服务提供者, etc.
_INTENTS: dict[str, str] = {
    "where": r"去哪|哪里|哪儿|在哪|哪个部门|找谁|到哪|什么部门|啥部门|哪个单位",
    "how_long": (
        r"多久|多长时间|多长|几年|几天|几个月|几小时|有效期|期限|一年一|多少天|多少年|多少小时"
        r"|保存多长|时限"
    ),
    "penalty": r"罚款|吊销|后果|坐牢|判刑|拘留|追究|违法吗|犯法|处理我|查处",
    "compensation": r"赔偿|赔多少|索赔|退一赔|赔钱|惩罚性赔偿",
    "what_to_do": r"怎么办|咋办|咋整|怎么处理|如何处理|咋处理|怎么弄|咋弄",
    "difference": r"区别|不同|不一样|一样吗|啥关系|什么关系|分别",
    "materials": r"材料|带什么|带啥|手续|资料|提交什么|准备什么|准备啥",
    "duties": r"职责|干什么|干啥|做什么|做啥|负责什么|负责啥|管什么|管啥|干些啥|什么活|啥活|责任",
    "cost": r"多少钱|收费|费用|花钱|要钱",
    # 罚款多少 / 赔多少 ask for a penalty or compensation, not a quantity.
    "quantity": (
        r"(?<!罚款)(?<!罚)(?<!赔)多少(?!钱)|多大|多重|几个|几份|几克|几样|几度|温度|几斤|几名|几人"
    ),
    "whether": (
        r"要不要|需不需要|用不用|能不能|可不可以|可以.{0,8}[吗嘛么]|行不行|中不中|是否"
        r"|必须.{0,10}[吗嘛么]|要.{0,10}[吗嘛么]|得.{0,8}[吗嘛么]|算不算|是不是|允许|准不准|让不让"
    ),
}  # fmt: skip

# Who or what a question is about; members of one group exclude each other.
_SUBJECTS: dict[str, dict[str, str]] = {
    "role": {
        "director": r"食品安全总监",
        "officer": r"食品安全员",
        "head": r"主要负责人",
    },
    "small": {
        "workshop": r"食品小作坊",
        "eatery": r"小餐饮",
        "stall": r"食品摊点",
    },
    "venue": {
        "canteen": r"集中用餐单位|食堂|学校|幼儿园|托幼",
        "restaurant": r"餐饮服务提供者",
        "shop": r"超市|商场|便利店|小卖部",
        "online": r"外卖|网络|入网餐饮服务提供者|第三方平台|网上",
        "producer": r"食品生产|生产企业|工厂|食品厂|生产者",
    },
    "place": {
        "room": r"专间|凉菜间|冷荤间|裱花间|专用操作",
        "counter": r"专柜|专区",
    },
}


# What an answer must contain to answer an intent (on normalised answer text). Intents with no
# pattern here (要不要, 怎么办, 区别) are answered by any text.
_ANSWER_HAS: dict[str, str] = {
    "how_long": (
        r"[0-9一二三四五六七八九十两半]+个?(?:工作日|日|天|小时|个月|月|年|周)|每(?:天|日|周|月|年)"
        r"|保质期满|当天|当日|立即|及时|随时|有效期"
    ),
    "where": (
        r"部门|政府|街道|乡镇|办事处|市场监督管理|市场监管|窗口|平台|医院|机构|12315|公安|法院"
    ),
    "penalty": r"罚款|吊销|警告|没收|责令|拘留|刑|处分|停产停业|不予处罚|免予处罚",
    "compensation": r"赔|价款|损失|退货|退款",
    "cost": r"收费|免费|不收|元|费用|钱",
    "quantity": r"[0-9]|[一二三四五六七八九十两百千万]+(?:份|克|个|名|人|样|度|斤|公斤|种|倍|桌)",
    "materials": r"身份|证明|材料|提交|申请|复印|照片|资料|营业执照",
    "duties": r"负责|督促|组织|检查|管理|落实|职责|报告|培训",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Profile:
    """The intents and subjects (group -> members) found in a text."""

    intents: frozenset[str]
    subjects: dict[str, frozenset[str]]


class Facets:
    """Find intents and subjects; score the agreement of a question with an entry."""

    def __init__(self) -> None:
        self._intents = {k: re.compile(v) for k, v in _INTENTS.items()}
        self._subjects = {
            g: {k: re.compile(v) for k, v in members.items()} for g, members in _SUBJECTS.items()
        }
        self._answer_has = {k: re.compile(v) for k, v in _ANSWER_HAS.items()}

    def answerable(self, answer: str) -> frozenset[str]:
        """The intents a normalised answer text holds what they ask for (a number, a place …)."""
        return frozenset(k for k, rx in self._answer_has.items() if rx.search(answer))

    def profile(self, text: str) -> Profile:
        """The facets of one normalised text."""
        intents = frozenset(k for k, rx in self._intents.items() if rx.search(text))
        subjects = {
            g: frozenset(k for k, rx in members.items() if rx.search(text))
            for g, members in self._subjects.items()
        }
        return Profile(intents, {g: m for g, m in subjects.items() if m})

    def of_query(self, text: str) -> Profile:
        """The user's question."""
        return self.profile(text)

    def of_entry(self, question: str, tags: list[str]) -> Profile:
        """An entry: the intents of its own question; subjects of its question and tags."""
        asked = self.profile(question)
        tagged = self.profile(" ".join(tags))
        subjects = dict(asked.subjects)
        for group, members in tagged.subjects.items():
            subjects[group] = subjects.get(group, frozenset()) | members
        return Profile(asked.intents, subjects)

    @staticmethod
    def agreement(asked: Profile, entry: Profile) -> tuple[float, float]:
        """(intent, subject): each +1 agree, -1 disagree, 0 when either side is silent."""
        intent = 0.0
        if asked.intents and entry.intents:
            intent = 1.0 if asked.intents & entry.intents else -1.0
        subject = 0.0
        for group, members in asked.subjects.items():
            theirs = entry.subjects.get(group)
            if theirs:
                subject += 1.0 if members & theirs else -1.0
        return intent, max(-2.0, min(2.0, subject))

    @staticmethod
    def fit(asked: Profile, answerable: frozenset[str]) -> float:
        """+1 when the answer holds what every checkable intent asks for, -1 when it holds none."""
        checkable = [i for i in asked.intents if i in _ANSWER_HAS]
        if not checkable:
            return 0.0
        return 2.0 * sum(i in answerable for i in checkable) / len(checkable) - 1.0
