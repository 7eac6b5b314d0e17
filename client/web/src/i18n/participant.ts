const en = {
  title: "Participant",
  tabs: { holdings: "Holdings" },
  holdings: {
    allowances: "Allowances by vintage",
    ccer: "CCER by batch",
    cash: "Cash",
    product: "Product",
    vintage: "Vintage",
    batch: "Batch",
    project: "Project",
    total: "Total",
    available: "Available",
    locked: "Locked by pending transfers",
  },
};

const zh: typeof en = {
  title: "交易参与人",
  tabs: { holdings: "持仓" },
  holdings: {
    allowances: "配额（按年度）",
    ccer: "CCER（按批次）",
    cash: "资金",
    product: "品种",
    vintage: "年度",
    batch: "批次",
    project: "项目",
    total: "合计",
    available: "可用",
    locked: "待划转冻结",
  },
};

export default { en, zh };
