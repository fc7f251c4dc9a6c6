"""Benchmark of near-duplicate dedupe on templated bureau prose: cost per article as the archive
grows, recall on planted reposts, false merges of distinct articles on one topic, memory.

    python benchmarks/dedupe.py                  # 100,000 articles, both paths below
    python benchmarks/dedupe.py --quick          # 10,000 articles
    python benchmarks/dedupe.py --path index     # the NearDupIndex alone (fast)

Bureau news is templated: a city bureau's quarterly 政企联席会, an inspection tour, a parcel-volume
report read much like every other one, with a stock opening and closing, and differ in the city,
the dates, the numbers, the people and some sentences of their own. Random characters share no
shingles and hide the cost this causes (many LSH band collisions between articles on one topic),
so the articles here are built the same way: topic sentence templates with varied slots, stock
openings and closings shared by many articles, detail sentences from phrase banks and clauses of
the seed articles (``seeds/*.txt``), about 2,500 characters like the seeds. Planted among them:

* reposts of an earlier article (an added lead sentence, an editor or source line, a changed
  paragraph split, a few characters changed), which must be found;
* an aggregator's repost archived first and the bureau's official page arriving later, which
  must replace it (the repost's hash leaves the index: the delete path);
* siblings: a distinct article of the same bureau on the same topic (the next quarter's meeting,
  the next tour), which must NOT be merged.

Two paths are measured, each in a fresh archive, with the same article stream:

* ``store``: what a crawl runs per article: :meth:`ArchiveStore.find_match` (the dedupe step)
  then :meth:`ArchiveStore.add` with ``unmatched_at`` (manifest line, file, index rows, FTS,
  near-dup signature) or, for a copy, :meth:`ArchiveStore.add_sighting`, in group commits
  (``--group``, by default the crawl's largest, which a crawl under load fills; each page is
  charged its share of its group's commit). ``fsync=False``: the benchmark measures CPU
  cost, not the disk's flush latency;
* ``index``: :class:`postcrawl.neardup.NearDupIndex` alone, ``candidates`` then ``add``, one
  transaction per article.

Targets: ≤ 2 ms per article at 100,000 articles, flat across 10,000-article slices, ≤ 1 GB.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from postcrawl import index, neardup, settings  # noqa: E402
from postcrawl.archive import ArchiveStore  # noqa: E402
from postcrawl.article_text import normalize_extracted  # noqa: E402
from postcrawl.chinese_text import clean_paragraphs, normalized_body, to_simplified  # noqa: E402
from postcrawl.extraction import Extracted  # noqa: E402

SLICE = 10_000
TARGET_MS = 2.0
TARGET_MB = 1024

# -- the vocabulary of bureau news -----------------------------------------------------------

PROVINCES: dict[str, list[str]] = {
    "山东": [
        "济南",
        "青岛",
        "淄博",
        "烟台",
        "潍坊",
        "济宁",
        "泰安",
        "威海",
        "临沂",
        "德州",
        "聊城",
        "滨州",
        "菏泽",
    ],
    "广东": [
        "广州",
        "深圳",
        "珠海",
        "汕头",
        "佛山",
        "韶关",
        "湛江",
        "肇庆",
        "江门",
        "茂名",
        "惠州",
        "梅州",
        "河源",
        "潮州",
    ],
    "湖南": [
        "长沙",
        "株洲",
        "湘潭",
        "衡阳",
        "邵阳",
        "岳阳",
        "常德",
        "郴州",
        "永州",
        "怀化",
        "娄底",
    ],
    "山西": [
        "太原",
        "大同",
        "阳泉",
        "长治",
        "晋城",
        "朔州",
        "晋中",
        "运城",
        "忻州",
        "临汾",
        "吕梁",
    ],
    "江苏": [
        "南京",
        "无锡",
        "徐州",
        "常州",
        "苏州",
        "南通",
        "连云港",
        "淮安",
        "盐城",
        "扬州",
        "镇江",
    ],
    "浙江": ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "台州", "丽水"],
    "河南": ["郑州", "开封", "洛阳", "平顶山", "安阳", "新乡", "焦作", "许昌", "南阳", "信阳"],
    "四川": ["成都", "自贡", "泸州", "德阳", "绵阳", "广元", "遂宁", "内江", "乐山", "宜宾"],
    "河北": ["石家庄", "唐山", "秦皇岛", "邯郸", "邢台", "保定", "张家口", "承德", "沧州", "廊坊"],
    "湖北": ["武汉", "黄石", "十堰", "宜昌", "襄阳", "荆州", "孝感", "黄冈", "咸宁", "随州"],
}
COUNTY_SYLLABLES = (
    "宁津庆云夏津乐陵齐河平原陵城武城临邑盂县平定耒阳常宁祁东衡东紫金龙川连平东源兴宁五华丰顺"
    "大埔蕉岭平远信宜高州化州电白饶平潮安惠来普宁揭西陆丰海丰博罗龙门新丰始兴仁化翁源乳源"
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志永海波宏斌晨辉鹏飞晓东"
TITLES = [
    "党组书记、局长",
    "党组成员、副局长",
    "副局长",
    "二级巡视员",
    "办公室主任",
    "普遍服务科科长",
    "市场监管科科长",
    "安全监督科负责人",
]
COMPANIES = [
    "市邮政分公司",
    "中国邮政集团有限公司市分公司",
    "顺丰速运",
    "中通快递",
    "圆通速递",
    "申通快递",
    "韵达快递",
    "京东物流",
    "极兔速递",
    "德邦快递",
    "EMS",
]
MEETINGS = [
    "邮政普遍服务政企联席会议",
    "安全生产工作会议",
    "寄递渠道安全管理工作会议",
    "旺季服务保障工作部署会",
    "党风廉政建设工作会议",
    "快递市场监管工作会议",
    "农村寄递物流体系建设推进会",
    "行业统计工作培训会",
]
QUARTERS = ["第一季度", "第二季度", "第三季度", "第四季度", "上半年", "前三季度"]
WORK_ITEMS = [
    "农村寄递物流体系建设",
    "快递进村",
    "邮快合作",
    "交邮合作",
    "寄递安全“三项制度”",
    "实名收寄",
    "收寄验视",
    "过机安检",
    "快递员权益保障",
    "绿色包装",
    "邮政普遍服务",
    "党报党刊发行",
    "专用邮政信箱寄递服务保障",
    "纪特邮票发行",
    "旅游景区主题邮局建设",
    "12305申诉处理",
    "末端网点备案",
    "智能快件箱管理",
    "冷链寄递",
    "跨境寄递",
]
PLACES = [
    "分拣中心",
    "快递营业网点",
    "邮政支局",
    "村级寄递物流综合服务站",
    "快递末端公共服务站",
    "智能快件箱点位",
    "电商产业园",
    "乡镇快递超市",
    "县级寄递公共配送中心",
]
VERBS = ["实地查看了", "详细了解了", "认真听取了", "现场检查了", "重点督导了", "随机抽查了"]
OBJECTS = [
    "安全生产制度落实情况",
    "实名收寄信息系统使用情况",
    "快件处理场地安全防范措施",
    "从业人员安全教育培训记录",
    "消防设施设备配置情况",
    "视频监控设备运行情况",
    "快件出入库台账",
    "快递员劳动合同签订情况",
    "网点服务质量和用户满意度",
    "邮件时限达标情况",
]
FINDINGS = [
    "对发现的问题当场提出整改要求",
    "要求企业限期整改并报送整改情况",
    "对整改不到位的网点依法予以处理",
    "指出要进一步压实企业主体责任",
    "强调要把安全隐患消除在萌芽状态",
    "要求举一反三，全面排查风险隐患",
]
OPENINGS = [
    "为深入学习贯彻习近平新时代中国特色社会主义思想和党的二十大精神，全面落实国家邮政局和省邮政管理局工作部署，",
    "为认真贯彻落实全国邮政管理工作会议精神，推动行业高质量发展，更好满足人民群众美好生活用邮需求，",
    "为切实做好寄递渠道安全管理工作，坚决防范和遏制重特大安全事故发生，确保行业安全稳定运行，",
    "为进一步提升邮政普遍服务水平，践行“人民邮政为人民”的服务宗旨，",
]
CLOSINGS = [
    "会议强调，各单位要坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党的二十大精神，认真落实国家邮政局、省邮政管理局工作部署，确保年度各项重点工作有序推进，全力以赴高质量完成全年目标任务。",
    "下一步，该局将继续坚持以人民为中心的发展思想，持续强化行业监管，优化营商环境，推动邮政快递业更好服务地方经济社会发展，为谱写中国式现代化新篇章贡献邮政力量。",
    "会议要求，邮政快递企业要切实扛起安全生产主体责任，严格落实寄递安全“三项制度”，全面排查整治安全隐患，坚决守牢行业安全底线，为人民群众营造安全畅通的寄递环境。",
    "与会人员纷纷表示，将以此次会议为契机，进一步提高政治站位，强化责任担当，狠抓工作落实，推动各项工作取得新成效。",
]
VOLUME_TEMPLATES = [
    "{year}年{quarter}，全市邮政行业寄递业务量累计完成{n1}万件，同比增长{p1}%；邮政行业业务收入累计完成{n2}亿元，同比增长{p2}%。",
    "其中，快递业务量累计完成{n3}万件，同比增长{p3}%，增速居全省第{rank}位；快递业务收入累计完成{n4}亿元，同比增长{p4}%。",
    "同城快递业务量完成{n5}万件，异地快递业务量完成{n6}万件，国际及港澳台快递业务量完成{n7}万件。",
    "全市农村地区快递业务量完成{n8}万件，占全市快递业务量的{p5}%，农村寄递物流体系建设成效进一步显现。",
]
MEETING_TEMPLATES = [
    "{date}，{city}市邮政管理局召开{year}年{quarter}{meeting}，{title}{person}出席会议并讲话，{company}等单位负责人参加会议。",
    "会议通报了{quarter}全市{item}工作开展情况，听取了{company}关于{item2}工作的汇报，分析了当前面临的形势，安排部署了下阶段重点工作。",
    "会上，{dept}负责人就{item}工作进行了通报，指出了存在的问题和不足，提出了具体整改要求。",
    "{person}指出，{item}是{city}邮政管理部门的重点工作，各单位要提高政治站位，强化责任担当，确保各项任务落地见效。",
    "会议要求，一是要持续推进{item}，二是要扎实做好{item2}，三是要认真落实{item3}，确保全年目标任务圆满完成。",
    "政企双方围绕{item}、{item2}等工作进行了深入交流，并就下一步加强协作达成共识。",
]
INSPECTION_TEMPLATES = [
    "{date}，{city}市邮政管理局{title}{person}带队深入{county}县{place}开展{item}专项检查。",
    "检查组先后来到{company}{county}营业部、{company2}{county}分拨中心和{place}，{verb}{object}。",
    "在{place}，{person}{verb}{object}，{finding}。",
    "检查中，检查组共检查企业网点{k1}个，发现安全隐患{k2}处，下达整改通知书{k3}份，{finding}。",
    "{person}强调，{item}事关人民群众生命财产安全，企业要切实扛起主体责任，严格落实{item2}，全面加强{item3}。",
]
RURAL_TEMPLATES = [
    "截至{month}月底，{city}市已建成县级寄递公共配送中心{k1}个、乡镇快递物流站点{k2}个、村级寄递物流综合服务站{k3}个，建制村快递服务覆盖率达到{p1}%。",
    "{county}县依托{company}网络资源，推行“交通+快递+邮政+电商”模式，日均进村快件{k4}余件，有效解决了快递进村“最后一公里”问题。",
    "今年以来，全市累计投入资金{n1}万元，新建改造{place}{k5}个，农村地区快递业务量同比增长{p2}%。",
    "{city}市邮政管理局将{item}列为年度“一号工程”，成立工作专班，建立月调度、季通报工作机制，推动各项任务按时保质完成。",
]
DETAIL_SUBJECTS = [
    "该局",
    "市局",
    "{county}县邮政管理部门",
    "{company}",
    "各快递企业",
    "全市邮政快递企业",
    "{county}县政府",
]
DETAIL_ACTIONS = [
    "组织开展了{k1}场次{item}专题培训，培训从业人员{k2}人次",
    "累计排查{place}{k1}个，整改安全隐患{k2}处",
    "新增{place}{k1}个，服务覆盖{k2}个行政村",
    "处理用户申诉{k1}件，用户满意率达到{p1}%",
    "开展“{item}”宣传活动{k1}次，发放宣传资料{k2}余份",
    "投入资金{n1}万元用于{item}",
    "建立了{item}长效机制，明确了{k1}项具体措施",
    "联合{county}县商务、交通等部门召开协调会{k1}次",
]
DETAIL_RESULTS = [
    "取得了明显成效",
    "得到了广大群众的一致好评",
    "有力保障了旺季寄递服务平稳有序",
    "进一步提升了行业服务质量",
    "为推动行业高质量发展奠定了坚实基础",
    "群众用邮获得感明显增强",
]
TOPICS = {
    "meeting": MEETING_TEMPLATES,
    "inspection": INSPECTION_TEMPLATES,
    "volume": VOLUME_TEMPLATES,
    "rural": RURAL_TEMPLATES,
}
TITLES_BY_TOPIC = {
    "meeting": "{city}局召开{quarter}{meeting_short}",
    "inspection": "{city}局开展{item}专项检查",
    "volume": "{city}市{year}年{quarter}邮政行业运行情况通报",
    "rural": "{city}市扎实推进{item}",
}
_CHOICES: dict[str, list[str]] = {
    "verb": VERBS,
    "object": OBJECTS,
    "finding": FINDINGS,
    "company": COMPANIES,
    "company2": COMPANIES,
}
_CLAUSE = re.compile(r"[^,，。;；!！?？:：]+[,，。;；!！?？]")
_SLOT = re.compile(r"\{(\w+)\}")


def seed_clauses() -> list[str]:
    """Clauses of the seed articles (simplified), as further phrase material."""
    clauses: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = to_simplified(path.read_text(encoding="utf-8"))
        for line in text.splitlines():
            clauses += [
                c
                for c in _CLAUSE.findall(line.strip())
                if 8 <= len(c) <= 60 and c.isascii() is False and not re.search("[A-Za-z]", c)
            ]
    return clauses


@dataclass
class Bureau:
    """A city bureau: where an article is from."""

    province: str
    city: str
    counties: list[str]
    people: list[tuple[str, str]]  # (title, name)


class Prose:
    """Templated bureau news, deterministic per seed."""

    def __init__(self) -> None:
        self.clauses = seed_clauses()
        rng = random.Random(1)
        self.bureaus: list[Bureau] = []
        for province, cities in PROVINCES.items():
            for city in cities:
                counties = [
                    COUNTY_SYLLABLES[i : i + 2]
                    for i in rng.sample(range(0, len(COUNTY_SYLLABLES) - 1, 2), 6)
                ]
                people = [
                    (title, rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))))
                    for title in rng.sample(TITLES, 4)
                ]
                self.bureaus.append(Bureau(province, city, counties, people))

    def slots(self, rng: random.Random, bureau: Bureau) -> dict[str, str]:
        """The article's slot values: one date, person, meeting, … for the whole article."""
        month = rng.randint(1, 12)
        title, person = rng.choice(bureau.people)
        companies = rng.sample(COMPANIES, 2)
        meeting = rng.choice(MEETINGS)
        return {
            "year": str(rng.randint(2016, 2025)),
            "month": str(month),
            "date": f"{month}月{rng.randint(1, 28)}日",
            "quarter": rng.choice(QUARTERS),
            "city": bureau.city,
            "county": rng.choice(bureau.counties),
            "title": title,
            "person": person,
            "company": companies[0],
            "company2": companies[1],
            "meeting": meeting,
            "meeting_short": meeting.replace("工作", "").replace("会议", "会")[-8:],
            "item": rng.choice(WORK_ITEMS),
            "dept": rng.choice(["普遍服务科", "市场监管科", "安全监督科", "办公室"]),
            "rank": str(rng.randint(1, 16)),
        }

    def fill(
        self, template: str, rng: random.Random, slots: dict[str, str], counties: list[str]
    ) -> str:
        """*template* with its slots filled: the article's values for who, where and when;
        numbers, work items, places and the like drawn afresh for each sentence."""

        def value(match: re.Match[str]) -> str:
            key = match.group(1)
            head = key[0]
            if key in slots and key not in ("item", "county"):
                return slots[key]
            if head == "n":
                return f"{rng.uniform(10, 20000):.2f}"
            if head == "k":
                return str(rng.randint(2, 400))
            if head == "p":
                if key == "place":
                    return rng.choice(PLACES)
                return f"{rng.uniform(-5, 60):.2f}"
            if head == "i":
                return rng.choice(WORK_ITEMS)
            if key == "county":
                return rng.choice(counties)
            return rng.choice(_CHOICES[key])

        return _SLOT.sub(value, template)

    def sentence(
        self, rng: random.Random, templates: list[str], slots: dict[str, str], counties: list[str]
    ) -> str:
        """A body sentence: a topic template (35 %), a detail sentence of the article's own
        (40 %: subject, one or two actions, a result), or seed clauses strung together (25 %)."""
        draw = rng.random()
        if draw < 0.35:
            return self.fill(templates[rng.randrange(1, len(templates))], rng, slots, counties)
        if draw < 0.75:
            actions = rng.sample(DETAIL_ACTIONS, rng.choice((1, 2)))
            template = (
                rng.choice(DETAIL_SUBJECTS)
                + "，".join(actions)
                + "，"
                + rng.choice(DETAIL_RESULTS)
                + "。"
            )
            return self.fill(template, rng, slots, counties)
        return "".join(rng.sample(self.clauses, rng.randint(2, 4)))[:-1] + "。"

    def article(self, seed: int, *, sibling_of: int | None = None) -> Story:
        """Article *seed*: a bureau, a topic, ~2,500 characters (1,200–4,500).

        With *sibling_of*, a distinct article of that article's bureau on its topic (its next
        meeting, its next tour): the same stock opening and closing and paragraph layout, its
        own date and people, and 20–70 % of the sentences kept (with their numbers), the
        rest new."""
        if sibling_of is not None:
            base = self.article(sibling_of)
            rng = random.Random(seed * 7919 + 17)
            slots, counties = self.slots(rng, base.bureau), base.bureau.counties
            keep = rng.uniform(0.2, 0.7)
            templates = TOPICS[base.topic]
            paragraphs = []
            for number, sentences in enumerate(base.sentences):
                if number == 0:
                    first = self.fill(templates[0], rng, slots, counties)
                    paragraphs.append([base.opening + first, *sentences[1:]])
                elif number == len(base.sentences) - 1:
                    paragraphs.append(sentences)
                else:
                    paragraphs.append(
                        [
                            s
                            if rng.random() < keep
                            else self.sentence(rng, templates, slots, counties)
                            for s in sentences
                        ]
                    )
            title = self.fill(TITLES_BY_TOPIC[base.topic], rng, slots, counties)
            return Story(
                seed, base.bureau, base.topic, base.opening, title, paragraphs, _date(rng, slots)
            )
        rng = random.Random(seed * 7919 + 17)
        bureau = rng.choice(self.bureaus)
        topic = rng.choice(list(TOPICS))
        opening = rng.choice(OPENINGS) if rng.random() < 0.7 else ""
        closing = rng.choice(CLOSINGS)
        templates = TOPICS[topic]
        target = min(4500, max(1200, int(rng.gauss(2500, 600))))
        slots, counties = self.slots(rng, bureau), bureau.counties
        first = self.fill(templates[0], rng, slots, counties)
        paragraphs: list[list[str]] = []
        sentences: list[str] = [opening + first]
        length = len(sentences[0]) + len(closing)
        size = rng.randint(2, 5)
        while length < target:
            sentence = self.sentence(rng, templates, slots, counties)
            sentences.append(sentence)
            length += len(sentence)
            if len(sentences) >= size:
                paragraphs.append(sentences)
                sentences, size = [], rng.randint(2, 5)
        if sentences:
            paragraphs.append(sentences)
        paragraphs.append([closing])
        title = self.fill(TITLES_BY_TOPIC[topic], rng, slots, counties)
        return Story(seed, bureau, topic, opening, title, paragraphs, _date(rng, slots))

    def repost(self, story: Story, rng: random.Random) -> tuple[list[str], str]:
        """A repost's paragraphs and what was changed: one to three of a lead sentence, a
        summary paragraph on top, an editor line, a source line, a changed paragraph split, a
        few characters changed."""
        paragraphs = list(story.paragraphs)
        kinds = rng.sample(
            ["lead", "intro", "editor", "source", "chars", "split"], rng.randint(1, 3)
        )
        if kinds == ["split"]:
            kinds.append("editor")  # a split alone does not change the normalized body
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        for kind in kinds:
            if kind == "lead":
                lead = rng.choice(
                    [
                        f"记者从{story.bureau.city}市邮政管理局获悉，",
                        f"本报讯（通讯员 {name}）",
                        f"{story.bureau.city}新闻网讯 ",
                        f"记者从{story.bureau.province}省邮政管理局获悉，{story.bureau.city}市局近期"
                        f"召开了{rng.choice(MEETINGS)}。",
                    ]
                )
                paragraphs[0] = lead + paragraphs[0]
            elif kind == "intro":  # an aggregator's own summary paragraph on top
                slots = self.slots(rng, story.bureau)
                templates = TOPICS[story.topic]
                intro = [
                    self.sentence(rng, templates, slots, story.bureau.counties) for _ in range(2)
                ]
                paragraphs.insert(0, "".join(intro))
            elif kind == "editor":
                paragraphs.append(
                    f"（责任编辑：{name} 审核：{rng.choice(SURNAMES)}{rng.choice(GIVEN)}）"
                )
            elif kind == "source":
                paragraphs.append(f"来源：{story.bureau.province}省{story.bureau.city}市邮政管理局")
            elif kind == "chars":
                for _ in range(rng.randint(2, 8)):
                    i = rng.randrange(len(paragraphs))
                    p = paragraphs[i]
                    j = rng.randrange(len(p))
                    paragraphs[i] = p[:j] + rng.choice(GIVEN) + p[j + 1 :]
            elif kind == "split" and len(paragraphs) > 2:
                i = rng.randrange(len(paragraphs) - 1)
                paragraphs[i : i + 2] = [paragraphs[i] + paragraphs[i + 1]]
        return paragraphs, "+".join(kinds)


@dataclass
class Story:
    """A generated article before it becomes a page: paragraphs of sentences."""

    seed: int
    bureau: Bureau
    topic: str
    opening: str
    title: str
    sentences: list[list[str]]
    published: str

    @property
    def paragraphs(self) -> list[str]:
        return ["".join(p) for p in self.sentences]


def _date(rng: random.Random, slots: dict[str, str]) -> str:
    return f"{slots['year']}-{int(slots['month']):02d}-{rng.randint(1, 28):02d}"


# -- the article stream ----------------------------------------------------------------------

Kind = Literal["original", "repost", "sibling", "early-repost", "late-official"]


@dataclass(frozen=True)
class Event:
    """One page of the stream: *seed* is the story; *of* the story a repost or sibling is of."""

    kind: Kind
    seed: int
    of: int | None = None


def schedule(n: int, rng: random.Random) -> list[Event]:
    """*n* pages: mostly new articles; 5 % reposts of an earlier one (anywhere back in the
    stream), 4 % siblings of an earlier one, 1 % an aggregator's repost whose official page
    arrives 1–5,000 pages later."""
    events: list[Event | None] = [None] * n
    originals: list[int] = []
    seed = 0
    for i in range(n):
        if events[i] is not None:
            continue
        draw = rng.random()
        if originals and draw < 0.05:
            of = rng.choice(originals)
            events[i] = Event("repost", of, of)
        elif originals and draw < 0.09:
            seed += 1
            events[i] = Event("sibling", seed, rng.choice(originals))
        elif draw < 0.10:
            seed += 1
            later = i + rng.randint(1, 5000)
            while later < n and events[later] is not None:
                later += 1
            if later >= n:
                events[i] = Event("original", seed)
            else:
                events[i] = Event("early-repost", seed)
                events[later] = Event("late-official", seed)
        else:
            seed += 1
            events[i] = Event("original", seed)
        if events[i] is not None and events[i].kind in ("original", "early-repost"):  # type: ignore[union-attr]
            originals.append(seed)
    return [e for e in events if e is not None]


@dataclass
class Page:
    """A page of the stream, normalized as the crawl's pipeline would hand it to dedupe."""

    event: Event
    article: Extracted
    official: bool
    # The exact Jaccard with the article it is a copy or sibling of (reposts and siblings).
    jaccard: float | None = None
    variant: str = ""


def pages(prose: Prose, events: list[Event]) -> Iterator[Page]:
    """The stream's pages, made one at a time (texts are regenerated from their seed)."""
    for i, event in enumerate(events):
        rng = random.Random(i * 31 + 5)
        if event.kind == "repost":
            assert event.of is not None
            story = prose.article(event.of)
            paragraphs, variant = prose.repost(story, rng)
            art = _extracted(story, paragraphs, f"http://news.example.cn/r/{i}.html", "agg")
            page = Page(event, art, False, variant=variant)
            page.jaccard = neardup.jaccard(art.normalized_body, _normalized(story))
            yield page
        elif event.kind == "sibling":
            assert event.of is not None
            story = prose.article(event.seed, sibling_of=event.of)
            art = _extracted(story, story.paragraphs, _official_url(story), "bureau")
            page = Page(event, art, True)
            page.jaccard = neardup.jaccard(
                art.normalized_body, _normalized(prose.article(event.of))
            )
            yield page
        elif event.kind == "early-repost":
            story = prose.article(event.seed)
            paragraphs, variant = prose.repost(story, rng)
            url = f"http://news.example.cn/e/{i}.html"
            yield Page(event, _extracted(story, paragraphs, url, "agg"), False, variant=variant)
        else:  # original, late-official
            story = prose.article(event.seed)
            art = _extracted(story, story.paragraphs, _official_url(story), "bureau")
            yield Page(event, art, True)


def _official_url(story: Story) -> str:
    return f"http://{story.bureau.city}.spb.example.cn/a/{story.seed}.shtml"


def _extracted(story: Story, paragraphs: list[str], url: str, site: str) -> Extracted:
    art = Extracted(
        url=url,
        site=site,
        title=story.title,
        paragraphs=paragraphs,
        published=story.published,
        source=f"{story.bureau.city}市邮政管理局",
    )
    return normalize_extracted(art)


def _normalized(story: Story) -> str:
    return normalized_body(clean_paragraphs(story.paragraphs))


# -- running ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one path measured."""

    path: str
    times_ms: list[float] = field(default_factory=list)  # per page, the whole step
    lookup_ms: list[float] = field(default_factory=list)  # per page, the lookup alone
    cpu_ms: list[float] = field(default_factory=list)  # per page, the whole step, CPU time
    lookup_cpu_ms: list[float] = field(default_factory=list)  # per page, the lookup, CPU time
    chars: int = 0
    reposts: int = 0  # planted reposts at or above the threshold (must be found)
    found: int = 0
    below: int = 0  # planted reposts below the threshold (not counted either way)
    replaced: int = 0  # late official pages that replaced their early repost
    late: int = 0
    siblings: int = 0  # planted distinct same-topic pairs below the threshold
    sibling_merges: int = 0
    sibling_ambiguous: int = 0  # siblings at or above the threshold (the archive may merge)
    other_merges: int = 0  # a new article merged with anything
    repost_j: list[float] = field(default_factory=list)
    sibling_j: list[float] = field(default_factory=list)
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)  # what went wrong, one line each


def run_store(prose: Prose, events: list[Event], root: Path, progress: bool, group: int) -> Tally:
    """The crawl's path through an :class:`ArchiveStore`: per page ``find_match``, then
    ``add`` or ``add_sighting``, in group commits of *group* pages (as the crawl's pipeline
    process runs them; 1: each page its own commit). The group's commit, at its end, is
    shared out evenly over its pages' times."""
    tally = Tally(f"store, group commits of {group}")
    stored: dict[int, str] = {}  # story seed -> hash the archive holds it under
    start = time.perf_counter()
    stream = pages(prose, events)
    done = 0
    with ArchiveStore(root, fsync=False) as store:
        while batch := list(itertools.islice(stream, group)):
            first = len(tally.times_ms)
            outcomes: list[tuple[Page, str, str]] = []
            with store.group():
                for page in batch:
                    outcomes.append((page, *_store_one(store, page, tally)))
                c0, t0 = time.process_time(), time.perf_counter()
            commit_ms = (time.perf_counter() - t0) * 1000 / len(batch)
            commit_cpu = (time.process_time() - c0) * 1000 / len(batch)
            for k in range(first, len(tally.times_ms)):
                tally.times_ms[k] += commit_ms
                tally.cpu_ms[k] += commit_cpu
            for page, status, body_hash in outcomes:  # scored once committed
                _score(tally, page, status, body_hash, stored)
            if progress and (done + len(batch)) // SLICE > done // SLICE:
                print(f"  store: {done + len(batch):,} pages …", flush=True)
            done += len(batch)
    tally.seconds = time.perf_counter() - start
    return tally


def _store_one(store: ArchiveStore, page: Page, tally: Tally) -> tuple[str, str]:
    """One page through the dedupe and store steps; its times go into *tally*."""
    art = page.article
    c0, t0 = time.process_time(), time.perf_counter()
    checkpoint = store.checkpoint()
    match = store.find_match(art)
    t1, c1 = time.perf_counter(), time.process_time()
    if match is None or match.superseded_by(page.official):
        unmatched = checkpoint if match is None else None
        result = store.add(art, official=page.official, unmatched_at=unmatched)
        status, body_hash = result.status, result.body_hash
    else:
        store.add_sighting(
            art,
            official=page.official,
            relation=match.relation,
            similarity=match.similarity,
            body_hash=match.body_hash,
        )
        status, body_hash = "duplicate", match.body_hash
    t2, c2 = time.perf_counter(), time.process_time()
    tally.cpu_ms.append((c2 - c0) * 1000)
    tally.lookup_cpu_ms.append((c1 - c0) * 1000)
    tally.lookup_ms.append((t1 - t0) * 1000)
    tally.times_ms.append((t2 - t0) * 1000)
    return status, body_hash


def run_index(prose: Prose, events: list[Event], root: Path, progress: bool, group: int) -> Tally:
    """:class:`NearDupIndex` alone: candidates, confirmed on the estimate (no exact Jaccard,
    no article rows), then the signature added in its own transaction (*group* unused)."""
    tally = Tally("index")
    stored: dict[int, str] = {}
    stored_official: dict[str, bool] = {}
    conn = index.connect(root / "index.sqlite3")
    near = neardup.NearDupIndex(conn)
    start = time.perf_counter()
    for i, page in enumerate(pages(prose, events)):
        art = page.article
        c0, t0 = time.process_time(), time.perf_counter()
        found = [c for c in near.candidates(art.normalized_body) if c.estimate >= neardup.THRESHOLD]
        t1, c1 = time.perf_counter(), time.process_time()
        official_stored = stored_official.get(found[0].body_hash, False) if found else False
        if not found or (page.official and not official_stored):
            with index.transaction(conn):
                if found:
                    near.remove(found[0].body_hash)
                near.add(art.body_hash, art.normalized_body)
            stored_official[art.body_hash] = page.official
            status = "replaced" if found else "stored"
            body_hash = art.body_hash
        else:
            status, body_hash = "duplicate", found[0].body_hash
        t2, c2 = time.perf_counter(), time.process_time()
        tally.cpu_ms.append((c2 - c0) * 1000)
        tally.lookup_cpu_ms.append((c1 - c0) * 1000)
        tally.lookup_ms.append((t1 - t0) * 1000)
        tally.times_ms.append((t2 - t0) * 1000)
        _score(tally, page, status, body_hash, stored)
        if progress and (i + 1) % SLICE == 0:
            print(f"  index: {i + 1:,} pages …", flush=True)
    tally.seconds = time.perf_counter() - start
    near.close()
    conn.close()
    return tally


def _score(tally: Tally, page: Page, status: str, body_hash: str, stored: dict[int, str]) -> None:
    event = page.event
    tally.chars += len(page.article.normalized_body)
    if event.kind == "repost":
        assert event.of is not None and page.jaccard is not None
        tally.repost_j.append(page.jaccard)
        if page.jaccard < neardup.THRESHOLD:
            tally.below += 1
            return
        tally.reposts += 1
        hit = status == "duplicate" and body_hash == stored.get(event.of)
        tally.found += hit
        if not hit:
            tally.misses.append(
                f"repost of story {event.of} ({page.variant}, J {page.jaccard:.3f}): {status} "
                f"{body_hash}, expected {stored.get(event.of)}"
            )
    elif event.kind == "sibling":
        assert page.jaccard is not None
        tally.sibling_j.append(page.jaccard)
        if page.jaccard >= neardup.THRESHOLD:
            tally.sibling_ambiguous += 1
        else:
            tally.siblings += 1
            tally.sibling_merges += status != "stored"
            if status != "stored":
                tally.misses.append(
                    f"sibling {event.seed} of story {event.of} (J {page.jaccard:.3f}): {status}"
                )
        stored[event.seed] = body_hash
    elif event.kind == "late-official":
        tally.late += 1
        tally.replaced += status == "replaced" and stored.get(event.seed) != body_hash
        stored[event.seed] = body_hash
    else:
        tally.other_merges += status != "stored"
        if status != "stored":
            tally.misses.append(f"{event.kind} story {event.seed}: {status} {body_hash}")
        stored[event.seed] = body_hash


def rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def report(tally: Tally, peak_before: float, peak_after: float) -> None:
    n = len(tally.times_ms)
    print(
        f"\n== path: {tally.path}  ({n:,} pages, mean {tally.chars / n:,.0f} characters, "
        f"{tally.seconds:,.0f} s)"
    )
    print(
        "  pages            whole step (ms/article): mean  median    p95    CPU | lookup: mean    p95    CPU"
    )
    for s in range(0, n, SLICE):
        step, look = tally.times_ms[s : s + SLICE], tally.lookup_ms[s : s + SLICE]
        cpu, look_cpu = tally.cpu_ms[s : s + SLICE], tally.lookup_cpu_ms[s : s + SLICE]
        print(
            f"  {s:>7,}–{s + len(step):<7,}  {statistics.fmean(step):26.3f} "
            f"{statistics.median(step):7.3f} {pct(step, 95):6.3f} {statistics.fmean(cpu):6.3f} | "
            f"{statistics.fmean(look):12.3f} {pct(look, 95):6.3f} {statistics.fmean(look_cpu):6.3f}"
        )
    overall_med, overall_p95 = statistics.median(tally.times_ms), pct(tally.times_ms, 95)
    print(
        f"  whole step: median {overall_med:.3f} ms, p95 {overall_p95:.3f} ms, "
        f"mean {statistics.fmean(tally.times_ms):.3f} ms; CPU median "
        f"{statistics.median(tally.cpu_ms):.3f} ms, p95 {pct(tally.cpu_ms, 95):.3f} ms, mean "
        f"{statistics.fmean(tally.cpu_ms):.3f} ms (target ≤ {TARGET_MS} ms)"
    )
    print(
        f"  lookup alone: median {statistics.median(tally.lookup_ms):.3f} ms, "
        f"p95 {pct(tally.lookup_ms, 95):.3f} ms; CPU median "
        f"{statistics.median(tally.lookup_cpu_ms):.3f} ms, p95 {pct(tally.lookup_cpu_ms, 95):.3f} ms"
    )
    print(
        f"  reposts found {tally.found}/{tally.reposts} (J ≥ {neardup.THRESHOLD}; "
        f"{tally.below} planted reposts below it left out; repost J min "
        f"{min(tally.repost_j, default=0):.3f}, median {statistics.median(tally.repost_j or [0]):.3f})"
    )
    print(f"  late official pages replacing their repost {tally.replaced}/{tally.late}")
    print(
        f"  false merges of same-topic siblings {tally.sibling_merges}/{tally.siblings} "
        f"(sibling J median {statistics.median(tally.sibling_j or [0]):.3f}, "
        f"max {max(tally.sibling_j, default=0):.3f}; {tally.sibling_ambiguous} at ≥ "
        f"{neardup.THRESHOLD} left out)"
    )
    if tally.path == "index":
        print("  (this path confirms a candidate on the MinHash estimate alone: no exact Jaccard)")
    print(f"  new articles merged with anything {tally.other_merges}")
    misses = sorted(tally.misses, key=lambda line: not line.startswith("repost"))
    for line in misses[:5]:  # missed reposts first
        print(f"    {line}")
    if len(misses) > 5:
        print(f"    … {len(misses) - 5} more")
    print(
        f"  peak resident memory {peak_after:,.0f} MiB (before this path {peak_before:,.0f} MiB; "
        f"target ≤ {TARGET_MB} MiB)"
    )


RUNNERS: dict[str, Callable[[Prose, list[Event], Path, bool, int], Tally]] = {
    "index": run_index,
    "store": run_store,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 pages instead of 100,000")
    parser.add_argument("-n", type=int, default=None, help="number of pages")
    parser.add_argument(
        "--group",
        type=int,
        default=settings.POSTCRAWL_GROUP_MAX,
        help="store path: pages per group commit (default %(default)s, the crawl's largest; "
        "1: a commit per page)",
    )
    parser.add_argument("--path", choices=["index", "store", "both"], default="both")
    parser.add_argument("--progress", action="store_true", help="a line per 10,000 pages")
    args = parser.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    if args.path == "both":
        # Each path in a process of its own, so that each reports its own peak memory.
        for name in ("index", "store"):
            argv = [
                sys.executable,
                __file__,
                "-n",
                str(n),
                "--path",
                name,
                "--group",
                str(args.group),
            ]
            subprocess.run(argv + (["--progress"] if args.progress else []), check=True)
        return 0
    prose = Prose()
    events = schedule(n, random.Random(7))
    gc.collect()
    before = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        tally = RUNNERS[args.path](prose, events, Path(tmp), args.progress, args.group)
    report(tally, before, rss_mb())
    return 0


if __name__ == "__main__":
    sys.exit(main())
