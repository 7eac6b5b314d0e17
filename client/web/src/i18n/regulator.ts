const en = {
  title: "Regulator",
};

const zh: typeof en = {
  title: "主管部门",
};

export default { en, zh };
