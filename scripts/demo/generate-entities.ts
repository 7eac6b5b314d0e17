/**
 * Generates the demo registry data `scripts/demo/entities.json`: 114 fictional, Tianjin-like covered
 * entities (the number at the pilot's launch in December 2013) across the seven covered sectors, with
 * their 2009–2012 emissions and, for power and heat, their output and intensity; and the scheme's
 * institutions (management centre, exchange, clearing bank, two verifiers).
 *
 *   npx tsx scripts/demo/generate-entities.ts           writes the file
 *   npx tsx scripts/demo/generate-entities.ts --check   fails if the committed file differs
 *
 * Deterministic: a seeded PRNG, no clock. Sizes follow the public shape of the Tianjin pilot:
 * 100–200 Mt a year in all, dominated by power/heat/CHP, steel and petrochemicals; large public
 * buildings small but at least 20,000 t. Names and codes are invented; a credit code is valid in form
 * and check characters (GB 32100-2015, with a GB 11714 organisation code inside) but belongs to no one.
 */
import fs from "node:fs";
import { makeCreditCode } from "./credit-code";
import {
  DEMO_DATA_FILE,
  HISTORY_YEARS,
  SECTORS,
  demoDataSchema,
  type CoveredEntity,
  type DemoData,
  type Institution,
  type SectorName,
  type YearMap,
} from "./demo-data";

const SEED = 20131226; // the first trading day of the Tianjin pilot

// ─────────────────────────────────────────── randomness ───────────────────────────────────────────

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; plenty for demo data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let random = prng(SEED);
const uniform = (lo: number, hi: number): number => lo + (hi - lo) * random();
const intBetween = (lo: number, hi: number): number => Math.floor(uniform(lo, hi + 1));
const normal = (mean: number, sd: number): number => {
  const u = Math.max(random(), 1e-12);
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
};
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

function weighted<T>(items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  const last = items[items.length - 1];
  if (!last) throw new Error("weighted pick from an empty list");
  return last[0];
}

// ──────────────────────────────────────────── districts ────────────────────────────────────────────

/** Tianjin's districts (current administrative division codes). */
const DISTRICTS = {
  heping: { code: "120101", nameZh: "和平区", nameEn: "Heping District" },
  hedong: { code: "120102", nameZh: "河东区", nameEn: "Hedong District" },
  hexi: { code: "120103", nameZh: "河西区", nameEn: "Hexi District" },
  nankai: { code: "120104", nameZh: "南开区", nameEn: "Nankai District" },
  hebei: { code: "120105", nameZh: "河北区", nameEn: "Hebei District" },
  hongqiao: { code: "120106", nameZh: "红桥区", nameEn: "Hongqiao District" },
  dongli: { code: "120110", nameZh: "东丽区", nameEn: "Dongli District" },
  xiqing: { code: "120111", nameZh: "西青区", nameEn: "Xiqing District" },
  jinnan: { code: "120112", nameZh: "津南区", nameEn: "Jinnan District" },
  beichen: { code: "120113", nameZh: "北辰区", nameEn: "Beichen District" },
  wuqing: { code: "120114", nameZh: "武清区", nameEn: "Wuqing District" },
  baodi: { code: "120115", nameZh: "宝坻区", nameEn: "Baodi District" },
  binhai: { code: "120116", nameZh: "滨海新区", nameEn: "Binhai New Area" },
  ninghe: { code: "120117", nameZh: "宁河区", nameEn: "Ninghe District" },
  jinghai: { code: "120118", nameZh: "静海区", nameEn: "Jinghai District" },
  jizhou: { code: "120119", nameZh: "蓟州区", nameEn: "Jizhou District" },
} as const;
type DistrictKey = keyof typeof DISTRICTS;

/** Where each sector's plants plausibly are. */
const SECTOR_DISTRICTS: Record<SectorName, readonly (readonly [DistrictKey, number])[]> = {
  steel: [
    ["binhai", 6],
    ["jinghai", 5],
    ["dongli", 2],
    ["beichen", 2],
    ["xiqing", 2],
    ["jinnan", 1],
    ["ninghe", 1],
    ["jizhou", 1],
  ],
  chemicals: [
    ["binhai", 10],
    ["xiqing", 2],
    ["beichen", 2],
    ["jinnan", 2],
    ["dongli", 1],
    ["jinghai", 1],
    ["wuqing", 1],
  ],
  power: [
    ["binhai", 7],
    ["dongli", 2],
    ["beichen", 2],
    ["xiqing", 1],
    ["jinnan", 1],
    ["hedong", 1],
    ["baodi", 1],
    ["jizhou", 1],
    ["ninghe", 1],
    ["wuqing", 1],
  ],
  heat: [
    ["hexi", 2],
    ["nankai", 2],
    ["hebei", 2],
    ["hedong", 2],
    ["hongqiao", 1],
    ["binhai", 3],
    ["dongli", 1],
    ["xiqing", 1],
    ["beichen", 1],
    ["wuqing", 1],
    ["baodi", 1],
  ],
  petrochemicals: [
    ["binhai", 10],
    ["xiqing", 1],
    ["jinnan", 1],
  ],
  "oil-gas": [
    ["binhai", 6],
    ["jinnan", 1],
    ["jinghai", 1],
  ],
  buildings: [
    ["heping", 3],
    ["hexi", 3],
    ["nankai", 2],
    ["hedong", 1],
    ["hebei", 1],
    ["hongqiao", 1],
    ["binhai", 2],
  ],
};

// ────────────────────────────────────────────── names ──────────────────────────────────────────────

/** Characters of invented trade names (字号), with their pinyin for the English names. */
const FIRST: readonly (readonly [string, string])[] = [
  ["津", "Jin"],
  ["海", "Hai"],
  ["渤", "Bo"],
  ["滨", "Bin"],
  ["泰", "Tai"],
  ["华", "Hua"],
  ["鑫", "Xin"],
  ["宏", "Hong"],
  ["永", "Yong"],
  ["恒", "Heng"],
  ["盛", "Sheng"],
  ["瑞", "Rui"],
  ["德", "De"],
  ["隆", "Long"],
  ["兴", "Xing"],
  ["富", "Fu"],
  ["金", "Jin"],
  ["汇", "Hui"],
  ["广", "Guang"],
  ["昌", "Chang"],
  ["东", "Dong"],
  ["中", "Zhong"],
  ["正", "Zheng"],
  ["建", "Jian"],
  ["鸿", "Hong"],
  ["嘉", "Jia"],
  ["康", "Kang"],
  ["安", "An"],
  ["冠", "Guan"],
  ["博", "Bo"],
  ["利", "Li"],
  ["佳", "Jia"],
];
const SECOND: readonly (readonly [string, string])[] = [
  ["远", "yuan"],
  ["达", "da"],
  ["源", "yuan"],
  ["宇", "yu"],
  ["丰", "feng"],
  ["阳", "yang"],
  ["腾", "teng"],
  ["润", "run"],
  ["诚", "cheng"],
  ["峰", "feng"],
  ["辉", "hui"],
  ["捷", "jie"],
  ["凯", "kai"],
  ["通", "tong"],
  ["洋", "yang"],
  ["力", "li"],
  ["川", "chuan"],
  ["石", "shi"],
  ["成", "cheng"],
  ["星", "xing"],
  ["合", "he"],
  ["新", "xin"],
  ["茂", "mao"],
  ["明", "ming"],
  ["林", "lin"],
  ["光", "guang"],
  ["业", "ye"],
  ["泽", "ze"],
];

const usedZh = new Set<string>();
const usedEn = new Set<string>();

/**
 * A trade name used by no other entity, neither in characters nor in pinyin (金/津 are both "Jin"),
 * so that every entity is told apart in both languages.
 */
function tradeName(fullZh: (x: string) => string, fullEn: (x: string) => string): { zh: string; en: string } {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const [c1, p1] = pick(FIRST);
    const [c2, p2] = pick(SECOND);
    if (c1 === c2 || usedZh.has(c1 + c2) || usedEn.has(p1 + p2)) continue;
    usedZh.add(c1 + c2);
    usedEn.add(p1 + p2);
    return { zh: fullZh(c1 + c2), en: fullEn(p1 + p2) };
  }
  throw new Error("ran out of trade names");
}

type NameForm = readonly [zhSuffix: string, enSuffix: string];

const NAME_FORMS: Record<string, readonly NameForm[]> = {
  steel: [
    ["钢铁有限公司", "Iron & Steel Co., Ltd."],
    ["特钢有限公司", "Special Steel Co., Ltd."],
    ["钢管制造有限公司", "Steel Pipe Manufacturing Co., Ltd."],
    ["冶金有限公司", "Metallurgy Co., Ltd."],
    ["轧钢有限公司", "Steel Rolling Co., Ltd."],
  ],
  steelGroup: [["钢铁集团有限公司", "Iron & Steel Group Co., Ltd."]],
  chemicals: [
    ["化工有限公司", "Chemical Co., Ltd."],
    ["碱业有限公司", "Soda Ash Co., Ltd."],
    ["氯碱化工有限公司", "Chlor-Alkali Chemical Co., Ltd."],
    ["化学工业有限公司", "Chemical Industry Co., Ltd."],
    ["精细化工有限公司", "Fine Chemicals Co., Ltd."],
  ],
  "coal power": [
    ["发电有限责任公司", "Power Generation Co., Ltd."],
    ["能源发电有限公司", "Energy Power Generation Co., Ltd."],
  ],
  "gas power": [["燃气发电有限公司", "Gas-fired Power Generation Co., Ltd."]],
  "coal CHP": [
    ["热电有限公司", "Thermal Power Co., Ltd."],
    ["热电联产有限公司", "Combined Heat and Power Co., Ltd."],
  ],
  "gas CHP": [["燃气热电有限公司", "Gas-fired Thermal Power Co., Ltd."]],
  "coal heat": [
    ["供热有限公司", "Heating Co., Ltd."],
    ["热力有限公司", "Heat Supply Co., Ltd."],
  ],
  "gas heat": [["燃气供热有限公司", "Gas Heating Co., Ltd."]],
  petrochemicals: [
    ["石油化工有限公司", "Petrochemical Co., Ltd."],
    ["炼化有限公司", "Refining & Chemical Co., Ltd."],
    ["石化科技有限公司", "Petrochemical Technology Co., Ltd."],
  ],
  "oil-gas": [
    ["油气开采有限公司", "Oil & Gas Production Co., Ltd."],
    ["海上油田开发有限公司", "Offshore Oilfield Development Co., Ltd."],
    ["油田作业有限公司", "Oilfield Operations Co., Ltd."],
  ],
  buildings: [
    ["国际酒店有限公司", "International Hotel Co., Ltd."],
    ["商业广场有限公司", "Commercial Plaza Co., Ltd."],
    ["金融中心物业管理有限公司", "Financial Centre Property Management Co., Ltd."],
    ["购物中心有限公司", "Shopping Centre Co., Ltd."],
    ["置业有限公司", "Real Estate Co., Ltd."],
  ],
};

function entityName(form: string, district: DistrictKey): { zh: string; en: string } {
  const [zhSuffix, enSuffix] = pick(NAME_FORMS[form] ?? []);
  // Most firms are named after the city; some Binhai firms after the new area.
  const binhai = district === "binhai" && random() < 0.3;
  const zhPrefix = binhai ? "天津滨海" : "天津";
  const enPrefix = binhai ? "Tianjin Binhai" : "Tianjin";
  return tradeName(
    (x) => `${zhPrefix}${x}${zhSuffix}`,
    (x) => `${enPrefix} ${x} ${enSuffix}`,
  );
}

// ─────────────────────────────────────────── credit codes ───────────────────────────────────────────

const usedOrgCodes = new Set<string>();

/** A fresh 8-digit organisation code body in the style of the pre-2015 codes. */
function orgCodeBody(): string {
  for (;;) {
    const body = `${pick(["1", "2", "5", "6", "7"])}${String(intBetween(0, 9_999_999)).padStart(7, "0")}`;
    if (!usedOrgCodes.has(body)) {
      usedOrgCodes.add(body);
      return body;
    }
  }
}

/** An enterprise's credit code: authority 9 (market regulation), kind 1 (enterprise). */
const enterpriseCode = (district: string): string => makeCreditCode("9", "1", district, orgCodeBody());

// ─────────────────────────────────────────── histories ───────────────────────────────────────────

/** Back-casts a 2012 value to 2009–2011 with yearly growth rates drawn by `growth`. */
function history(value2012: number, growth: () => number): YearMap {
  const v2012 = Math.round(value2012);
  const v2011 = Math.round(v2012 / (1 + growth()));
  const v2010 = Math.round(v2011 / (1 + growth()));
  const v2009 = Math.round(v2010 / (1 + growth()));
  return { "2009": v2009, "2010": v2010, "2011": v2011, "2012": v2012 };
}

/** Ordinary growth of an industrial emitter, now and then a new line or a shutdown. */
function industrialGrowth(): number {
  const r = random();
  if (r < 0.06) return uniform(0.15, 0.35); // a new production line
  if (r < 0.1) return uniform(-0.15, -0.05); // a line shut or a bad year
  return clamp(normal(0.05, 0.04), -0.05, 0.14);
}

const mapYears = (f: (y: (typeof HISTORY_YEARS)[number]) => number): YearMap => ({
  "2009": f("2009"),
  "2010": f("2010"),
  "2011": f("2011"),
  "2012": f("2012"),
});

// ─────────────────────────────────────── grandfathered sectors ───────────────────────────────────────

interface SizeSpec {
  count: number;
  /** Sector total 2012, t CO2. */
  total2012: number;
  sigma: number;
  min: number;
  max: number;
}

/** Grandfathered sectors (allocation from 2009–2012 average emissions). */
const GRANDFATHERED: Record<"steel" | "chemicals" | "petrochemicals" | "oil-gas" | "buildings", SizeSpec> = {
  steel: { count: 22, total2012: 46_000_000, sigma: 1.0, min: 120_000, max: 15_000_000 },
  chemicals: { count: 20, total2012: 9_000_000, sigma: 1.0, min: 40_000, max: 2_500_000 },
  petrochemicals: { count: 12, total2012: 17_000_000, sigma: 1.1, min: 80_000, max: 8_000_000 },
  "oil-gas": { count: 6, total2012: 5_000_000, sigma: 0.7, min: 150_000, max: 2_500_000 },
  buildings: { count: 10, total2012: 450_000, sigma: 0.4, min: 22_000, max: 90_000 },
};

interface Draft extends Omit<CoveredEntity, "entityId" | "wallet"> {
  size: number;
}

function sizes(spec: SizeSpec): number[] {
  const raw = Array.from({ length: spec.count }, () => Math.exp(normal(0, spec.sigma)));
  const sum = raw.reduce((s, x) => s + x, 0);
  // Clamped to the sector's plausible range, with a little noise so that no two sit on a bound.
  return raw.map((x) => clamp((x / sum) * spec.total2012, spec.min, spec.max) * uniform(0.9, 1)).sort((a, b) => b - a);
}

function grandfathered(sector: keyof typeof GRANDFATHERED): Draft[] {
  const spec = GRANDFATHERED[sector];
  return sizes(spec).map((size, i) => {
    const district = weighted(SECTOR_DISTRICTS[sector]);
    const form = sector === "steel" && i === 0 ? "steelGroup" : sector;
    const name = entityName(form, district);
    const growth = sector === "buildings" ? () => clamp(normal(0.02, 0.03), -0.05, 0.1) : industrialGrowth;
    let emissions = history(size, growth);
    if (sector === "buildings") {
      // In scope: at least 20,000 t in some year since 2009.
      const top = Math.max(...Object.values(emissions));
      if (top < 20_000) emissions = mapYears((y) => Math.round((emissions[y] * 20_000) / top) + 500);
    }
    return {
      size,
      nameZh: name.zh,
      nameEn: name.en,
      sector,
      creditCode: enterpriseCode(DISTRICTS[district].code),
      district: { ...DISTRICTS[district] },
      emissions,
    };
  });
}

// ──────────────────────────────────────── power, heat and CHP ────────────────────────────────────────

type Facility = "coal power" | "gas power" | "coal CHP" | "gas CHP" | "coal heat" | "gas heat";

interface Plant {
  electricityMWh?: number;
  heatGJ?: number;
  kgPerMWh?: number;
  kgPerGJ?: number;
}

/** 2012 output and intensity of one plant of a kind, from its unit sizes and running hours. */
function plant(facility: Facility): Plant {
  const supplied = (mw: number, hours: number) => mw * hours * (1 - uniform(0.05, 0.075)); // net of own use
  switch (facility) {
    case "coal power": {
      const mw = pick([2 * 300, 4 * 300, 2 * 600, 2 * 660, 2 * 1000]);
      const kg = mw >= 2000 ? uniform(790, 820) : mw >= 1200 ? uniform(830, 870) : uniform(880, 930);
      return { electricityMWh: supplied(mw, uniform(4600, 5500)), kgPerMWh: kg };
    }
    case "gas power":
      return { electricityMWh: supplied(pick([2 * 390, 3 * 390]), uniform(2500, 3500)), kgPerMWh: uniform(365, 420) };
    case "coal CHP": {
      const mw = pick([2 * 200, 2 * 300, 2 * 330, 2 * 350]);
      return {
        electricityMWh: supplied(mw, uniform(4800, 5600)),
        kgPerMWh: uniform(650, 780),
        heatGJ: mw * uniform(14_000, 26_000),
        kgPerGJ: uniform(95, 115),
      };
    }
    case "gas CHP": {
      const mw = pick([200, 2 * 180, 2 * 390]);
      return {
        electricityMWh: supplied(mw, uniform(3500, 4500)),
        kgPerMWh: uniform(340, 390),
        heatGJ: mw * uniform(6_000, 12_000),
        kgPerGJ: uniform(56, 62),
      };
    }
    case "coal heat":
      return { heatGJ: Math.exp(normal(Math.log(2_400_000), 0.6)), kgPerGJ: uniform(100, 130) };
    case "gas heat":
      return { heatGJ: Math.exp(normal(Math.log(1_000_000), 0.5)), kgPerGJ: uniform(56, 64) };
  }
}

function benchmarked(sector: "power" | "heat", facilities: readonly [Facility, number][]): Draft[] {
  const drafts: Draft[] = [];
  for (const [facility, count] of facilities) {
    for (let i = 0; i < count; i++) {
      const p = plant(facility);
      const outputGrowth = () => clamp(normal(0.04, 0.04), -0.06, 0.15);
      // Intensity fell slowly (better units, more gas): earlier years slightly higher.
      const intensityDecline = () => -clamp(normal(0.012, 0.01), -0.01, 0.04);
      const elec = p.electricityMWh !== undefined ? history(p.electricityMWh, outputGrowth) : undefined;
      const heat = p.heatGJ !== undefined ? history(p.heatGJ, outputGrowth) : undefined;
      const kgE = p.kgPerMWh !== undefined ? history(p.kgPerMWh, intensityDecline) : undefined;
      const kgH = p.kgPerGJ !== undefined ? history(p.kgPerGJ, intensityDecline) : undefined;
      const emissions = mapYears((y) =>
        Math.round(((elec?.[y] ?? 0) * (kgE?.[y] ?? 0) + (heat?.[y] ?? 0) * (kgH?.[y] ?? 0)) / 1000),
      );
      const district = weighted(SECTOR_DISTRICTS[sector]);
      const name = entityName(facility, district);
      drafts.push({
        size: emissions["2012"],
        nameZh: name.zh,
        nameEn: name.en,
        sector,
        facility,
        creditCode: enterpriseCode(DISTRICTS[district].code),
        district: { ...DISTRICTS[district] },
        emissions,
        output: { ...(elec && { electricityMWh: elec }), ...(heat && { heatGJ: heat }) },
        intensity: { ...(kgE && { kgCO2PerMWh: kgE }), ...(kgH && { kgCO2PerGJ: kgH }) },
      });
    }
  }
  return drafts.sort((a, b) => b.size - a.size);
}

// ──────────────────────────────────────────── institutions ────────────────────────────────────────────

function institutions(): Institution[] {
  const v1 = tradeName(
    (x) => `天津${x}低碳认证检测有限公司`,
    (x) => `Tianjin ${x} Low-Carbon Certification & Inspection Co., Ltd.`,
  );
  const v2 = tradeName(
    (x) => `天津${x}环境核查技术有限公司`,
    (x) => `Tianjin ${x} Environmental Verification Technology Co., Ltd.`,
  );
  const city = { code: "120000", nameZh: "天津市", nameEn: "Tianjin" };
  return [
    {
      entityId: 1,
      role: "regulator",
      category: "institution",
      wallet: "regulator",
      nameZh: "天津市碳排放权交易管理中心",
      nameEn: "Tianjin Carbon Emissions Trading Management Centre",
      // Authority 1 (public bodies), kind 2 (public institution, 事业单位).
      creditCode: makeCreditCode("1", "2", city.code, orgCodeBody()),
      district: city,
    },
    {
      entityId: 2,
      role: "exchange",
      category: "exchange",
      wallet: "exchange",
      nameZh: "天津碳排放权交易所有限公司",
      nameEn: "Tianjin Carbon Exchange Co., Ltd.",
      creditCode: enterpriseCode(DISTRICTS.binhai.code),
      district: { ...DISTRICTS.binhai },
    },
    {
      entityId: 3,
      role: "clearing-bank",
      category: "institution",
      wallet: "clearing-bank",
      nameZh: "津沽商业银行股份有限公司",
      nameEn: "Jingu Commercial Bank Co., Ltd.",
      creditCode: enterpriseCode(DISTRICTS.hexi.code),
      district: { ...DISTRICTS.hexi },
    },
    {
      entityId: 11,
      role: "verifier-1",
      category: "verifier",
      wallet: "verifier-1",
      nameZh: v1.zh,
      nameEn: v1.en,
      creditCode: enterpriseCode(DISTRICTS.nankai.code),
      district: { ...DISTRICTS.nankai },
    },
    {
      entityId: 12,
      role: "verifier-2",
      category: "verifier",
      wallet: "verifier-2",
      nameZh: v2.zh,
      nameEn: v2.en,
      creditCode: enterpriseCode(DISTRICTS.binhai.code),
      district: { ...DISTRICTS.binhai },
    },
  ];
}

// ────────────────────────────────────────────── output ──────────────────────────────────────────────

export function generate(): DemoData {
  // Fresh state, so that every call gives the same data.
  random = prng(SEED);
  usedZh.clear();
  usedEn.clear();
  usedOrgCodes.clear();
  const drafts: Draft[] = [
    ...grandfathered("steel"),
    ...grandfathered("chemicals"),
    ...benchmarked("power", [
      ["coal power", 7],
      ["coal CHP", 12],
      ["gas CHP", 3],
      ["gas power", 2],
    ]),
    ...benchmarked("heat", [
      ["coal heat", 15],
      ["gas heat", 5],
    ]),
    ...grandfathered("petrochemicals"),
    ...grandfathered("oil-gas"),
    ...grandfathered("buildings"),
  ];
  const order = (s: SectorName) => SECTORS.indexOf(s);
  drafts.sort((a, b) => order(a.sector) - order(b.sector) || b.size - a.size);
  const coveredEntities: CoveredEntity[] = drafts.map(({ size: _size, ...rest }, i) => ({
    entityId: 1001 + i,
    wallet: `entity-${1001 + i}`,
    ...rest,
  }));
  const inst = institutions();

  const summary: DemoData["summary"] = {};
  for (const sector of SECTORS) {
    const of = coveredEntities.filter((e) => e.sector === sector);
    summary[sector] = { entities: of.length, emissions2012: of.reduce((s, e) => s + e.emissions["2012"], 0) };
  }
  summary.all = {
    entities: coveredEntities.length,
    emissions2012: coveredEntities.reduce((s, e) => s + e.emissions["2012"], 0),
  };

  return demoDataSchema.parse({
    description:
      "Fictional demo registry of a Tianjin-like emissions trading scheme: covered entities with 2009-2012 history, and the scheme's institutions. Names and credit codes are invented. Fields: scripts/demo/README.md.",
    generator: "scripts/demo/generate-entities.ts",
    seed: SEED,
    years: [...HISTORY_YEARS],
    summary,
    institutions: inst,
    coveredEntities,
  });
}

/** JSON with two-space indentation, small leaf objects (year maps, districts) on one line. */
export function formatDemoData(data: DemoData): string {
  const text = JSON.stringify(data, null, 2);
  return (
    text.replace(/\{\n\s+("[^{}[\]]*?)\n\s*\}/g, (whole, body: string) => {
      const inline = `{ ${body.replace(/,\n\s+/g, ", ")} }`;
      return inline.length <= 110 ? inline : whole;
    }) + "\n"
  );
}

if (require.main === module) {
  const text = formatDemoData(generate());
  if (process.argv.includes("--check")) {
    const committed = fs.existsSync(DEMO_DATA_FILE) ? fs.readFileSync(DEMO_DATA_FILE, "utf8") : "";
    if (committed !== text) {
      console.error(
        `${DEMO_DATA_FILE} differs from what the generator makes; run: npx tsx scripts/demo/generate-entities.ts`,
      );
      process.exit(1);
    }
    console.log(`${DEMO_DATA_FILE} is up to date`);
  } else {
    fs.writeFileSync(DEMO_DATA_FILE, text);
    const data = JSON.parse(text) as DemoData;
    for (const [sector, s] of Object.entries(data.summary)) {
      console.log(
        `${sector.padEnd(15)} ${String(s.entities).padStart(4)} entities ${(s.emissions2012 / 1e6).toFixed(1).padStart(7)} Mt (2012)`,
      );
    }
    console.log(`wrote ${DEMO_DATA_FILE}`);
  }
}
