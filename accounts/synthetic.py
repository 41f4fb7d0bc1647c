"""Realistic synthetic customers (Chongqing-style names, addresses and phones) for demos and benchmarks.

Deterministic for a given random.Random; every value passes accounts.validators.
"""

import itertools
import random
from dataclasses import dataclass

# Account-number ranges that are never real accounts: demo data and benchmark data.
DEMO_ACCOUNT_PREFIX = "80"
SYNTHETIC_ACCOUNT_PREFIX = "9"
SYNTHETIC_NOTE = "synthetic"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰华建国红玉梅林波辉鹏飞斌宇浩凯健俊帆亮文琳晨欣怡婷雪琴云莉萍燕玲丹"
    "志海峰春晓东子淑凤荣颖佳慧琪瑶嘉思雨欢乐安康德福永成"
)
DISTRICTS = ("渝中区", "江北区", "南岸区", "沙坪坝区", "九龙坡区", "大渡口区", "渝北区", "巴南区", "北碚区")
ROAD_STEMS = (
    "解放",
    "民生",
    "中山",
    "人民",
    "建设",
    "新华",
    "和平",
    "长江",
    "嘉陵",
    "朝阳",
    "红旗",
    "胜利",
    "光明",
    "学府",
    "科园",
    "南坪",
    "观音桥",
    "石桥铺",
    "杨家坪",
    "大坪",
    "龙湖",
    "金开",
    "黄山",
    "洋河",
    "五里店",
    "弹子石",
    "海峡",
    "花卉园",
    "天星桥",
    "松牌",
)
ROAD_SUFFIXES = ("路", "大道", "街", "一路", "二路", "三路", "东路", "西路", "南路", "北路")
ESTATE_STEMS = (
    "锦绣",
    "金色",
    "阳光",
    "翠湖",
    "龙湖",
    "融创",
    "华润",
    "万科",
    "东原",
    "金科",
    "保利",
    "中海",
    "鲁能",
    "协信",
    "富力",
    "招商",
    "蓝光",
    "首创",
    "天和",
    "嘉华",
)
ESTATE_SUFFIXES = ("花园", "小区", "家园", "新城", "华府", "苑", "公馆", "名都", "雅苑", "丽景")
ROADS = tuple(s + x for s in ROAD_STEMS for x in ROAD_SUFFIXES)
ESTATES = tuple(s + x for s in ESTATE_STEMS for x in ESTATE_SUFFIXES)
BUSINESS_STEMS = (
    "渝香",
    "巴味",
    "山城",
    "朝天门",
    "嘉陵",
    "长江",
    "鸿福",
    "金鼎",
    "顺发",
    "老码头",
    "德庄",
    "小天鹅",
)
BUSINESS_KINDS = {
    "commercial": ("火锅店", "餐馆", "酒店", "面馆", "宾馆", "超市", "茶楼", "餐饮有限公司"),
    "institutional": ("社区卫生服务中心", "人民医院", "街道办事处食堂", "区政府机关食堂", "消防站"),
    "school_care": ("第一中学", "实验小学", "幼儿园", "养老院", "职业技术学院"),
    "boiler": ("供热站", "洗浴中心", "酒店锅炉房"),
    "chiller": ("商业广场", "购物中心", "写字楼"),
    "cng": ("加气站", "CNG加气站"),
    "industrial": ("机械制造有限公司", "食品厂", "陶瓷厂", "玻璃制品有限公司", "铝业有限公司", "印染厂"),
    "chp": ("热电厂", "能源站"),
}
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "176",
    "177",
    "180",
    "181",
    "182",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)
ID_REGIONS = ("500103", "500105", "500106", "500107", "500108", "500112", "500113", "500104", "500109")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _int(rng: random.Random, low: int, high: int) -> int:
    """rng.randint(low, high), several times faster (millions of rows are generated)."""
    return low + int(rng.random() * (high - low + 1))


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.33 else 2))


def business_name(rng: random.Random, category_code: str) -> str:
    kinds = BUSINESS_KINDS.get(category_code, BUSINESS_KINDS["commercial"])
    return rng.choice(DISTRICTS)[:-1] + rng.choice(BUSINESS_STEMS) + rng.choice(kinds)


def address(rng: random.Random, *, residential: bool = True) -> str:
    street = f"{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{_int(rng, 1, 399)}号"
    if not residential:
        return street + (f"附{_int(rng, 1, 30)}号" if rng.random() < 0.3 else "")
    building = f"{rng.choice(ESTATES)}{_int(rng, 1, 30)}栋{_int(rng, 1, 6)}单元"
    return f"{street}{building}{_int(rng, 1, 33)}{_int(rng, 1, 8):02d}"


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{int(rng.random() * 10**8):08d}"


def landline(rng: random.Random) -> str:
    return f"023-{rng.choice('4568')}{int(rng.random() * 10**7):07d}"


def id_number(rng: random.Random) -> str:
    body = (
        f"{rng.choice(ID_REGIONS)}{rng.randint(1940, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    )
    body += f"{rng.randrange(1000):03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class CategoryPick:
    category_code: str
    sub_category_code: str | None
    weight: float


# Share of accounts per category, roughly a city utility's mix (mostly households).
CATEGORY_MIX = (
    CategoryPick("residential", None, 0.74),
    CategoryPick("residential", "heating", 0.12),
    CategoryPick("residential", "low_income", 0.03),
    CategoryPick("commercial", None, 0.06),
    CategoryPick("institutional", None, 0.012),
    CategoryPick("school_care", None, 0.008),
    CategoryPick("boiler", None, 0.004),
    CategoryPick("chiller", None, 0.002),
    CategoryPick("cng", None, 0.001),
    CategoryPick("industrial", None, 0.008),
    CategoryPick("chp", None, 0.001),
)


_CUM_WEIGHTS = list(itertools.accumulate(p.weight for p in CATEGORY_MIX))


def customer_values(rng: random.Random) -> dict:
    """One synthetic customer's field values; categories by code (callers resolve ids)."""
    pick = rng.choices(CATEGORY_MIX, cum_weights=_CUM_WEIGHTS)[0]
    is_household = pick.category_code == "residential"
    return {
        "category_code": pick.category_code,
        "sub_category_code": pick.sub_category_code,
        "name": person_name(rng) if is_household else business_name(rng, pick.category_code),
        "mobile": mobile(rng) if rng.random() < 0.92 else "",
        "landline": landline(rng) if rng.random() < (0.15 if is_household else 0.8) else "",
        "id_number": id_number(rng) if is_household and rng.random() < 0.4 else "",
        "address": address(rng, residential=is_household),
        "is_key_account": not is_household and rng.random() < 0.15,
    }
