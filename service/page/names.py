"""People: bylines parsed into people and their roles (融媒记者 俞梦婷 -> a reporter), names in pinyin, surname
first (俞梦婷 -> Yu Mengting), and person names found in running text.

pypinyin reads a name like any word, which gets surnames with a special reading wrong (单 is Shan, not Dan;
曾 Zeng, 区 Ou, 仇 Qiu, 解 Xie, 查 Zha, 朴 Piao ...) and does not know compound surnames (欧阳, 尉迟 ...).
The small tables below are what no library provides; the given name is left to pypinyin (phrase-aware).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from service.chinese import UNIFIED, jieba

# Compound surnames and their readings.
COMPOUND_SURNAMES = {
    "欧阳": "Ouyang", "司马": "Sima", "上官": "Shangguan", "诸葛": "Zhuge", "尉迟": "Yuchi", "长孙": "Zhangsun",
    "令狐": "Linghu", "皇甫": "Huangfu", "慕容": "Murong", "东方": "Dongfang", "夏侯": "Xiahou", "公孙": "Gongsun",
    "轩辕": "Xuanyuan", "宇文": "Yuwen", "澹台": "Tantai", "万俟": "Moqi", "单于": "Chanyu", "呼延": "Huyan",
    "端木": "Duanmu", "申屠": "Shentu", "司徒": "Situ", "司空": "Sikong", "西门": "Ximen", "南宫": "Nangong",
    "闻人": "Wenren", "赫连": "Helian", "独孤": "Dugu", "钟离": "Zhongli", "公冶": "Gongye", "太史": "Taishi",
    "淳于": "Chunyu", "濮阳": "Puyang", "百里": "Baili", "东郭": "Dongguo", "拓跋": "Tuoba", "完颜": "Wanyan",
    "左丘": "Zuoqiu", "鲜于": "Xianyu", "闾丘": "Lüqiu", "乐正": "Yuezheng", "谷梁": "Guliang", "段干": "Duangan",
}
# Single surnames whose reading as a surname differs from the everyday reading pypinyin picks.
SURNAME_READINGS = {
    "单": "Shan", "曾": "Zeng", "区": "Ou", "仇": "Qiu", "解": "Xie", "查": "Zha", "朴": "Piao", "盖": "Ge",
    "乐": "Yue", "缪": "Miao", "覃": "Qin", "翟": "Zhai", "秘": "Bi", "种": "Chong", "繁": "Po", "召": "Shao",
    "员": "Yun", "黑": "He", "折": "She", "句": "Gou", "重": "Chong", "薄": "Bo", "能": "Nai", "都": "Du",
    "尉": "Wei", "隗": "Wei", "长": "Chang", "藏": "Zang", "蕃": "Pi", "眭": "Sui", "阚": "Kan", "相": "Xiang",
    "沈": "Shen", "柏": "Bai", "燕": "Yan", "应": "Ying", "任": "Ren", "华": "Hua", "纪": "Ji", "宿": "Su",
    "曲": "Qu", "吕": "Lü", "闾": "Lü",
}
# The common single surnames (for telling a name in running text from a word that jieba tags as one).
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康"
    "施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗"
    "谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜"
    "冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝封谈匡鞠惠荆"
    "乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索"
    "宣晋相初门云容敬来扈晁芮都阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇湛宾戎勾茅"
    "利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由洪胥")
# For splitting two names written together in a credit (陶源明陈杰): only the commonest surnames, where a split is
# safe (a subset of SURNAMES; the head of it, in the order above, with 俞 桂 胥 from bylines seen, without 傅).
SPLIT_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤俞桂胥")
# Titles in a byline and the role they give the names after them; longest first where they overlap.
_ROLES = [
    ("摄影记者", "photographer"), ("摄影", "photographer"),
    ("新华社记者", "reporter"), ("本报记者", "reporter"), ("融媒记者", "reporter"), ("特约记者", "reporter"),
    ("见习记者", "reporter"), ("驻站记者", "reporter"), ("记者", "reporter"),
    ("特约通讯员", "correspondent"), ("通讯员", "correspondent"), ("实习生", "intern"), ("见习生", "intern"),
    ("编辑", "editor"), ("作者", "author"),
]
# Words around a name in news text: 市民王锦悦说, 记者陈威武, 王锦悦表示.
_CUE_BEFORE = ("市民", "村民", "居民", "记者", "通讯员", "报道员", "志愿者", "党员", "老人", "学生", "同学", "老师", "教师",
               "医生", "护士", "民警", "队员", "工人", "师傅", "负责人", "主任", "书记", "局长", "院长", "校长",
               "经理", "董事长", "总经理", "创始人", "代表", "委员", "专家", "教授", "市长", "县长", "镇长", "社长",
               "站长", "所长", "科长", "处长", "厅长", "部长", "主席", "厂长", "店主", "摊主", "游客", "选手",
               "运动员", "家长", "业主", "农户", "网友", "律师", "法官", "警官", "医师", "驾驶员", "司机", "员工")
_CUE_AFTER = ("说", "表示", "介绍", "告诉", "认为", "指出", "坦言", "笑着说", "回忆", "透露", "先生", "女士",
              "同志", "老师", "师傅", "医生", "称")


@dataclass
class Person:
    name: str
    role: str  # reporter | correspondent | photographer | intern | editor | author
    title: str = ""  # the words before the name, e.g. 融媒记者, 新华社记者, 通讯员

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "title": self.title}


def _split_names(run: str) -> list[str]:
    """Two names written together (陶源明陈杰): split where a common surname starts the second one."""
    if len(run) in (5, 6):
        for k in ((3, 2) if len(run) == 5 else (3,)):
            if run[k] in SPLIT_SURNAMES and run[0] in SPLIT_SURNAMES:
                return [run[:k], run[k:]]
    return [run]


def parse_people(byline: str, photo: bool | None = None) -> list[Person]:
    """`融媒记者 桂荣超 王均铮` -> two reporters; `通讯员 陈威武` -> a correspondent; `记者李超碧、晏明` -> two
    reporters; in a credit ending in 摄 everyone named is a photographer (their title is kept)."""
    s = byline.strip().strip("()（）").strip()
    if photo is None:
        photo = bool(re.search(r"摄(影)?$", s))
    s = re.sub(r"\s*摄(影)?$", "", s)
    people: list[Person] = []
    role, title = "reporter", ""
    for word in re.split(r"[\s、，,/]+", s):
        while word:
            hit = next(((w, r) for w, r in _ROLES if word.startswith(w)), None)
            if not hit:
                break
            title, role = hit
            word = word[len(title):]
        if not word or not re.fullmatch(f"[{UNIFIED}·]{{2,8}}", word):
            continue
        for name in _split_names(word) if photo else [word]:
            people.append(Person(name, "photographer" if photo else role, title))
    return people


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name)."""
    if name[:2] in COMPOUND_SURNAMES and len(name) > 2:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _syllables(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(text, style=Style.NORMAL, v_to_u=True, errors="default")


def _join(syllables: list[str]) -> str:
    """Syllables into one word; an apostrophe where a syllable starting with a, o or e follows (Xi'an)."""
    out = ""
    for k, s in enumerate(syllables):
        out += ("'" if k and s[:1] in "aoe" else "") + s
    return out


@lru_cache(maxsize=4096)
def pinyin_name(name: str) -> str:
    """俞梦婷 -> 'Yu Mengting'; 单雄信 -> 'Shan Xiongxin'; 欧阳修 -> 'Ouyang Xiu'. A name that is not Chinese
    (or has no given name) is returned as it is, capitalised per word."""
    name = name.strip()
    # Extension A up to the end of the unified block, as always (chinese.IDEOGRAPH would also take compatibility
    # ideographs, which would change which strings get a pinyin reading)
    if not name or not re.fullmatch(r"[\u3400-\u9fff]{2,5}", name):
        return name
    surname, given = split_name(name)
    sur = COMPOUND_SURNAMES.get(surname) or SURNAME_READINGS.get(surname) or _join(_syllables(surname)).capitalize()
    giv = _join(_syllables(given)).capitalize()
    return f"{sur} {giv}".strip()


def pinyin_place(name: str) -> str:
    """A place name in pinyin, one word: 太原 -> 'Taiyuan', 西安 -> "Xi'an". For places the glossary does not have
    (the right English of 哈尔滨 is Harbin, of 拉萨 Lhasa: pinyin is a guess, to be flagged as one)."""
    name = name.strip()
    if not re.fullmatch(r"[\u3400-\u9fff]+", name):
        return name
    return _join(_syllables(name)).capitalize()


def name_variants(en: str) -> list[str]:
    """Spellings a check accepts for a pinyin name: 'Lü Xiaoting' also as Lu, Lv, Lyu; syllables with or
    without apostrophes and hyphens (compared with spaces removed)."""
    base = en.replace("'", "").replace("-", "")
    forms = {base}
    if "ü" in base:
        forms |= {base.replace("ü", x) for x in ("u", "v", "yu")}
    return sorted(forms)


# Characters that transliterate foreign names (斯 s, 尔 r, 特 t ...) and almost never stand in a Chinese given name:
# 史密斯, 皮特曼 and 罗杰斯 start with a surname and jieba tags them `nr`, but they are Smith, Pittman and Rogers, not
# Shi Misi, Pi Teman and Luo Jiesi (seen on FLORES dev: a re-translation asked for the pinyin and wrote it). The
# character after the word counts too: jieba cuts 巴托梅乌 (Bartomeu, WMT18 dev) as 巴托 + 梅乌.
TRANSLITERATION = frozenset("斯尔姆顿逊茨瑟普特乌托奥库萨索塞")


def _has_surname(word: str) -> bool:
    return word[:2] in COMPOUND_SURNAMES or word[:1] in SURNAMES


def _transliterated(word: str, after: str = "") -> bool:
    """A foreign name written in Chinese characters (罗杰斯 Rogers): its given name, or the character after it,
    holds a transliteration character."""
    return any(c in TRANSLITERATION for c in split_name(word)[1] + after[:1])


def find_people(text: str, known: tuple[str, ...] = ()) -> list[tuple[int, int, str]]:
    """Chinese person names in running text: (start, end, name). Conservative: known names (bylines), and words
    jieba tags `nr` that start with a surname, stand next to a word that goes with a person (市民王锦悦说) and are not
    a foreign name transliterated (皮特曼认为: Pittman)."""
    jieba()  # the dictionary loaded and logging quiet, once
    import jieba.posseg as pseg

    found: list[tuple[int, int, str]] = []
    for name in known:
        for m in re.finditer(re.escape(name), text):
            found.append((m.start(), m.end(), name))
    pos = 0
    for w in pseg.cut(text):
        start, pos = pos, pos + len(w.word)
        if not w.flag.startswith("nr") or not 2 <= len(w.word) <= 4 or not _has_surname(w.word):
            continue
        if _transliterated(w.word, text[pos:pos + 1]):  # a foreign name: no pinyin to expect
            continue
        if not re.fullmatch(f"[{UNIFIED}]+", w.word):
            continue
        before, after = text[max(0, start - 4):start], text[pos:pos + 3]
        if before.endswith(_CUE_BEFORE) or after.startswith(_CUE_AFTER):
            if not any(s <= start < e for s, e, _ in found):
                found.append((start, pos, w.word))
    return sorted(found)


_ROLE_EN = {"reporter": ("Reporter", "Reporters"), "correspondent": ("Correspondent", "Correspondents"),
            "intern": ("Intern", "Interns"), "photographer": ("Photo:", "Photos:")}


def byline_en(people) -> str:
    """The byline in English, by role: 'Reporters Gui Rongchao, Wang Junzheng'; 'Photo: Wang Junzheng, Chen Weiwu'.
    `people`: Person objects (name, role)."""
    groups: dict[str, list[str]] = {}
    for p in people:
        groups.setdefault(p.role, []).append(pinyin_name(p.name))
    parts = []
    for role, names in groups.items():
        one, many = _ROLE_EN.get(role, (role.capitalize(), role.capitalize()))
        parts.append(f"{one if len(names) == 1 else many} {', '.join(names)}")
    return "; ".join(parts)
