#!/usr/bin/env python3
"""Generate the synthetic sample in data/sample/ (SYNTHETIC data: no real operator is described).

The sample is ~300 made-up operators of Wuhan's community-embedded service facilities
(社区嵌入式服务设施运营商), their sites, a year and two months of resident reviews (好差评) and an
imaginary expert panel's grades for 40 of them. Everything comes from one seeded
random.Random, so every run on every platform writes the same bytes.

Modes:
  --check (default)  generate into a temporary directory and compare with the committed files in
                     data/sample/; exit 0 when identical, 1 with a diff summary when not.
  --write            (re)write data/sample/ (operators.csv, facilities.csv, reviews.csv,
                     benchmark.csv). data/sample/README.md is written by hand and never touched.

Typical use:
  python3 scripts/generate_sample.py            # is the committed sample what the generator makes?
  python3 scripts/generate_sample.py --write    # regenerate after changing this script
  python3 scripts/generate_sample.py --stats    # also print grade and rule coverage

Files (data dictionary and review semantics: data/sample/README.md):
  operators.csv   one row per operator, read by embedrating::read_operators_csv; its review
                  columns (stars_1..stars_5, bad_*) are aggregated here from reviews.csv
  facilities.csv  one row per site (facility), the site-level measures, read by
                  embedrating::read_facilities_csv
  reviews.csv     resident review events with revisions, 2024-11-01 .. 2025-12-31
  benchmark.csv   agreed grades of an imaginary expert panel for 40 operators

The evaluation date of the sample is as_of = 2025-12-31. To choose the panel's grades the
generator rates the operators itself with a copy of the default model wuhan-2024 1.1.0 (the
`Mirror` section below); the C++ test tests/cpp/sample_test.cpp checks the coverage against the
real library.

Determinism: Python 3.11+ standard library only; only random(), randrange(), randint(), choice(),
shuffle() and sample() of one random.Random(seed) are used (normal deviates are sums of twelve
uniforms, so no libm function is involved); no set or hash order is relied on; floats are written
with fixed decimals; CSV lines end in "\\n"; files are UTF-8 without BOM.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import difflib
import io
import math
import pathlib
import random
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"
CALENDAR = ROOT / "data" / "calendars" / "cn-public-holidays-2024-2026.csv"

SEED = 20251231
AS_OF = dt.date(2025, 12, 31)
EVENTS_FROM = dt.date(2024, 11, 1)
CST = dt.timezone(dt.timedelta(hours=8))
GENERATED_FILES = ("operators.csv", "facilities.csv", "reviews.csv", "benchmark.csv")

# ---------------------------------------------------------------------------------------------
# Geography: Wuhan's 13 districts plus the two functional zones. Streets (街道) are real; the
# communities listed under them are real or typical names, and further communities are made from
# common community-name stems. Pairings of street and community are not an administrative record.
# ---------------------------------------------------------------------------------------------
DISTRICTS = [
    # (short name, id code, display name, operators, [(street, [communities])])
    ("江岸", "JA", "江岸区", 32, [
        ("大智街道", ["永平社区", "大智社区", "天声街社区", "文明社区"]),
        ("一元街道", ["一元社区", "黄浦社区", "汉景社区"]),
        ("车站街道", ["车站社区", "京汉社区", "大智门社区"]),
        ("后湖街道", ["百步亭社区", "后湖社区", "幸福社区", "惠民社区"]),
        ("二七街道", ["二七社区", "工农兵社区", "中山社区"]),
        ("谌家矶街道", ["谌家矶社区", "丰收社区", "建设社区"]),
        ("塔子湖街道", ["塔子湖社区", "同安社区", "锦绣社区"]),
        ("丹水池街道", ["丹水池社区", "长江社区"]),
    ]),
    ("江汉", "JH", "江汉区", 23, [
        ("民族街道", ["民族路社区", "前进社区", "江汉社区"]),
        ("花楼街道", ["花楼社区", "交通路社区", "水塔社区"]),
        ("满春街道", ["满春社区", "万安社区", "大兴社区"]),
        ("唐家墩街道", ["唐家墩社区", "红旗社区", "西桥社区"]),
        ("万松街道", ["万松园社区", "雪松社区", "电台社区"]),
        ("常青街道", ["常青社区", "长港社区"]),
    ]),
    ("硚口", "QK", "硚口区", 22, [
        ("宝丰街道", ["宝丰社区", "营北社区", "复兴社区"]),
        ("汉正街道", ["汉正街社区", "大夹街社区"]),
        ("六角亭街道", ["六角亭社区", "游艺社区", "振兴社区"]),
        ("古田街道", ["古田社区", "东风社区", "汉西社区"]),
        ("韩家墩街道", ["韩家墩社区", "宗关社区"]),
        ("易家街道", ["易家社区", "长丰社区", "三丰社区"]),
    ]),
    ("汉阳", "HY", "汉阳区", 22, [
        ("四新街道", ["四新社区", "芳草社区", "江城社区"]),
        ("建桥街道", ["建桥社区", "钟家村社区", "月湖社区"]),
        ("鹦鹉街道", ["鹦鹉社区", "墨水湖社区", "赫山社区"]),
        ("洲头街道", ["洲头社区", "五里墩社区", "桃花岛社区"]),
        ("琴断口街道", ["琴断口社区", "杨泗港社区", "十里铺社区"]),
        ("江堤街道", ["江堤社区", "黄金口社区", "龙阳社区"]),
    ]),
    ("武昌", "WC", "武昌区", 38, [
        ("中南路街道", ["中南社区", "宝通寺社区", "梅苑社区"]),
        ("水果湖街道", ["水果湖社区", "东湖路社区", "省府社区"]),
        ("首义路街道", ["首义社区", "彭刘杨社区", "紫阳社区"]),
        ("积玉桥街道", ["积玉桥社区", "和平社区", "临江社区"]),
        ("杨园街道", ["杨园社区", "铁四院社区", "余家头社区"]),
        ("徐家棚街道", ["徐家棚社区", "徐东社区", "秦园社区"]),
        ("南湖街道", ["南湖社区", "宝安社区", "松涛社区"]),
        ("珞珈山街道", ["珞珈山社区", "东湖新村社区"]),
    ]),
    ("青山", "QS", "青山区", 15, [
        ("红钢城街道", ["红钢城社区", "新沟社区", "青山社区"]),
        ("冶金街道", ["冶金社区", "钢花社区", "八大家社区"]),
        ("钢花村街道", ["钢花村社区", "红卫路社区"]),
        ("工人村街道", ["工人村社区", "青和居社区"]),
        ("武东街道", ["武东社区", "钢城社区"]),
    ]),
    ("洪山", "HS", "洪山区", 38, [
        ("珞南街道", ["珞南社区", "街道口社区", "广埠屯社区"]),
        ("张家湾街道", ["张家湾社区", "南湖山庄社区", "晒湖社区"]),
        ("和平街道", ["和平社区", "友谊社区", "白马社区"]),
        ("洪山街道", ["洪山社区", "书城路社区", "杨家湾社区"]),
        ("狮子山街道", ["狮子山社区", "南湖花园社区", "华农社区"]),
        ("青菱街道", ["青菱社区", "烽火社区", "红霞社区"]),
        ("卓刀泉街道", ["卓刀泉社区", "鲁巷社区", "虎泉社区"]),
        ("梨园街道", ["梨园社区", "东亭社区"]),
    ]),
    ("东西湖", "DXH", "东西湖区", 18, [
        ("吴家山街道", ["吴家山社区", "田园社区", "七雄社区"]),
        ("将军路街道", ["将军路社区", "十字街社区"]),
        ("金银湖街道", ["金银湖社区", "银湖社区", "金湖社区"]),
        ("径河街道", ["径河社区", "三秀社区"]),
        ("长青街道", ["长青社区", "慈惠社区"]),
        ("走马岭街道", ["走马岭社区", "东流港社区"]),
    ]),
    ("蔡甸", "CD", "蔡甸区", 14, [
        ("蔡甸街道", ["蔡甸社区", "莲花湖社区", "树藩社区"]),
        ("奓山街道", ["奓山社区", "星光社区"]),
        ("索河街道", ["索河社区", "九真社区"]),
        ("侏儒山街道", ["侏儒社区", "新农社区"]),
        ("大集街道", ["大集社区", "天星社区"]),
    ]),
    ("江夏", "JX", "江夏区", 20, [
        ("纸坊街道", ["纸坊社区", "熊廷弼社区", "兴新街社区"]),
        ("五里界街道", ["五里界社区", "童周岭社区"]),
        ("郑店街道", ["郑店社区", "黄金社区"]),
        ("金口街道", ["金口社区", "槐山社区"]),
        ("乌龙泉街道", ["乌龙泉社区", "青龙社区"]),
        ("庙山街道", ["庙山社区", "阳光社区"]),
    ]),
    ("黄陂", "HP", "黄陂区", 18, [
        ("前川街道", ["前川社区", "鲁台社区", "东城社区"]),
        ("滠口街道", ["滠口社区", "刘店社区"]),
        ("横店街道", ["横店社区", "临空社区"]),
        ("武湖街道", ["武湖社区", "沙口社区"]),
        ("祁家湾街道", ["祁家湾社区", "新街社区"]),
        ("天河街道", ["天河社区", "机场社区"]),
    ]),
    ("新洲", "XZ", "新洲区", 12, [
        ("邾城街道", ["邾城社区", "问津社区", "新洲社区"]),
        ("阳逻街道", ["阳逻社区", "港城社区"]),
        ("仓埠街道", ["仓埠社区", "紫霞社区"]),
        ("汪集街道", ["汪集社区", "老街社区"]),
    ]),
    ("汉南", "HN", "汉南区", 5, [
        ("纱帽街道", ["纱帽社区", "汉南社区", "正街社区"]),
        ("邓南街道", ["邓南社区"]),
        ("东荆街道", ["东荆社区"]),
    ]),
    ("东湖高新", "DH", "东湖高新区", 15, [
        ("关东街道", ["关东社区", "光谷社区", "珞雄社区"]),
        ("佛祖岭街道", ["佛祖岭社区", "光谷一路社区"]),
        ("豹澥街道", ["豹澥社区", "龙山社区"]),
        ("花山街道", ["花山社区", "春和社区"]),
        ("九峰街道", ["九峰社区", "凤凰社区"]),
        ("左岭街道", ["左岭社区", "新城社区"]),
    ]),
    ("经开", "JK", "武汉经开区", 8, [
        ("沌口街道", ["沌口社区", "枫树社区", "东合社区"]),
        ("沌阳街道", ["沌阳社区", "太子湖社区"]),
        ("军山街道", ["军山社区", "小军山社区"]),
    ]),
]

COMMUNITY_STEMS = [
    "幸福", "和平", "建设", "友谊", "新华", "民主", "光明", "东方", "紫荆", "桂园", "玉兰", "丽岛",
    "金桥", "锦绣", "翠微", "青年", "育才", "花园", "振兴", "团结", "胜利", "长虹", "星光", "景苑",
    "湖滨", "滨江", "江滩", "南苑", "北苑", "东苑", "西苑", "新村", "怡景", "惠民", "安居", "康居",
    "青松", "翠柳", "荷花", "梅园", "樱园", "枫林", "竹园", "晴川", "汉江", "东湖", "湖光", "金色",
    "银河", "阳光", "晨光", "曙光", "红光", "百花", "万科城", "保利城", "金地", "福星", "常福", "春江",
    "芳华", "凤凰", "龙湖", "桃源", "丰泽", "德润", "泰和", "嘉园", "兴业", "华锦",
]

SITE_SUFFIXES = ["嵌入式服务综合体", "嵌入式服务综合体", "邻里中心", "嵌入式服务中心", "社区服务综合体", "一站式服务中心"]
EXTRA_SITE_SUFFIXES = ["嵌入式服务站", "长者食堂", "托育服务点", "邻里服务站", "便民服务站"]

MODES = [  # catalogue code, share
    ("public_built_private_run", 45), ("private_run_public_aided", 25),
    ("public_investment", 15), ("public_private_cooperation", 15),
]
SCENARIO_ORDER = [  # data/catalogue/scenarios.csv order
    "party_service", "service_hall", "health_station", "culture_centre", "elderly_care", "infant_care",
    "child_care", "meals", "housekeeping", "parking", "retail", "catering", "fitness", "startup_space",
    "group_buying", "health_services", "sports", "culture_leisure", "children_play",
]
CORE = ["elderly_care", "infant_care", "child_care", "meals"]
NON_CORE = [s for s in SCENARIO_ORDER if s not in CORE]
VETO_FLAGS = [  # data/catalogue/veto_flags.csv order (Art. 16(1)..(10))
    "unauthorised_change_of_use", "unauthorised_demolition", "services_not_provided", "maintenance_failure",
    "major_safety_accident", "refused_supervision", "credit_blacklist", "mass_complaints", "subsidy_fraud",
    "other_illegal_act",
]
GRADES = ["unrated", "1A", "2A", "3A", "4A", "5A"]  # index = level

OPERATOR_COLUMNS = (
    ["operator_id", "name_zh", "district", "street", "community", "mode", "status", "status_changed_on",
     "scenarios", "opened_on", "previous_grade", "previous_rated_on", "last_downgrade_on",
     "funds_audit", "supervision_cooperation",
     "stars_1", "stars_2", "stars_3", "stars_4", "stars_5",
     "bad_open", "bad_closed_in_time", "bad_overdue", "bad_followed_up",
     "fire_auto_fail", "special_equipment_overdue",
     "last_serious_accident_on", "last_food_incident_on", "last_penalty_on"]
    + VETO_FLAGS)
SITE_MEASURES = [
    "fire_inspection_score", "fire_open_hazards", "fire_open_major_hazards", "fire_rectified_on_time",
    "food_grade", "food_inspection_score", "medical_inspection_score", "special_equipment_on_time",
    "service_volume_ratio", "staff_qualified_share", "inclusive_price_compliance", "service_days_share",
    "maintenance_completion", "disclosure_completeness", "complaints_handled_on_time",
]
FACILITY_COLUMNS = ["facility_id", "operator_id", "name_zh", "street", "community", "volume"] + SITE_MEASURES
REVIEW_COLUMNS = ["review_id", "revision", "operator_id", "reviewer_id", "time", "level", "scenario", "status",
                  "rectified_at", "followed_up_at", "service_record_id"]
BENCHMARK_COLUMNS = ["operator_id", "agreed_grade", "reviewed_on", "panel_note"]


# ---------------------------------------------------------------------------------------------
# Small helpers (all deterministic)
# ---------------------------------------------------------------------------------------------
def clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def normal(rng: random.Random) -> float:
    """Approximately standard normal: sum of 12 uniforms minus 6 (no libm, bit-identical everywhere)."""
    s = 0.0
    for _ in range(12):
        s += rng.random()
    return s - 6.0


def fnum(x: float, decimals: int) -> str:
    """Fixed decimals, trailing zeros dropped: 0.950 -> "0.95", 1.000 -> "1"."""
    s = f"{x:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def binomial(rng: random.Random, n: int, p: float) -> int:
    k = 0
    for _ in range(n):
        if rng.random() < p:
            k += 1
    return k


def weighted_choice(rng: random.Random, pairs):
    total = sum(w for _, w in pairs)
    x = rng.randrange(total)
    for value, w in pairs:
        if x < w:
            return value
        x -= w
    raise AssertionError


def rand_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def iso(d) -> str:
    return "" if d is None else d.isoformat()


def add_months(d: dt.date, months: int) -> dt.date:
    total = d.year * 12 + d.month - 1 + months
    y, m = divmod(total, 12)
    m += 1
    dim = [31, 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    return dt.date(y, m, min(d.day, dim))


def months_between(a: dt.date, b: dt.date) -> int:
    """Whole calendar months from a to b (as embedrating::months_between)."""
    m = (b.year - a.year) * 12 + b.month - a.month
    while add_months(a, m) > b:
        m -= 1
    return m


class WorkCalendar:
    """Mon–Fri working days, minus `off` days, plus `workday` make-up days (调休) from the data file."""

    def __init__(self, path: pathlib.Path):
        self.off: dict[dt.date, bool] = {}
        self.extra: dict[dt.date, bool] = {}
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                d = dt.date.fromisoformat(row["date"])
                if row["kind"] == "off":
                    self.off[d] = True
                elif row["kind"] == "workday":
                    self.extra[d] = True
                else:
                    raise ValueError(f"{path}: unknown kind {row['kind']!r}")

    def is_working(self, d: dt.date) -> bool:
        if d in self.extra:
            return True
        return d.weekday() < 5 and d not in self.off

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """The n-th working day after d (d itself is day 0)."""
        k = 0
        while k < n:
            d += dt.timedelta(days=1)
            if self.is_working(d):
                k += 1
        return d


# ---------------------------------------------------------------------------------------------
# Review aggregation: the exact semantics documented in data/sample/README.md (a–g)
# ---------------------------------------------------------------------------------------------
DEADLINE_WORKING_DAYS = 15


def parse_time(s: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(s)
    if t.tzinfo is None:
        raise ValueError(f"time without offset: {s}")
    return t


def aggregate_reviews(rows, as_of: dt.date, cal: WorkCalendar, operator_ids):
    """rows: dicts with the REVIEW_COLUMNS as strings. Returns {operator_id: counts dict}."""
    # (a) highest revision per review_id; an identical repeat of (review_id, revision) changes nothing
    latest: dict[str, tuple[int, dict]] = {}
    for r in rows:
        rev = int(r["revision"])
        cur = latest.get(r["review_id"])
        if cur is None or rev > cur[0]:
            latest[r["review_id"]] = (rev, r)
    window_from = add_months(as_of, -12) + dt.timedelta(days=1)
    effective: dict[tuple[str, str, int, int], tuple] = {}
    for rid, (rev, r) in latest.items():
        # (b) level
        lv = r["level"]
        level = 5 if lv == "good" else 1 if lv == "bad" else int(lv)
        # (c) void counts nowhere
        if r["status"] == "void":
            continue
        # (d) window on the CST date
        t = parse_time(r["time"])
        day = t.astimezone(CST).date()
        if day < window_from or day > as_of:
            continue
        # (e) one review per (reviewer, operator, CST month): greatest (time, review_id, revision)
        key = (r["reviewer_id"], r["operator_id"], day.year, day.month)
        rank = (t, rid, rev)
        cur = effective.get(key)
        if cur is None or rank > cur[0]:
            effective[key] = (rank, level, day, r)
    out = {op: {c: 0 for c in ("stars_1", "stars_2", "stars_3", "stars_4", "stars_5", "bad_open",
                                "bad_closed_in_time", "bad_overdue", "bad_followed_up")} for op in operator_ids}
    for (rank, level, day, r) in effective.values():
        c = out[r["operator_id"]]
        c[f"stars_{level}"] += 1
        if level > 2:
            continue
        # (f) bad review: deadline, closure, follow-up
        deadline = cal.add_working_days(day, DEADLINE_WORKING_DAYS)
        rect = parse_time(r["rectified_at"]).astimezone(CST).date() if r["rectified_at"] else None
        rectified = rect is not None and rect <= as_of
        if rectified and rect <= deadline:
            c["bad_closed_in_time"] += 1
        elif rectified or deadline < as_of:
            c["bad_overdue"] += 1
        else:
            c["bad_open"] += 1
        if r["followed_up_at"] and parse_time(r["followed_up_at"]).astimezone(CST).date() <= as_of:
            c["bad_followed_up"] += 1
    return out


# ---------------------------------------------------------------------------------------------
# Mirror: a copy of the default model wuhan-2024 1.1.0 (data/models/wuhan-2024.toml) for this
# sample's columns, used only to pick the panel's grades and to print coverage. The C++ library
# is the reference; tests/cpp/sample_test.cpp checks the coverage with it.
# ---------------------------------------------------------------------------------------------
ART3_SCENARIOS = frozenset(
    ("elderly_care", "infant_care", "meals", "housekeeping", "health_services", "sports", "culture_leisure", "children_play")
)
ROLLUP = {  # measure: (rollup, benefit?)
    "fire_inspection_score": ("worst", True), "fire_open_hazards": ("sum", False),
    "fire_open_major_hazards": ("sum", False), "fire_rectified_on_time": ("worst", True),
    "food_inspection_score": ("worst", True), "medical_inspection_score": ("worst", True),
    "special_equipment_on_time": ("worst", True), "service_volume_ratio": ("volume_mean", True),
    "staff_qualified_share": ("volume_mean", True), "inclusive_price_compliance": ("volume_mean", True),
    "service_days_share": ("volume_mean", True), "maintenance_completion": ("worst", True),
    "disclosure_completeness": ("mean", True), "complaints_handled_on_time": ("volume_mean", True),
}
# tree: node -> (parent, centi-points)
TREE = [
    ("safety", None, 30000), ("service", None, 30000), ("operations", None, 15000), ("residents", None, 25000),
    ("fire", "safety", 12000), ("fire_inspection", "fire", 6000), ("fire_hazards", "fire", 3000),
    ("fire_rectification", "fire", 3000), ("food_safety", "safety", 10000), ("medical_hygiene", "safety", 4000),
    ("special_equipment", "safety", 4000),
    ("scenario_mix", "service", 6000), ("service_volume", "service", 8000), ("staff_qualification", "service", 6000),
    ("inclusive_price", "service", 4000), ("continuity", "service", 6000),
    ("maintenance", "operations", 4000), ("disclosure", "operations", 3000), ("complaint_handling", "operations", 3000),
    ("funds_compliance", "operations", 3000), ("supervision_cooperation", "operations", 2000),
    ("satisfaction_index", "residents", 15000), ("satisfaction_rate", "residents", 5000),
    ("bad_review_closure", "residents", 5000),
]
DIMENSIONS = ["safety", "service", "operations", "residents"]
GRADE_GATES = {  # level: (min_total, min_dimension_ratio, residents minimum)
    5: (900, 0.90, 0.90), 4: (800, 0.80, 0.80), 3: (700, 0.60, 0.70), 2: (600, 0.50, 0.60), 1: (500, 0.40, 0.50),
}
CAP_RULES = [  # id, cap level (or None for downgrade/veto), kind
    ("elig_min_scenarios", 0), ("elig_min_core", 0), ("elig_elderly_or_infant", 3), ("cap_open_lt_3m", 0),
    ("cap_open_lt_12m", 3), ("cap_serious_accident_36m", 2), ("cap_fire_auto_fail", 2),
    ("cap_food_incident_6m", 2), ("cap_food_grade_c", 3), ("cap_special_equipment_overdue", 3),
    ("cap_bad_review_overdue", 4), ("cap_low_review_volume", 3),
]


def linear(x, lo, hi):
    s = (x - lo) / (hi - lo)
    return 0.0 if s < 0.0 else 1.0 if s > 1.0 else s


def steps_benefit(x, steps, otherwise=0.0):
    for t, s in steps:
        if x >= t:
            return s
    return otherwise


def steps_cost(x, steps, otherwise=0.0):
    for t, s in steps:
        if x <= t:
            return s
    return otherwise


def floor_half(x: float) -> int:
    # floor(x + 0.5) for x >= 0
    return int(x + 0.5)


def ceil_required(ratio: float, av: int) -> int:
    return math.ceil(ratio * av - 1e-6)


def rollup(op_sites):
    """Operator-level value of every site measure (None = missing), as embedrating rolls them up."""
    out = {}
    for m, (kind, benefit) in ROLLUP.items():
        vals = [s[m] for s in op_sites]
        if any(v == "" for v in vals):
            out[m] = None
            continue
        xs = [float(v) for v in vals]
        if kind == "worst":
            out[m] = min(xs) if benefit else max(xs)
        elif kind == "sum":
            acc = 0.0
            for x in xs:
                acc += x
            out[m] = acc
        elif kind == "mean":
            acc = 0.0
            for x in xs:
                acc += x
            out[m] = acc / len(xs)
        else:
            acc = 0.0
            w = 0.0
            for s, x in zip(op_sites, xs):
                acc += float(s["volume"]) * x
                w += float(s["volume"])
            out[m] = acc / w if w > 0 else None
    grades = [s["food_grade"] for s in op_sites]
    out["food_grade"] = None if any(g == "" for g in grades) else max(grades)  # "A" < "B" < "C": worst is max
    return out


def mirror_rate(op, sites, counts, as_of):
    """Rates one operator like embedrating::rate with wuhan-2024. Returns a dict."""
    raw = rollup(sites)
    sc = op["scenarios"].split(";") if op["scenarios"] else []
    meals = "meals" in sc

    def since(field):
        v = op[field]
        return None if not v else months_between(dt.date.fromisoformat(v), as_of)

    def lt(v, n):
        return v is not None and v < n

    s = {k: counts[k] for k in counts}
    n = s["stars_1"] + s["stars_2"] + s["stars_3"] + s["stars_4"] + s["stars_5"]
    total = 0.0 * s["stars_1"] + 30.0 * s["stars_2"] + 60.0 * s["stars_3"] + 80.0 * s["stars_4"] + 100.0 * s["stars_5"]
    good = float(s["stars_3"] + s["stars_4"] + s["stars_5"])
    if n < 30:
        index = (total + (30 - n) * 80.0) / 30
        rate = (good + (30 - n) * 0.9) / 30
    else:
        index = total / n
        rate = good / n
    den = s["bad_closed_in_time"] + s["bad_overdue"]
    closure = s["bad_closed_in_time"] / den if den > 0 else 1.0

    score = {}

    def num(m):
        return raw[m]

    v = num("fire_inspection_score"); score["fire_inspection"] = 0.0 if v is None else linear(v, 60, 95)
    v = num("fire_open_hazards"); score["fire_hazards"] = 0.0 if v is None else steps_cost(v, [(0, 1.0), (1, 0.6), (2, 0.3)])
    v = num("fire_rectified_on_time"); score["fire_rectification"] = 0.0 if v is None else linear(v, 0.8, 1.0)
    if meals:
        g = raw["food_grade"]
        if g is not None:
            score["food_safety"] = {"A": 1.0, "B": 0.75, "C": 0.4}[g]
        else:
            v = num("food_inspection_score")
            score["food_safety"] = 0.0 if v is None else steps_benefit(v, [(90, 1.0), (75, 0.8), (60, 0.6)])
    v = num("medical_inspection_score"); score["medical_hygiene"] = 0.0 if v is None else linear(v, 60, 95)
    v = num("special_equipment_on_time"); score["special_equipment"] = 0.0 if v is None else linear(v, 0.8, 1.0)
    # scenarios.art3: only the scenes of Art. 3 count (the model's [[scenario_sets]] art3)
    score["scenario_mix"] = steps_benefit(sum(1 for c in sc if c in ART3_SCENARIOS), [(6, 1.0), (5, 0.9), (4, 0.8), (3, 0.6)])
    v = num("service_volume_ratio"); score["service_volume"] = 0.0 if v is None else linear(v, 0.6, 1.0)
    v = num("staff_qualified_share"); score["staff_qualification"] = 0.0 if v is None else linear(v, 0.7, 1.0)
    v = num("inclusive_price_compliance"); score["inclusive_price"] = 0.0 if v is None else linear(v, 0.8, 1.0)
    v = num("service_days_share"); score["continuity"] = 0.0 if v is None else linear(v, 0.9, 1.0)
    v = num("maintenance_completion"); score["maintenance"] = 0.0 if v is None else linear(v, 0.7, 1.0)
    v = num("disclosure_completeness"); score["disclosure"] = 0.0 if v is None else linear(v, 0.6, 1.0)
    v = num("complaints_handled_on_time"); score["complaint_handling"] = 0.0 if v is None else linear(v, 0.7, 1.0)
    score["funds_compliance"] = {"clean": 1.0, "minor": 0.5, "major": 0.0, "": 0.0}[op["funds_audit"]]
    score["supervision_cooperation"] = {"good": 1.0, "fair": 0.5, "poor": 0.0, "": 0.0}[op["supervision_cooperation"]]
    score["satisfaction_index"] = linear(index, 60, 95)
    score["satisfaction_rate"] = linear(rate, 0.80, 0.98)
    score["bad_review_closure"] = linear(closure, 0.5, 1.0)
    if op["fire_auto_fail"] == "1":  # fire_auto_fail_zero: every leaf under `fire` scores 0
        for k in ("fire_inspection", "fire_hazards", "fire_rectification"):
            score[k] = 0.0

    # available centi-points: food_safety not applicable without meals, re-allocated pro rata
    avail = {name: pts for name, _, pts in TREE}
    if not meals:
        avail["food_safety"] = 0
        avail["fire"], avail["medical_hygiene"], avail["special_equipment"] = 18000, 6000, 6000
        avail["fire_inspection"], avail["fire_hazards"], avail["fire_rectification"] = 9000, 4500, 4500
    earned = {}
    for name, parent, _ in TREE:
        if name in score:
            earned[name] = floor_half(score[name] * avail[name])
    for name, parent, _ in reversed(TREE):
        if name not in score and name not in ("food_safety",):
            earned[name] = sum(earned.get(c, 0) for c, p, _ in TREE if p == name)
    dims = {d: earned[d] for d in DIMENSIONS}
    total_c = sum(dims.values())

    prev = GRADES.index(op["previous_grade"]) if op["previous_grade"] else None
    prereq = {
        5: [prev is not None and prev >= 4, raw["fire_open_major_hazards"] == 0.0,
            (not meals) or raw["food_grade"] == "A", closure >= 1.0],
        4: [raw["fire_open_major_hazards"] == 0.0, (not meals) or raw["food_grade"] in ("A", "B"), closure >= 0.95],
    }
    by_score = 0
    for lvl in (1, 2, 3, 4, 5):
        mt, ratio, res = GRADE_GATES[lvl]
        ok = total_c >= mt * 100
        ok = ok and all(dims[d] >= ceil_required(ratio, avail[d]) for d in DIMENSIONS)
        ok = ok and dims["residents"] >= ceil_required(res, avail["residents"])
        ok = ok and all(prereq.get(lvl, []))
        if not ok:
            break
        by_score = lvl

    core = sum(1 for c in CORE if c in sc)
    fired = []
    for f, rid in zip(VETO_FLAGS, [f"veto_art16_{k:02d}" for k in range(1, 11)]):
        if op[f] == "1":
            fired.append(rid)
    cond = {
        "elig_min_scenarios": len(sc) < 3,
        "elig_min_core": core < 2,
        "elig_elderly_or_infant": ("elderly_care" not in sc and "infant_care" not in sc),
        "cap_open_lt_3m": lt(since("opened_on"), 3),
        "cap_open_lt_12m": lt(since("opened_on"), 12),
        "cap_serious_accident_36m": lt(since("last_serious_accident_on"), 36),
        "cap_fire_auto_fail": op["fire_auto_fail"] == "1",
        "cap_food_incident_6m": lt(since("last_food_incident_on"), 6),
        "cap_food_grade_c": raw["food_grade"] == "C",
        "cap_special_equipment_overdue": op["special_equipment_overdue"] == "1",
        "cap_bad_review_overdue": s["bad_overdue"] > 0,
        "cap_low_review_volume": n < 30,
    }
    ceiling = 5
    for rid, cap in CAP_RULES:
        if cond[rid]:
            fired.append(rid)
            ceiling = min(ceiling, cap)
    down = 0
    if lt(since("last_penalty_on"), 12):
        fired.append("downgrade_penalty_12m")
        down = 1
    if prev is None:
        limit, hist = 3, "first_rating"
    else:
        limit, hist = prev + 1, "max_rise"
        if op["last_downgrade_on"] and months_between(dt.date.fromisoformat(op["last_downgrade_on"]), as_of) < 12:
            limit, hist = min(limit, prev), "no_rise_after_downgrade"
    graded = op["status"] == "active" and not any(r.startswith("veto_") for r in fired)
    final = max(0, min(by_score, ceiling, limit) - down) if graded else 0
    if op["status"] != "active":
        by_score = 0  # as embedrating reports it: no grade by score for a not-active operator
    binding = []
    if graded:
        cut = min(by_score, ceiling, limit)
        if cut < by_score:
            if ceiling == cut:
                binding += [rid for rid, cap in CAP_RULES if cond[rid] and cap == cut]
            if limit == cut:
                binding.append(hist)
        if down and final < cut:
            binding.append("downgrade_penalty_12m")
    return {"by_score": by_score, "final": final, "graded": graded, "total_centi": total_c, "dims": dims,
            "fired": fired, "history_limit": limit, "history_kind": hist, "binding": binding, "valid_n": n}


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------
class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.cal = WorkCalendar(CALENDAR)

    # -- operators --------------------------------------------------------------------------
    def community_pool(self, streets, needed):
        """Real communities first, then stem-made names spread round-robin over the streets."""
        pool = []
        used = {}
        for street, comms in streets:
            for c in comms:
                pool.append((street, c))
                used[c] = True
        stems = list(COMMUNITY_STEMS)
        self.rng.shuffle(stems)
        k = 0
        si = 0
        while len(pool) < needed:
            name = stems[k % len(stems)] + ("社区" if k < len(stems) else f"第{k // len(stems) + 1}社区")
            k += 1
            if name in used:
                continue
            used[name] = True
            pool.append((streets[si % len(streets)][0], name))
            si += 1
        return pool

    def make_operators(self):
        rng = self.rng
        ops = []
        for short, code, display, n_ops, streets in DISTRICTS:
            pool = self.community_pool(streets, int(n_ops * 1.7) + 4)
            order = list(range(len(pool)))
            rng.shuffle(order)
            mains = [pool[i] for i in order[:n_ops]]
            spare = [pool[i] for i in order[n_ops:]]
            for k in range(n_ops):
                street, comm = mains[k]
                suffix = rng.choice(SITE_SUFFIXES)
                q = 0.3 + normal(rng)
                ops.append({
                    "operator_id": f"WH-{code}-{k + 1:04d}",
                    "name_zh": f"{display}{comm}{suffix}",
                    "district": short,
                    "street": street,
                    "community": comm,
                    "_display": display,
                    "_spare": spare,
                    "_q": q,
                })
        return ops

    def assign_basics(self, ops):
        rng = self.rng
        for op in ops:
            q = op["_q"]
            op["mode"] = weighted_choice(rng, MODES)
            op["status"] = "active"
            op["status_changed_on"] = None
            # opened mid-2020 … October 2024; the newest operators are set in designate()
            op["opened_on"] = rand_date(rng, dt.date(2020, 6, 1), dt.date(2024, 10, 31))
            # latent quality per area: correlated with q, not equal to it
            op["_qs"] = 0.75 * q + 0.66 * normal(rng)
            op["_qv"] = 0.80 * q + 0.60 * normal(rng)
            op["_qo"] = 0.80 * q + 0.60 * normal(rng)
            op["_qr"] = 0.75 * q + 0.66 * normal(rng)
            op["_h"] = 0.60 * q + 0.80 * normal(rng)   # bad-review handling
            op["_pop"] = 0.5 + rng.random()             # popularity (review volume)
            op["scenarios"] = self.draw_scenarios(q)
            for f in VETO_FLAGS:
                op[f] = "0"
            op["fire_auto_fail"] = "0"
            op["special_equipment_overdue"] = "0"
            op["last_serious_accident_on"] = None
            op["last_food_incident_on"] = None
            op["last_penalty_on"] = None
            op["previous_grade"] = ""
            op["previous_rated_on"] = None
            op["last_downgrade_on"] = None
            op["_low_volume"] = False
            op["_perfect_handling"] = False

    def draw_scenarios(self, q):
        rng = self.rng
        sc = []
        if rng.random() < 0.88:
            sc.append("elderly_care")
        if rng.random() < 0.35 + 0.05 * q:
            sc.append("infant_care")
        if rng.random() < 0.55:
            sc.append("child_care")
        if rng.random() < 0.62:
            sc.append("meals")
        if "elderly_care" not in sc and "infant_care" not in sc:
            sc.append(rng.choice(["elderly_care", "elderly_care", "infant_care"]))
        while sum(1 for c in CORE if c in sc) < 2:
            sc.append(rng.choice([c for c in CORE if c not in sc]))
        extra = int(clamp(2 + rng.randrange(4) + (1 if q > 0.8 else 0), 1, 7))
        public = ["party_service", "service_hall", "health_station", "culture_centre"]
        other = ["housekeeping", "health_services", "children_play", "retail", "catering", "fitness",
                 "parking", "group_buying", "sports", "culture_leisure", "startup_space"]
        if rng.random() < 0.7:
            sc.append(rng.choice(public))
            extra -= 1
        cands = [c for c in public + other if c not in sc]
        for c in rng.sample(cands, max(0, extra)):
            sc.append(c)
        return self.order_scenarios(sc)

    @staticmethod
    def order_scenarios(sc):
        return [c for c in SCENARIO_ORDER if c in sc]

    def designate(self, ops):
        """Special cases: statuses, new operators, ineligible mixes, vetoes, caps, history."""
        rng = self.rng
        pool = list(range(len(ops)))
        rng.shuffle(pool)

        def take(n, pred=lambda o: True):
            """The first n operators of the shuffled pool that satisfy pred (removed from the pool)."""
            out = []
            k = 0
            while len(out) < n:
                if k >= len(pool):
                    raise RuntimeError("not enough operators for a designated case")
                if pred(ops[pool[k]]):
                    out.append(ops[pool.pop(k)])
                else:
                    k += 1
            return out

        # Art. 14 statuses: 5 + 4 + 6 not active (~5 %)
        for st, n in (("suspending", 5), ("suspended", 4), ("terminated", 6)):
            for op in take(n):
                op["status"] = st
                op["status_changed_on"] = rand_date(rng, dt.date(2025, 3, 1), dt.date(2025, 12, 20))
                if st == "suspending":
                    op["status_changed_on"] = rand_date(rng, dt.date(2025, 11, 5), dt.date(2025, 12, 28))
        terminated = [o for o in ops if o["status"] == "terminated"]
        terminated[0]["subsidy_fraud"] = "1"
        terminated[1]["unauthorised_change_of_use"] = "1"

        def active(o):
            return o["status"] == "active"

        # Art. 16 vetoes: one active operator per flag
        for f in VETO_FLAGS:
            take(1, active)[0][f] = "1"
        vetoed = [o for o in ops if any(o[f] == "1" for f in VETO_FLAGS)]

        def plain(o):
            return active(o) and o not in vetoed and not o.get("_special")

        def mark(lst, tag):
            for o in lst:
                o["_special"] = tag
            return lst

        # new operators: opened less than 3 months / less than 12 months before as_of
        for o in mark(take(4, plain), "new3"):
            o["opened_on"] = rand_date(rng, dt.date(2025, 10, 8), dt.date(2025, 12, 10))
        for o in mark(take(16, plain), "new12"):
            o["opened_on"] = rand_date(rng, dt.date(2025, 1, 6), dt.date(2025, 9, 20))
            o["_q"] += 0.6
            o["_qr"] += 0.4
        # Art. 2: fewer than 3 scenarios; fewer than 2 core; neither elderly nor infant care
        for o in mark(take(3, plain), "few_scen"):
            o["scenarios"] = self.order_scenarios(rng.choice([["elderly_care", "meals"], ["elderly_care", "party_service"],
                                                              ["infant_care", "child_care"]]))
        for o in mark(take(3, plain), "few_core"):
            o["scenarios"] = self.order_scenarios(["elderly_care", "party_service", "housekeeping", "retail", "culture_centre"])
        for o in mark(take(5, lambda o: plain(o) and o["_q"] > 0.3), "no_elder_infant"):
            o["scenarios"] = self.order_scenarios(["child_care", "meals", "party_service", "children_play", "catering",
                                                   "culture_centre"][: 4 + rng.randrange(3)])
        # safety events
        for o in mark(take(3, lambda o: plain(o) and o["_q"] > 0.0), "accident"):
            o["last_serious_accident_on"] = rand_date(rng, dt.date(2023, 3, 1), dt.date(2025, 9, 30))
        for o in mark(take(2, plain), "old_accident"):
            o["last_serious_accident_on"] = rand_date(rng, dt.date(2021, 6, 1), dt.date(2022, 11, 30))
        for o in mark(take(4, lambda o: plain(o) and o["_q"] > 0.8), "fire_fail"):
            o["fire_auto_fail"] = "1"
        for o in mark(take(3, lambda o: plain(o) and "meals" in o["scenarios"] and o["_q"] > 0.0), "food_incident"):
            o["last_food_incident_on"] = rand_date(rng, dt.date(2025, 7, 10), dt.date(2025, 12, 15))
        for o in mark(take(3, lambda o: plain(o) and "meals" in o["scenarios"]), "old_food_incident"):
            o["last_food_incident_on"] = rand_date(rng, dt.date(2024, 3, 1), dt.date(2025, 6, 20))
        for o in mark(take(4, lambda o: plain(o) and "meals" in o["scenarios"] and o["_q"] > 0.8), "food_c"):
            o["_food_c"] = True
        # a restaurant (catering) without community meals: graded for food safety, food_safety not
        # applicable, but the annual grade C still caps it
        for o in mark(take(1, lambda o: plain(o) and "meals" not in o["scenarios"] and o["_q"] > 1.0
                           and sum(1 for c in CORE if c in o["scenarios"]) >= 2), "catering_c"):
            o["scenarios"] = self.order_scenarios(o["scenarios"] + ["catering"] if "catering" not in o["scenarios"] else o["scenarios"])
            o["_food_c"] = True
        for o in mark(take(6, lambda o: plain(o) and o["_q"] > 0.6), "equip_overdue"):
            o["special_equipment_overdue"] = "1"
            o["_equip_late"] = True
        # administrative penalties: within 12 months (downgrade) and older
        for o in mark(take(12, lambda o: plain(o) and o["_q"] > -0.6), "penalty"):
            o["last_penalty_on"] = rand_date(rng, dt.date(2025, 1, 5), dt.date(2025, 12, 20))
        for o in mark(take(5, plain), "old_penalty"):
            o["last_penalty_on"] = rand_date(rng, dt.date(2023, 6, 1), dt.date(2024, 12, 20))
        # low review volume (fewer than 30 valid reviews)
        for o in mark(take(14, plain), "low_volume"):
            o["_low_volume"] = True
        # excellent operators: careful bad-review handling (candidates for 5A)
        for o in ops:
            if active(o) and o not in vetoed and o["_q"] > 1.3 and not o.get("_special"):
                o["_perfect_handling"] = True
        self.assign_history(ops, rng)

    def assign_history(self, ops, rng):
        """previous_grade / previous_rated_on / last_downgrade_on."""
        cycle = dt.date(2024, 12, 31)
        for o in ops:
            if o["opened_on"] > dt.date(2024, 6, 30):
                continue  # first rating this cycle
            if rng.random() < 0.06:
                continue  # joined the grading scheme late: first rating
            x = o["_q"] + 0.55 * normal(rng)
            lvl = 5 if x > 1.55 else 4 if x > 0.75 else 3 if x > -0.05 else 2 if x > -0.85 else 1 if x > -1.7 else 0
            o["previous_grade"] = GRADES[lvl]
            o["previous_rated_on"] = cycle
        # downgraded in the last 12 months (re-rated then): no rise this cycle
        cands = [o for o in ops if o["status"] == "active" and o["previous_grade"] not in ("", "unrated", "1A")
                 and not any(o[f] == "1" for f in VETO_FLAGS) and not o.get("_special")]
        rng.shuffle(cands)
        for o in cands[:14]:
            d = rand_date(rng, dt.date(2025, 2, 10), dt.date(2025, 11, 28))
            o["previous_grade"] = GRADES[GRADES.index(o["previous_grade"]) - 1]
            o["previous_rated_on"] = d
            o["last_downgrade_on"] = d
            o["_special"] = "downgraded"
            o["_q"] += 0.3  # partly recovered since
            o["_qr"] += 0.2
        # downgraded earlier (the limit has lapsed)
        for o in cands[14:19]:
            o["last_downgrade_on"] = rand_date(rng, dt.date(2023, 9, 1), dt.date(2024, 11, 30))
        # some weak operators without a grade were assessed last cycle and found below 1A
        for o in ops:
            if o["previous_grade"] == "" and o["opened_on"] <= dt.date(2024, 6, 30) and o["_q"] < -1.3 and rng.random() < 0.5:
                o["previous_grade"] = "unrated"
                o["previous_rated_on"] = cycle

    # -- facilities ---------------------------------------------------------------------------
    def make_facilities(self, ops):
        rng = self.rng
        sites = []
        for o in ops:
            r = rng.random()
            n = 1 if r < 0.77 else 2 if r < 0.90 else 3 if r < 0.97 else 4
            spare = o["_spare"]
            comms = [(o["street"], o["community"])]
            for k in range(1, n):
                comms.append(spare.pop(rng.randrange(len(spare))) if spare else (o["street"], o["community"]))
            age_op = (AS_OF - o["opened_on"]).days / 365.0
            o["_sites"] = []
            for k in range(n):
                street, comm = comms[k]
                if k == 0:
                    name = o["name_zh"]
                else:
                    name = f"{o['_display']}{comm}{rng.choice(EXTRA_SITE_SUFFIXES)}"
                    if name in [s["name_zh"] for s in o["_sites"]]:
                        name = f"{name}（二）"
                volume = int(clamp(18000 + 9000 * normal(rng), 2500, 60000)) if k == 0 else int(clamp(7000 + 4000 * normal(rng), 800, 30000))
                volume = volume // 10 * 10
                building_age = age_op + rng.randrange(0, 25)  # the building is often older than the operator
                site = {"facility_id": f"{o['operator_id']}-{k + 1:02d}", "operator_id": o["operator_id"],
                        "name_zh": name, "street": street, "community": comm, "volume": str(volume)}
                self.site_measures(o, site, building_age, volume)
                o["_sites"].append(site)
                sites.append(site)
            if o.get("_food_c") and not any(s["food_grade"] == "C" for s in o["_sites"]):
                s = o["_sites"][-1]
                s["food_grade"] = "C"
                s["food_inspection_score"] = fnum(60 + rng.randrange(0, 140) / 10.0, 1)
            if o.get("_equip_late") and all(s["special_equipment_on_time"] == "1" for s in o["_sites"]):
                s = o["_sites"][0]
                s["special_equipment_on_time"] = rng.choice(["0.5", "0.667", "0.75", "0.8"])
        return sites

    def site_measures(self, o, site, building_age, volume):
        rng = self.rng
        # safety: worse at older and busier sites
        s = o["_qs"] + 0.30 * normal(rng) - 0.025 * max(0.0, building_age - 10) - 0.000012 * max(0, volume - 20000)
        if o["_perfect_handling"]:
            s = max(s, 0.9 + 0.2 * rng.random())
        site["fire_inspection_score"] = fnum(round(clamp(88 + 6.5 * s + 2.5 * normal(rng), 38, 100)), 0)
        hazards = binomial(rng, 4, clamp(0.10 - 0.10 * s, 0.004, 0.7))
        site["fire_open_hazards"] = str(hazards)
        site["fire_open_major_hazards"] = "1" if rng.random() < clamp(0.012 - 0.02 * s, 0.0015, 0.2) else "0"
        found = int(clamp(2.5 - 1.2 * s + 1.5 * normal(rng), 0, 12))
        on_time = binomial(rng, found, clamp(0.94 + 0.05 * s, 0.35, 1.0))
        site["fire_rectified_on_time"] = "1" if found == 0 else fnum(on_time / found, 3)
        if "meals" in o["scenarios"] or "catering" in o["scenarios"]:
            fs = clamp(89 + 5.5 * s + 3.0 * normal(rng), 45, 100)
            site["food_inspection_score"] = fnum(round(fs * 10) / 10.0, 1)
            if fs >= 90:
                g = "A"
            elif fs >= 75:
                g = "B"
            elif fs >= 60:
                g = "C"
            else:
                g = ""
            new_site = o["opened_on"] > dt.date(2024, 12, 31)
            site["food_grade"] = "" if (new_site or rng.random() < 0.04) else g
        else:
            site["food_grade"] = ""
            site["food_inspection_score"] = ""
        site["medical_inspection_score"] = "" if rng.random() < 0.012 else fnum(round(clamp(88 + 6 * s + 3 * normal(rng), 40, 100)), 0)
        devices = rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 6])
        late = binomial(rng, devices, clamp(0.03 - 0.04 * s, 0.0, 0.5))
        site["special_equipment_on_time"] = "1" if devices == 0 else fnum((devices - late) / devices, 3)
        if late and rng.random() < 0.5:
            o["special_equipment_overdue"] = "1"
        # service (volume-weighted)
        sv = o["_qv"] + 0.35 * normal(rng)
        if o["_perfect_handling"]:
            sv = max(sv, 1.0)
        site["service_volume_ratio"] = fnum(clamp(1.0 + 0.17 * sv + 0.07 * normal(rng), 0.2, 2.5), 2)
        staff = 6 + rng.randrange(30)
        site["staff_qualified_share"] = fnum(binomial(rng, staff, clamp(0.92 + 0.06 * sv, 0.4, 1.0)) / staff, 3)
        site["inclusive_price_compliance"] = fnum(clamp(0.965 + 0.03 * sv + 0.015 * normal(rng), 0.5, 1.0), 3)
        planned = 300 + rng.randrange(60)
        missed = int(clamp(6 - 5 * sv + 3 * normal(rng), 0, 80))
        site["service_days_share"] = fnum((planned - missed) / planned, 3)
        so = o["_qo"] + 0.35 * normal(rng)
        if o["_perfect_handling"]:
            so = max(so, 1.0)
        site["maintenance_completion"] = fnum(clamp(0.93 + 0.05 * so + 0.025 * normal(rng), 0.3, 1.0), 3)
        site["disclosure_completeness"] = fnum(clamp(0.9 + 0.08 * so + 0.04 * normal(rng), 0.2, 1.0), 2)
        site["complaints_handled_on_time"] = fnum(clamp(0.92 + 0.06 * so + 0.04 * normal(rng), 0.3, 1.0), 3)

    def operator_measures(self, ops):
        rng = self.rng
        for o in ops:
            x = o["_qo"] + 0.6 * normal(rng)
            o["funds_audit"] = "major" if x < -2.2 else "minor" if x < -1.0 else "clean"
            y = o["_qo"] + 0.6 * normal(rng)
            o["supervision_cooperation"] = "poor" if y < -2.0 else "fair" if y < -0.7 else "good"
            if o["opened_on"] > dt.date(2025, 9, 30) and rng.random() < 0.5:
                o["supervision_cooperation"] = ""  # not assessed yet
            if o["_perfect_handling"]:
                o["funds_audit"], o["supervision_cooperation"] = "clean", "good"

    # -- reviews ----------------------------------------------------------------------------
    def make_reviews(self, ops):
        rng = self.rng
        events = []  # original review events (revisions are added by review_lifecycle)
        reviewer_counter = [100000]

        def new_reviewer():
            reviewer_counter[0] += 1 + rng.randrange(7)
            return f"U{reviewer_counter[0]:07d}"

        district_pools: dict[str, list] = {}
        for o in ops:
            start = max(EVENTS_FROM, o["opened_on"])
            end = AS_OF
            if o["status"] in ("suspended", "terminated"):
                end = o["status_changed_on"]
            days = (end - start).days + 1
            if days <= 0:
                continue
            full = (AS_OF - EVENTS_FROM).days + 1
            if o["_low_volume"]:
                n = 8 + rng.randrange(26)
            else:
                n = int((40 + rng.randrange(200)) * o["_pop"] * days / full)
                n = max(n, 6 + rng.randrange(10))
            qr = o["_qr"]
            if o["_perfect_handling"]:
                qr = max(qr, 1.3)
            p_bad = clamp(0.045 - 0.035 * qr, 0.002, 0.30)
            p3 = clamp(0.09 - 0.04 * qr, 0.008, 0.35)
            p5 = clamp(0.62 + 0.20 * qr, 0.12, 0.93)
            p4 = max(0.03, 1.0 - p_bad - p3 - p5)
            pool = [new_reviewer() for _ in range(max(6, 2 * n))]
            dpool = district_pools.setdefault(o["district"], [])
            sc = o["scenarios"]
            weighted_sc = [c for c in sc for _ in range(3 if c in CORE else 1)]  # most reviews rate a core service
            for _ in range(n):
                day = start + dt.timedelta(days=rng.randrange(days))
                hour = rng.choice([8, 9, 9, 10, 10, 11, 11, 12, 14, 15, 15, 16, 16, 17, 18, 19, 20, 21])
                t = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=CST)
                if dpool and rng.random() < 0.03:
                    reviewer = rng.choice(dpool)  # a resident who also uses a neighbouring operator
                else:
                    reviewer = rng.choice(pool)
                u = rng.random() * (p_bad + p3 + p4 + p5)
                if u < p_bad:
                    level = 1 if rng.random() < 0.4 else 2
                elif u < p_bad + p3:
                    level = 3
                elif u < p_bad + p3 + p4:
                    level = 4
                else:
                    level = 5
                quick = rng.random() < 0.08  # a plain good/bad vote (e.g. a QR code at the door)
                if quick:
                    level_text = "bad" if level <= 2 else "good"
                    level = 1 if level <= 2 else 5
                    scenario = ""
                else:
                    level_text = str(level)
                    scenario = rng.choice(weighted_sc) if sc and rng.random() < 0.95 else ""
                record = ""
                if not quick and rng.random() < 0.7:
                    record = f"SR{day.strftime('%y%m%d')}{rng.randrange(100000):05d}"
                events.append({"operator_id": o["operator_id"], "reviewer_id": reviewer, "time": t,
                               "level": level, "level_text": level_text, "scenario": scenario, "record": record,
                               "op": o})
            dpool.extend(pool[: 5])
        # same reviewer twice in a month (the later one counts), and exact same timestamps
        base = list(range(len(events)))
        rng.shuffle(base)
        for i in base[:400]:
            e = events[i]
            if e["time"].day > 26:
                continue
            t2 = e["time"] + dt.timedelta(days=rng.randrange(1, 4), minutes=rng.randrange(600))
            level = min(5, max(1, e["level"] + rng.choice([-1, 0, 1, 1])))
            events.append(dict(e, time=t2, level=level, level_text=str(level) if e["level_text"] not in ("good", "bad")
                               else ("bad" if level <= 2 else "good")))
        for i in base[400:430]:
            e = events[i]
            level = min(5, max(1, e["level"] + rng.choice([-1, 1])))
            events.append(dict(e, level=level, level_text=str(level) if e["level_text"] not in ("good", "bad")
                               else ("bad" if level <= 2 else "good")))  # same reviewer, operator and time
        for i in base[430:470]:
            e = events[i]
            other = events[base[(i * 7 + 1) % len(base)]]
            if other["operator_id"] == e["operator_id"]:
                continue
            events.append(dict(e, reviewer_id=other["reviewer_id"]))  # same time, another reviewer
        # review ids in time order (ties: operator, reviewer, level)
        events.sort(key=lambda e: (e["time"], e["operator_id"], e["reviewer_id"], e["level"]))
        for k, e in enumerate(events):
            e["review_id"] = str(k + 1000001)  # numeric, 7 digits: string order == numeric order (reviews.hpp key)
        return events

    def review_lifecycle(self, events):
        """Status, appeals, rectification and follow-up as revisions. Returns the rows to write."""
        rng = self.rng
        cal = self.cal
        rows = []  # (log_time, review_id, revision, row dict)
        as_of_end = dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day, 23, 59, 59, tzinfo=CST)
        late_logged = [0]

        def row(e, rev, status, rect=None, follow=None, time=None, scenario=None, record=None):
            return {"review_id": e["review_id"], "revision": str(rev), "operator_id": e["operator_id"],
                    "reviewer_id": e["reviewer_id"], "time": (time or e["time"]).isoformat(),
                    "level": e["level_text"], "scenario": e["scenario"] if scenario is None else scenario,
                    "status": status, "rectified_at": rect.isoformat() if rect else "",
                    "followed_up_at": follow.isoformat() if follow else "",
                    "service_record_id": e["record"] if record is None else record}

        def at_work_time(d):
            return dt.datetime(d.year, d.month, d.day, 9 + rng.randrange(9), rng.randrange(60), rng.randrange(60), tzinfo=CST)

        def emit(log_time, r):
            if log_time > as_of_end:
                # the log is exported at as_of; a few records logged in early January 2026 are kept
                if late_logged[0] >= 4 or log_time.date() > dt.date(2026, 1, 9):
                    return False
                late_logged[0] += 1
            rows.append((log_time, r["review_id"], int(r["revision"]), r))
            return True

        for e in events:
            o = e["op"]
            t = e["time"]
            d = t.date()
            recent = (AS_OF - d).days < 8
            if e["level"] > 2:
                status = "pending" if recent and rng.random() < 0.4 else "valid"
                emit(t, row(e, 1, status))
                u = rng.random()
                if u < 0.0015:  # a data-entry correction: scenario fixed
                    alt = [c for c in o["scenarios"] if c != e["scenario"]]
                    if alt:
                        emit(t + dt.timedelta(days=1 + rng.randrange(5)), row(e, 2, status, scenario=rng.choice(alt)))
                elif u < 0.002:  # a time recorded in UTC by mistake, corrected (+8 h)
                    emit(t + dt.timedelta(days=2), row(e, 2, status, time=t + dt.timedelta(hours=8)))
                continue
            # a bad review
            h = o["_h"]
            perfect = o["_perfect_handling"]
            rev = 1
            status = "valid"
            appeal = (not perfect) and rng.random() < 0.07
            if appeal or (recent and rng.random() < 0.3):
                status = "pending"
            emit(t, row(e, 1, status))
            if appeal:
                decided = cal.add_working_days(d, 3 + rng.randrange(10))
                upheld = rng.random() < 0.45
                rev += 1
                if emit(at_work_time(decided), row(e, rev, "void" if upheld else "valid")):
                    status = "void" if upheld else "valid"
                else:
                    rev -= 1
                if status == "void":
                    continue
            p_fix = 1.0 if perfect else clamp(0.94 + 0.05 * h, 0.5, 0.998)
            p_in_time = 1.0 if perfect else clamp(0.95 + 0.05 * h, 0.45, 0.998)
            if rng.random() < p_fix:
                if rng.random() < p_in_time:
                    k = 1 + rng.randrange(DEADLINE_WORKING_DAYS)
                else:
                    k = DEADLINE_WORKING_DAYS + 1 + rng.randrange(30)
                fixed_day = cal.add_working_days(d, k)
                rect = at_work_time(fixed_day)
                follow = None
                if rng.random() < (0.99 if perfect else clamp(0.8 + 0.1 * h, 0.3, 0.98)):
                    follow = rect + dt.timedelta(days=rng.randrange(6), hours=rng.randrange(1, 5))
                together = follow is not None and rng.random() < 0.2
                rev += 1
                if together:
                    emit(follow, row(e, rev, status, rect=rect, follow=follow))
                else:
                    if emit(rect, row(e, rev, status, rect=rect)) and follow is not None:
                        rev += 1
                        emit(follow, row(e, rev, status, rect=rect, follow=follow))
            elif rng.random() < 0.15:  # visited back, not (yet) rectified
                follow = at_work_time(cal.add_working_days(d, 2 + rng.randrange(8)))
                rev += 1
                emit(follow, row(e, rev, status, follow=follow))
        rows.sort(key=lambda x: (x[0], x[1], x[2]))
        out = [r for _, _, _, r in rows]
        # a few exact duplicate rows (re-sent by a channel), placed right after the original
        dup_at = sorted(rng.sample(range(len(out)), 12), reverse=True)
        for i in dup_at:
            out.insert(i + 1, dict(out[i]))
        # a few revisions listed before their original (delivered out of order)
        moved = 0
        for i in range(len(out)):
            if moved >= 8:
                break
            r = out[i]
            if r["revision"] == "2" and rng.random() < 0.02:
                j = i - 1
                while j >= 0 and not (out[j]["review_id"] == r["review_id"] and out[j]["revision"] == "1"):
                    j -= 1
                if j >= 0:
                    out.insert(j, out.pop(i))
                    moved += 1
        return out

    # -- benchmark ----------------------------------------------------------------------------
    def make_benchmark(self, ops, results):
        rng = self.rng
        by_grade = {g: [] for g in range(6)}
        for o in ops:
            r = results[o["operator_id"]]
            # graded operators only: a vetoed operator says nothing about the scoring
            if r["graded"]:
                by_grade[r["final"]].append(o)
        chosen = []
        quota = {5: 6, 4: 8, 3: 9, 2: 7, 1: 5, 0: 5}
        for g in (5, 4, 3, 2, 1, 0):
            lst = list(by_grade[g])
            rng.shuffle(lst)
            chosen += lst[: quota[g]]
        chosen.sort(key=lambda o: o["operator_id"])
        off = rng.sample(range(len(chosen)), 8)
        notes_same = [
            "专家组同意模型评定结果。", "Panel agrees with the computed grade.", "现场核查情况与评分一致。",
            "Site visit confirms the scores.", "台账资料齐全，与评分相符。", "Agreed after reviewing the inspection records.",
            "居民访谈反映与好差评一致。", "No reason to depart from the model.",
        ]
        notes_up = [
            "差评整改已于评定后完成，专家组建议上调一级。", "Panel credits a strong volunteer network the model does not measure.",
            "新增助餐点运营良好，居民认可度高。", "Rectification of the fire hazards was verified after the cut-off.",
            "Residents' meeting praised the elderly-care service.", "专家组认为服务量偏低系场地改造所致。",
        ]
        notes_down = [
            "现场发现消防通道堆放杂物，专家组建议下调一级。", "Panel found staff shortages during the site visit.",
            "普惠价格公示不完整，居民反映收费偏高。", "Complaint files incomplete; several cases closed without a visit.",
            "托育室安全防护不到位。", "Panel doubts the service-volume records.",
        ]
        rows = []
        for k, o in enumerate(chosen):
            g = results[o["operator_id"]]["final"]
            if k in off:
                if g == 5:
                    d = -1
                elif g == 0:
                    d = 1
                else:
                    d = rng.choice([-1, 1])
                agreed = g + d
                note = rng.choice(notes_up if d > 0 else notes_down)
            else:
                agreed = g
                note = rng.choice(notes_same)
            rows.append({"operator_id": o["operator_id"], "agreed_grade": GRADES[agreed],
                         "reviewed_on": rand_date(rng, dt.date(2026, 1, 12), dt.date(2026, 1, 23)).isoformat(),
                         "panel_note": note})
        return rows


def to_csv(columns, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r[c] is None else r[c] for c in columns])
    return buf.getvalue().encode("utf-8")


def generate(seed: int = SEED):
    """Returns ({file name: bytes}, coverage report text)."""
    g = Generator(seed)
    ops = g.make_operators()
    g.assign_basics(ops)
    g.designate(ops)
    g.operator_measures(ops)
    sites = g.make_facilities(ops)
    events = g.make_reviews(ops)
    review_rows = g.review_lifecycle(events)
    ids = [o["operator_id"] for o in ops]
    counts = aggregate_reviews(review_rows, AS_OF, g.cal, ids)
    op_rows = []
    for o in ops:
        r = {c: o.get(c) for c in OPERATOR_COLUMNS}
        r["scenarios"] = ";".join(o["scenarios"])
        for c in ("opened_on", "previous_rated_on", "last_downgrade_on", "last_serious_accident_on",
                  "last_food_incident_on", "last_penalty_on", "status_changed_on"):
            r[c] = iso(o[c])
        for c, v in counts[o["operator_id"]].items():
            r[c] = str(v)
        op_rows.append(r)
    results = {}
    for o, r in zip(ops, op_rows):
        results[o["operator_id"]] = mirror_rate(r, o["_sites"], counts[o["operator_id"]], AS_OF)
    bench = g.make_benchmark(ops, results)
    files = {
        "operators.csv": to_csv(OPERATOR_COLUMNS, op_rows),
        "facilities.csv": to_csv(FACILITY_COLUMNS, sites),
        "reviews.csv": to_csv(REVIEW_COLUMNS, review_rows),
        "benchmark.csv": to_csv(BENCHMARK_COLUMNS, bench),
    }
    return files, report(ops, op_rows, sites, review_rows, results, bench), coverage_problems(ops, results)


def coverage_problems(ops, results) -> list[str]:
    """What data/sample/README.md promises, checked with the mirror (the C++ test checks it too)."""
    problems = []
    dist = [0] * 6
    fired: dict[str, int] = {}
    held: dict[str, int] = {}
    for o in ops:
        if o["status"] != "active":
            continue
        r = results[o["operator_id"]]
        dist[r["final"]] += 1
        for f in r["fired"]:
            fired[f] = fired.get(f, 0) + 1
        if r["graded"] and r["history_limit"] < r["by_score"]:
            held[r["history_kind"]] = held.get(r["history_kind"], 0) + 1
    for lvl in range(6):
        if dist[lvl] < 10:
            problems.append(f"only {dist[lvl]} active operators graded {GRADES[lvl]} (want >= 10)")
    rules = [f"veto_art16_{k:02d}" for k in range(1, 11)] + [c for c, _ in CAP_RULES] + ["downgrade_penalty_12m"]
    for rid in rules:
        if not fired.get(rid):
            problems.append(f"rule {rid} never fires for an active operator")
    for h in ("max_rise", "no_rise_after_downgrade", "first_rating"):
        if not held.get(h):
            problems.append(f"history limit {h} never holds an operator below its grade by score")
    return problems


def report(ops, op_rows, sites, review_rows, results, bench) -> str:
    lines = []
    active = [o for o in ops if o["status"] == "active"]
    dist = [0] * 6
    for o in active:
        dist[results[o["operator_id"]]["final"]] += 1
    lines.append(f"operators {len(ops)} (active {len(active)}), facilities {len(sites)}, review rows {len(review_rows)}")
    lines.append("final grades (active, mirror of wuhan-2024): " + ", ".join(f"{GRADES[l]} {dist[l]}" for l in (5, 4, 3, 2, 1, 0)))
    fired: dict[str, int] = {}
    bind: dict[str, int] = {}
    for o in active:
        r = results[o["operator_id"]]
        for f in r["fired"]:
            fired[f] = fired.get(f, 0) + 1
        for b in r["binding"]:
            bind[b] = bind.get(b, 0) + 1
    order = [f"veto_art16_{k:02d}" for k in range(1, 11)] + [c for c, _ in CAP_RULES] + ["downgrade_penalty_12m"]
    lines.append("rules fired (active operators; binding in brackets):")
    for rid in order:
        lines.append(f"  {rid:32s} {fired.get(rid, 0):4d}  [{bind.get(rid, 0)}]")
    for h in ("max_rise", "no_rise_after_downgrade", "first_rating"):
        lines.append(f"  history {h:24s} binding {bind.get(h, 0)}")
    multi = sum(1 for o in ops if len(o["_sites"]) > 1)
    lines.append(f"operators with several facilities: {multi} ({100.0 * multi / len(ops):.1f} %)")
    agree = sum(1 for b in bench if GRADES.index(b["agreed_grade"]) == results[b["operator_id"]]["final"])
    lines.append(f"benchmark: {len(bench)} operators, {agree} agree with the mirror's final grade")
    low = sum(1 for o in active if results[o["operator_id"]]["valid_n"] < 30)
    lines.append(f"active operators with fewer than 30 valid reviews: {low}")
    days = len({r["time"][:10] for r in review_rows})
    lines.append(f"distinct review days: {days}")
    return "\n".join(lines)


def diff_summary(path: pathlib.Path, old: bytes, new: bytes, limit: int = 10) -> str:
    """Which rows and cells differ between the committed file and the generated one."""
    a = list(csv.reader(io.StringIO(old.decode("utf-8", "replace"))))
    b = list(csv.reader(io.StringIO(new.decode("utf-8", "replace"))))
    out = [f"{path}: differs (committed {len(old)} bytes, {len(a)} lines; generated {len(new)} bytes, {len(b)} lines)"]
    if not a or not b or a[0] != b[0] or len(a) != len(b):
        if a and b and a[0] != b[0]:
            out.append(f"  header: {','.join(a[0])} -> {','.join(b[0])}")
        la = [",".join(r) for r in a]
        lb = [",".join(r) for r in b]
        diff = [x for x in difflib.unified_diff(la, lb, "committed", "generated", n=0, lineterm="")
                if x[:1] in "+-" and not x.startswith(("+++", "---"))]
        out.append(f"  {len(diff)} lines added or removed; first ones:")
        out += ["  " + x[:160] for x in diff[:limit]]
        return "\n".join(out)
    header = a[0]
    rows = [k for k in range(1, len(a)) if a[k] != b[k]]
    out.append(f"  {len(rows)} rows differ; first ones (line: key: column old -> new):")
    for k in rows[:limit]:
        cells = [f"{header[c]} {a[k][c]!r} -> {b[k][c]!r}" for c in range(min(len(header), len(a[k]), len(b[k])))
                 if a[k][c] != b[k][c]]
        out.append(f"  line {k + 1}: {a[k][0]}: " + "; ".join(cells)[:300])
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__,
        epilog="Check mode generates into a temporary directory and compares byte for byte with "
               "data/sample/; it exits 1 and prints a diff summary when a file differs or is missing. "
               "Write mode replaces data/sample/{operators,facilities,reviews,benchmark}.csv "
               "(README.md there is hand-written). Either mode exits 2 when the generated sample misses a "
               "coverage promise of data/sample/README.md (grades, rules, history limits; printed on stderr). "
               "The data are SYNTHETIC.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare with the committed sample (default)")
    mode.add_argument("--write", action="store_true", help="rewrite the files in data/sample/")
    ap.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED}; the committed sample uses the default)")
    ap.add_argument("--out", type=pathlib.Path, default=SAMPLE_DIR, help="sample directory (default data/sample)")
    ap.add_argument("--stats", action="store_true", help="print grade and rule coverage (mirror of wuhan-2024)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    files, rep, problems = generate(args.seed)
    elapsed = time.perf_counter() - t0
    if args.stats:
        print(rep)
        print(f"generated in {elapsed:.1f} s")
    for p in problems:
        print(f"coverage: {p}", file=sys.stderr)
    if args.write:
        args.out.mkdir(parents=True, exist_ok=True)
        for name in GENERATED_FILES:
            (args.out / name).write_bytes(files[name])
        for name in GENERATED_FILES:
            print(f"wrote {args.out / name} ({len(files[name])} bytes)")
        return 2 if problems else 0
    with tempfile.TemporaryDirectory(prefix="embedrating-sample-") as tmp:
        tmpdir = pathlib.Path(tmp)
        for name in GENERATED_FILES:
            (tmpdir / name).write_bytes(files[name])
        bad = 0
        for name in GENERATED_FILES:
            new = (tmpdir / name).read_bytes()
            path = args.out / name
            if not path.exists():
                print(f"{path}: missing (run with --write)")
                bad += 1
                continue
            old = path.read_bytes()
            if old == new:
                continue
            bad += 1
            print(diff_summary(path, old, new))
        if bad:
            print(f"{bad} file(s) differ from what the generator makes; run: python3 scripts/generate_sample.py --write")
            return 1
    print(f"data/sample is up to date ({', '.join(GENERATED_FILES)})")
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
